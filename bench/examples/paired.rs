//! Interleaved ratios: a check of the criterion ratios that holds up on a shared, noisy machine.
//!
//! Criterion measures tessera-jose, jsonwebtoken, jwt-simple and the floor one after the other,
//! a few seconds each; when other work on the machine comes and goes, that alone can move a
//! ratio by more than the 5 % the targets allow. Here the four run in short alternating batches
//! (about 0.3 ms each, the order rotating every round), each round gives one ratio per pair,
//! and the median over all rounds is reported with its interquartile range. A batch slowed
//! down by a neighbour spoils one round, not the estimate.
//!
//!   cargo run --release --example paired [SECONDS_PER_ROW]   (default 4)
//!
//! Bounded: each row stops after SECONDS_PER_ROW or 20,000 rounds, whichever comes first.
//! tessera-jose verifies with `Validator::verify_view`; `TESSERA_VERIFY=owned` measures
//! `Validator::verify` instead, `TESSERA_VERIFY=typed` the view plus `deserialize` into a
//! borrowing struct of the claims a service reads (see `TesseraVerify`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use tessera_bench::{ALGORITHMS, AccessClaims, Fixture, TesseraVerify};
use tessera_jose::jwt;

const NAMES: [&str; 4] = ["tessera", "jsonwebtoken", "jwt-simple", "floor"];
const BATCH: Duration = Duration::from_micros(300);
const MAX_ROUNDS: usize = 20_000;

fn run(f: &Fixture, op: &str, who: usize, n: u32, how: TesseraVerify) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        match (op, who) {
            ("sign", 0) => drop(black_box(
                jwt::sign(black_box(&f.tessera_claims), &f.tessera_signing).expect("sign"),
            )),
            ("sign", 1) => drop(black_box(
                jsonwebtoken::encode(&f.jwt_header, black_box(&f.jwt_claims), &f.jwt_encoding)
                    .expect("sign"),
            )),
            ("sign", 2) => drop(black_box(
                f.simple_keys
                    .sign(black_box(&f.simple_claims).clone())
                    .expect("sign"),
            )),
            ("sign", _) => drop(black_box(f.floor.sign(black_box(&f.signing_input)))),
            (_, 0) => drop(black_box(f.tessera_verify(how))),
            (_, 1) => drop(black_box(
                jsonwebtoken::decode::<AccessClaims>(
                    black_box(&f.token),
                    &f.jwt_decoding,
                    &f.jwt_validation,
                )
                .expect("verify"),
            )),
            (_, 2) => drop(black_box(
                f.simple_keys
                    .verify(black_box(&f.token), f.simple_options.clone())
                    .expect("verify"),
            )),
            _ => assert!(
                f.floor
                    .verify(black_box(&f.signing_input), black_box(&f.signature))
            ),
        }
    }
    start.elapsed()
}

fn quartiles(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}

fn main() {
    let how = TesseraVerify::from_env();
    println!("tessera-jose verifies with {how:?} (TESSERA_VERIFY)");
    println!();
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4.0);
    println!(
        "| alg | op | rounds | tessera/floor | jsonwebtoken/floor | jwt-simple/floor \
         | tessera/jsonwebtoken | tessera/jwt-simple |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    // An optional second argument keeps only the listed algorithms (`HS256,RS256`), for
    // quick comparisons of one change.
    let only: Option<Vec<String>> = std::env::args()
        .nth(2)
        .map(|list| list.split(',').map(str::to_owned).collect());
    for alg in ALGORITHMS {
        if only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|name| *name == alg.to_string()))
        {
            continue;
        }
        let f = Fixture::new(alg);
        for op in ["sign", "verify"] {
            // Batch sizes: about BATCH of work each, from a short calibration.
            let counts: Vec<u32> = (0..4)
                .map(|who| {
                    run(&f, op, who, 3, how);
                    let per_op = run(&f, op, who, 5, how).as_secs_f64() / 5.0;
                    ((BATCH.as_secs_f64() / per_op).round() as u32).max(1)
                })
                .collect();
            let mut ratios: [Vec<f64>; 5] = Default::default();
            let deadline = Instant::now() + Duration::from_secs_f64(seconds);
            let mut rounds = 0;
            while rounds < MAX_ROUNDS && Instant::now() < deadline {
                let mut per_op = [0f64; 4];
                for k in 0..4 {
                    let who = (k + rounds) % 4;
                    per_op[who] =
                        run(&f, op, who, counts[who], how).as_secs_f64() / f64::from(counts[who]);
                }
                let [t, j, s, fl] = per_op;
                for (slot, value) in ratios
                    .iter_mut()
                    .zip([t / fl, j / fl, s / fl, t / j, t / s])
                {
                    slot.push(value);
                }
                rounds += 1;
            }
            let cells: Vec<String> = ratios
                .into_iter()
                .map(|r| {
                    let (low, mid, high) = quartiles(r);
                    format!("{mid:.3}x ({low:.3}–{high:.3})")
                })
                .collect();
            println!("| {alg} | {op} | {rounds} | {} |", cells.join(" | "));
        }
    }
    println!();
    println!(
        "Median over rounds of the per-round ratio (interquartile range in brackets); {} order \
         rotates each round; about {} µs per batch.",
        NAMES.join(", "),
        BATCH.as_micros()
    );
}
