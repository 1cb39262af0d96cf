//! Bare Argon2id rate on one thread with the server's default costs (m=19456 KiB, t=2, p=1):
//! `verify_password` against a PHC string, which is what a password grant does.
//! Prints `argon2id_verify ops_per_sec`.

use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let params = Params::new(19456, 2, 1, None).expect("params");
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
    let phc = argon2
        .hash_password(b"bench-passw0rd", &salt)
        .expect("hash")
        .to_string();
    let parsed = PasswordHash::new(&phc).expect("parse");
    for _ in 0..3 {
        argon2
            .verify_password(b"bench-passw0rd", &parsed)
            .expect("verify");
    }
    let budget = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        argon2
            .verify_password(b"bench-passw0rd", &parsed)
            .expect("verify");
        n += 1;
    }
    println!(
        "argon2id_verify {:.1}",
        n as f64 / start.elapsed().as_secs_f64()
    );
}
