//! A fixed amount of one operation, for profilers (callgrind, perf):
//!
//!   profile <ALG> <sign|verify> <tessera|jsonwebtoken|jwt-simple|floor> [ITERATIONS]
//!
//! The fixture (key generation and parsing) runs first; compare against ITERATIONS=0 to
//! subtract it. `tessera` verifies as `TESSERA_VERIFY` says (`view`, the default; `owned`;
//! `typed`: see `TesseraVerify`).

use std::hint::black_box;

use tessera_bench::{ALGORITHMS, AccessClaims, Fixture, TesseraVerify};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: profile <ALG> <sign|verify> <tessera|jsonwebtoken|jwt-simple|floor> [N]";
    let (Some(alg), Some(op), Some(who)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let n: u64 = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let Some(alg) = ALGORITHMS.into_iter().find(|a| a.as_str() == alg) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let f = Fixture::new(alg);
    let how = TesseraVerify::from_env();
    for _ in 0..n {
        match (op.as_str(), who.as_str()) {
            ("sign", "tessera") => drop(black_box(tessera_jose::jwt::sign(
                black_box(&f.tessera_claims),
                &f.tessera_signing,
            ))),
            ("sign", "jsonwebtoken") => drop(black_box(jsonwebtoken::encode(
                &f.jwt_header,
                black_box(&f.jwt_claims),
                &f.jwt_encoding,
            ))),
            ("sign", "jwt-simple") => drop(black_box(
                f.simple_keys.sign(black_box(&f.simple_claims).clone()),
            )),
            ("sign", "floor") => drop(black_box(f.floor.sign(black_box(&f.signing_input)))),
            ("verify", "tessera") => drop(black_box(f.tessera_verify(how))),
            ("verify", "jsonwebtoken") => drop(black_box(
                jsonwebtoken::decode::<AccessClaims>(
                    black_box(&f.token),
                    &f.jwt_decoding,
                    &f.jwt_validation,
                )
                .expect("verify"),
            )),
            ("verify", "jwt-simple") => drop(black_box(
                f.simple_keys
                    .verify(black_box(&f.token), f.simple_options.clone())
                    .expect("verify"),
            )),
            ("verify", "floor") => assert!(
                f.floor
                    .verify(black_box(&f.signing_input), black_box(&f.signature))
            ),
            _ => {
                eprintln!("{usage}");
                std::process::exit(2);
            }
        }
    }
}
