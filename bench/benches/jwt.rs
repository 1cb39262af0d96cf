//! Signing and verifying a typical access token with tessera-jose, jsonwebtoken, jwt-simple
//! and the bare aws-lc-rs primitive (the floor), per algorithm, in one run.
//!
//! Groups are `<ALG>-sign` and `<ALG>-verify`; functions are `tessera`, `jsonwebtoken`,
//! `jwt-simple` and `floor`. Keys, claims, validators and the token to verify are built once,
//! outside the timed loops. Verification includes the claim checks (exp, iss, aud) for the
//! three libraries; the floor checks the signature only. tessera-jose verifies with
//! `Validator::verify_view`, what a service that reads a few claims per request uses.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_bench::{ALGORITHMS, AccessClaims, Fixture, TesseraVerify};
use tessera_jose::jwt;

fn bench(c: &mut Criterion) {
    for alg in ALGORITHMS {
        let f = Fixture::new(alg);

        let mut group = c.benchmark_group(format!("{alg}-sign"));
        group.bench_function("tessera", |b| {
            b.iter(|| jwt::sign(black_box(&f.tessera_claims), &f.tessera_signing).expect("sign"))
        });
        group.bench_function("jsonwebtoken", |b| {
            b.iter(|| {
                jsonwebtoken::encode(&f.jwt_header, black_box(&f.jwt_claims), &f.jwt_encoding)
                    .expect("sign")
            })
        });
        group.bench_function("jwt-simple", |b| {
            // jwt-simple takes the claims by value: the clone is part of using its API.
            b.iter(|| {
                f.simple_keys
                    .sign(black_box(&f.simple_claims).clone())
                    .expect("sign")
            })
        });
        group.bench_function("floor", |b| {
            b.iter(|| f.floor.sign(black_box(&f.signing_input)))
        });
        group.finish();

        let mut group = c.benchmark_group(format!("{alg}-verify"));
        group.bench_function("tessera", |b| {
            b.iter(|| f.tessera_verify(TesseraVerify::View))
        });
        group.bench_function("jsonwebtoken", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<AccessClaims>(
                    black_box(&f.token),
                    &f.jwt_decoding,
                    &f.jwt_validation,
                )
                .expect("verify")
            })
        });
        group.bench_function("jwt-simple", |b| {
            // jwt-simple takes the options by value: the clone is part of using its API.
            b.iter(|| {
                f.simple_keys
                    .verify(black_box(&f.token), f.simple_options.clone())
                    .expect("verify")
            })
        });
        group.bench_function("floor", |b| {
            b.iter(|| {
                assert!(
                    f.floor
                        .verify(black_box(&f.signing_input), black_box(&f.signature))
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
