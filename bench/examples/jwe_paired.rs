//! JWE decryption and DPoP checks, interleaved: each round runs a batch of tessera-jose, then a
//! batch of the other side, and the ratio of each round is kept, so that load which comes and
//! goes hits both alike. The other side is the aws-lc-rs floor (`tessera/floor` rows) or
//! jwt-simple decrypting the same token, its claims deserialized and its times checked on both
//! sides (`tessera/jwt-simple` rows; `jwe_fixtures.rs` says what each side does). Prints, per
//! pair, the median ratio and its interquartile range, and each side's median time per call.
//!
//!     target/release/examples/jwe_paired [SECONDS_PER_PAIR]   (default 5)

use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "../benches/jwe_fixtures.rs"]
mod jwe_fixtures;

use jwe_fixtures::{Dpop, Ecdh, Peer, Rsa};

/// Times `batch` calls of `f`.
fn time(batch: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..batch {
        f();
    }
    start.elapsed()
}

/// What one pair's interleaved rounds give.
struct Paired {
    median: f64,
    q1: f64,
    q3: f64,
    rounds: usize,
    /// Median tessera time per call.
    tessera: Duration,
    /// Median time per call of the other side.
    other: Duration,
}

/// Interleaved rounds for `seconds`, at most 100,000 rounds.
fn paired(seconds: u64, batch: u32, mut tessera: impl FnMut(), mut other: impl FnMut()) -> Paired {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut ratios = Vec::new();
    let mut tessera_times = Vec::new();
    let mut other_times = Vec::new();
    while Instant::now() < deadline && ratios.len() < 100_000 {
        let t = time(batch, &mut tessera);
        let o = time(batch, &mut other);
        ratios.push(t.as_secs_f64() / o.as_secs_f64());
        tessera_times.push(t / batch);
        other_times.push(o / batch);
    }
    ratios.sort_by(f64::total_cmp);
    tessera_times.sort();
    other_times.sort();
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q) as usize];
    Paired {
        median: at(0.5),
        q1: at(0.25),
        q3: at(0.75),
        rounds: ratios.len(),
        tessera: tessera_times[tessera_times.len() / 2],
        other: other_times[other_times.len() / 2],
    }
}

/// Calls per batch for a tessera/jwt-simple pair: a batch takes roughly a millisecond.
fn peer_batch(pair: &Peer) -> u32 {
    if pair.name.starts_with("RSA") {
        2
    } else if pair.name.starts_with("ECDH") {
        20
    } else {
        200
    }
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let rsa = Rsa::new();
    let ecdh = Ecdh::new();
    let dpop = Dpop::new();
    let peers = Peer::all();
    println!("| pair | rounds | tessera per call | other per call | ratio (median, IQR) |");
    println!("|---|---:|---:|---:|---:|");
    type Run<'a> = Box<dyn Fn() -> Paired + 'a>;
    let mut rows: Vec<(String, Run<'_>)> = vec![
        (
            "RSA-OAEP-256+A256GCM decrypt: tessera/floor".into(),
            Box::new(|| {
                paired(
                    seconds,
                    2,
                    || {
                        black_box(rsa.tessera());
                    },
                    || {
                        black_box(rsa.floor());
                    },
                )
            }),
        ),
        (
            "ECDH-ES+A256KW+A256GCM decrypt: tessera/floor".into(),
            Box::new(|| {
                paired(
                    seconds,
                    20,
                    || {
                        black_box(ecdh.tessera());
                    },
                    || {
                        black_box(ecdh.floor());
                    },
                )
            }),
        ),
        (
            "DPoP ES256 check vs one ES256 verify: tessera/floor".into(),
            Box::new(|| {
                paired(
                    seconds,
                    20,
                    || {
                        black_box(dpop.tessera());
                    },
                    || {
                        black_box(dpop.floor());
                    },
                )
            }),
        ),
    ];
    for pair in &peers {
        rows.push((
            format!("{} decrypt: tessera/jwt-simple", pair.name),
            Box::new(move || {
                paired(
                    seconds,
                    peer_batch(pair),
                    || {
                        black_box(pair.tessera());
                    },
                    || {
                        black_box(pair.jwt_simple());
                    },
                )
            }),
        ));
    }
    for (name, run) in rows {
        let Paired {
            median,
            q1,
            q3,
            rounds,
            tessera,
            other,
        } = run();
        println!(
            "| {name} | {rounds} | {tessera:?} | {other:?} | {median:.3}x ({q1:.3}–{q3:.3}) |"
        );
    }
}
