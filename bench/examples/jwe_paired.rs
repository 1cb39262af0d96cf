//! JWE decryption and DPoP checks against the aws-lc-rs floor, interleaved: each round runs a
//! batch of tessera-jose, then a batch of the floor, and the ratio of each round is kept, so
//! that load which comes and goes hits both alike. Prints the median ratio and its
//! interquartile range per pair.
//!
//!     target/release/examples/jwe_paired [SECONDS_PER_PAIR]   (default 5)

use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "../benches/jwe_fixtures.rs"]
mod jwe_fixtures;

use jwe_fixtures::{Dpop, Ecdh, Rsa};

/// Times `batch` calls of `f`.
fn time(batch: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..batch {
        f();
    }
    start.elapsed()
}

/// Interleaved rounds for `seconds`, at most 100,000 rounds: (median, q1, q3, rounds, median
/// tessera time per call).
fn paired(
    seconds: u64,
    batch: u32,
    mut tessera: impl FnMut(),
    mut floor: impl FnMut(),
) -> (f64, f64, f64, usize, Duration) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut ratios = Vec::new();
    let mut times = Vec::new();
    while Instant::now() < deadline && ratios.len() < 100_000 {
        let t = time(batch, &mut tessera);
        let f = time(batch, &mut floor);
        ratios.push(t.as_secs_f64() / f.as_secs_f64());
        times.push(t / batch);
    }
    ratios.sort_by(f64::total_cmp);
    times.sort();
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.25), at(0.75), ratios.len(), times[times.len() / 2])
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let rsa = Rsa::new();
    let ecdh = Ecdh::new();
    let dpop = Dpop::new();
    println!("| pair | rounds | tessera per call | tessera/floor (median, IQR) |");
    println!("|---|---:|---:|---:|");
    type Run<'a> = &'a dyn Fn() -> (f64, f64, f64, usize, Duration);
    let rows: [(&str, Run<'_>); 3] = [
        ("RSA-OAEP-256+A256GCM decrypt", &|| {
            paired(seconds, 2, || { black_box(rsa.tessera()); }, || { black_box(rsa.floor()); })
        }),
        ("ECDH-ES+A256KW+A256GCM decrypt", &|| {
            paired(seconds, 20, || { black_box(ecdh.tessera()); }, || { black_box(ecdh.floor()); })
        }),
        ("DPoP ES256 check vs one ES256 verify", &|| {
            paired(seconds, 20, || { black_box(dpop.tessera()); }, || { black_box(dpop.floor()); })
        }),
    ];
    for (name, run) in rows {
        let (median, q1, q3, rounds, per_call) = run();
        println!("| {name} | {rounds} | {per_call:?} | {median:.3}x ({q1:.3}–{q3:.3}) |");
    }
}
