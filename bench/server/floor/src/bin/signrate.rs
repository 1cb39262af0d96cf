//! Bare aws-lc-rs signing rate on one thread: RS256 (2048-bit), ES256 and EdDSA over a
//! JWT-sized signing input; and the ES256 verification rate (`ES256-verify`), the floor of
//! a DPoP proof check. Prints one line per operation: `OP ops_per_sec`.

use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};

fn rate(name: &str, secs: f64, mut f: impl FnMut()) {
    for _ in 0..50 {
        f();
    }
    let budget = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..20 {
            f();
        }
        n += 20;
    }
    println!("{name} {:.0}", n as f64 / start.elapsed().as_secs_f64());
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    // A typical access-token signing input: base64url(header) "." base64url(claims), ~330 bytes.
    let input = vec![b'x'; 330];
    let rng = SystemRandom::new();

    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).expect("rsa key");
    let mut sig = vec![0u8; rsa.public_modulus_len()];
    rate("RS256", secs, || {
        rsa.sign(&signature::RSA_PKCS1_SHA256, &rng, &input, &mut sig)
            .expect("sign");
    });

    let es = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).expect("ec key");
    rate("ES256", secs, || {
        std::hint::black_box(es.sign(&rng, &input).expect("sign"));
    });
    let es_sig = es.sign(&rng, &input).expect("sign");
    let es_public = signature::ParsedPublicKey::new(
        &signature::ECDSA_P256_SHA256_FIXED,
        es.public_key().as_ref(),
    )
    .expect("public key");
    rate("ES256-verify", secs, || {
        es_public
            .verify_sig(std::hint::black_box(&input), es_sig.as_ref())
            .expect("verify");
    });

    let ed = Ed25519KeyPair::generate().expect("ed key");
    let _ = ed.public_key();
    rate("EdDSA", secs, || {
        std::hint::black_box(ed.sign(&input));
    });
}
