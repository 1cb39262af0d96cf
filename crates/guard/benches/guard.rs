//! The guard's per-request check against a bare `tessera-jose` verify with the same checks,
//! a DPoP-bound request against a bearer one, and the revoked-set lookup with no entry
//! against a million.
//!
//! `cargo bench -p tessera-guard --bench guard` (`-- dpop` for the DPoP group only)

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method, Uri};
use tessera_guard::{Guard, RevokedSet};
use tessera_jose::{Algorithm, KeySet, SigningKey, Validator, dpop, jwt};
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

/// The public URL of the DPoP guard, and the request's path under it.
const PUBLIC: &str = "https://api.example.com";
const PATH: &str = "/orders";

/// A request to a guard accepting DPoP, its token seen before (the usual case: a client
/// sends one token many times), as `Bearer` with a plain token and as `DPoP` with a bound
/// one and a fresh proof (made outside the timing: a client's cost, not the guard's). The
/// difference is the proof check: a signature with the proof's key, its claims, `ath`, the
/// thumbprint, and the replay cache.
fn dpop(c: &mut Criterion) {
    let runtime = Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("dpop");
    let method = Method::GET;
    let uri: Uri = PATH.parse().expect("uri");
    let url = format!("{PUBLIC}{PATH}");
    for proof_alg in [Algorithm::ES256, Algorithm::EdDSA] {
        let client = SigningKey::generate(proof_alg).expect("key");
        let jkt = client.verifying_key().expect("public").thumbprint();
        let (key, bound) = common::access_token(Algorithm::ES256, Some(&jkt));
        let plain = common::sign_access_token(&key, None);
        let guard = dpop_guard(&runtime, &key);
        let name = proof_alg.as_str();
        let bearer = headers(&format!("Bearer {plain}"), None);
        group.bench_function(BenchmarkId::new("bearer_seen_before", name), |b| {
            b.to_async(&runtime).iter(|| async {
                guard
                    .authenticate_request(&method, &uri, black_box(&bearer))
                    .await
                    .expect("valid")
            });
        });
        let authorization = format!("DPoP {bound}");
        let fresh = || {
            let proof = dpop::proof(&client, "GET", &url)
                .access_token(&bound)
                .sign();
            headers(&authorization, Some(&proof.expect("proof")))
        };
        group.bench_function(BenchmarkId::new("dpop_seen_before", name), |b| {
            b.to_async(&runtime).iter_batched(
                fresh,
                |request| {
                    let (guard, method, uri) = (&guard, &method, &uri);
                    async move {
                        let token = guard.authenticate_request(method, uri, &request).await;
                        token.expect("valid")
                    }
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

fn dpop_guard(runtime: &Runtime, key: &SigningKey) -> Guard {
    let mut keys = KeySet::default();
    keys.push(key.verifying_key().expect("public"))
        .expect("push");
    runtime.block_on(async {
        Guard::builder()
            .keys(keys)
            .expected_issuer(ISSUER)
            .audience(AUDIENCE)
            .public_url(PUBLIC)
            .build()
            .await
            .expect("guard")
    })
}

fn headers(authorization: &str, proof: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = |text: &str| HeaderValue::from_str(text).expect("header");
    headers.insert("authorization", value(authorization));
    if let Some(proof) = proof {
        headers.insert("dpop", value(proof));
    }
    headers
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

criterion_group!(benches, check, dpop, revoked);
criterion_main!(benches);
