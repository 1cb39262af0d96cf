//! The guard's per-request check against a bare `tessera-jose` verify with the same checks,
//! and the revoked-set lookup with no entry against a million.
//!
//! `cargo bench -p tessera-guard --bench guard`

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue};
use tessera_guard::{Guard, RevokedSet};
use tessera_jose::{Algorithm, KeySet, Validator, jwt};
use tokio::runtime::Runtime;

mod common;

use common::{AUDIENCE, ISSUER};

struct Fixture {
    token: String,
    keys: KeySet,
    validator: Validator,
    /// The verified-token cache off: every call is the full check.
    guard: Guard,
    /// The cache on (the default): a token seen before skips the signature.
    cached: Guard,
}

fn fixture(runtime: &Runtime, alg: Algorithm) -> Fixture {
    let (key, token) = common::signed_access_token(alg);
    let keys = || {
        let mut set = KeySet::default();
        set.push(key.verifying_key().expect("public"))
            .expect("push");
        set
    };
    // The same checks the guard makes, done by hand with the bare library.
    let validator = Validator::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .typ("at+jwt")
        .require("sub")
        .require("jti")
        .require("iat")
        .require("client_id")
        .build();
    let guard_with = |capacity| {
        runtime.block_on(async {
            Guard::builder()
                .keys(keys())
                .expected_issuer(ISSUER)
                .audience(AUDIENCE)
                .verified_cache_capacity(capacity)
                .build()
                .await
                .expect("guard")
        })
    };
    Fixture {
        token,
        keys: keys(),
        validator,
        guard: guard_with(0),
        cached: guard_with(10_000),
    }
}

fn check(c: &mut Criterion) {
    let runtime = Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("check");
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        let f = fixture(&runtime, alg);
        let name = alg.as_str();
        group.bench_function(BenchmarkId::new("jose_verify", name), |b| {
            b.iter(|| jwt::verify(black_box(&f.token), &f.keys, &f.validator).expect("valid"));
        });
        group.bench_function(BenchmarkId::new("guard_verify", name), |b| {
            b.to_async(&runtime)
                .iter(|| async { f.guard.verify(black_box(&f.token)).await.expect("valid") });
        });
        group.bench_function(BenchmarkId::new("guard_verify_seen_before", name), |b| {
            b.to_async(&runtime)
                .iter(|| async { f.cached.verify(black_box(&f.token)).await.expect("valid") });
        });
        let mut headers = HeaderMap::new();
        let bearer = format!("Bearer {}", f.token);
        headers.insert(
            "authorization",
            HeaderValue::from_str(&bearer).expect("header"),
        );
        group.bench_function(BenchmarkId::new("guard_authenticate", name), |b| {
            b.to_async(&runtime).iter(|| async {
                f.guard
                    .authenticate(black_box(&headers))
                    .await
                    .expect("valid")
            });
        });
    }
    group.finish();
}

fn revoked(c: &mut Criterion) {
    let runtime = Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("revoked");
    let empty = RevokedSet::new(60);
    let full = RevokedSet::new(60);
    fill(&full);
    let probe = "b7e3f1a2c4d5e6f7a8b9c0d1e2f3a4b5";
    group.bench_function("lookup/empty", |b| {
        b.iter(|| empty.contains(black_box(probe)))
    });
    group.bench_function("lookup/1M", |b| b.iter(|| full.contains(black_box(probe))));
    group.bench_function("lookup_hit/1M", |b| {
        b.iter(|| full.contains(black_box("revoked-00500000")));
    });
    // The whole check with the set empty and with a million entries.
    let f = fixture(&runtime, Algorithm::ES256);
    group.bench_function("guard_verify_ES256/empty", |b| {
        b.to_async(&runtime)
            .iter(|| async { f.guard.verify(black_box(&f.token)).await.expect("valid") });
    });
    fill(f.guard.revocations());
    group.bench_function("guard_verify_ES256/1M", |b| {
        b.to_async(&runtime)
            .iter(|| async { f.guard.verify(black_box(&f.token)).await.expect("valid") });
    });
    group.finish();
}

fn fill(set: &RevokedSet) {
    for i in 0..1_000_000u32 {
        set.insert(&format!("revoked-{i:08}"), 4_102_444_800);
    }
}

criterion_group!(benches, check, revoked);
criterion_main!(benches);
