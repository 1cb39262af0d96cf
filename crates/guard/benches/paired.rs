//! Interleaved measurement of the same comparisons as `guard.rs`, for a busy machine: short
//! batches of each contender alternate, so a change in load hits both alike, and the median
//! of the per-round ratios is reported.
//!
//! `cargo bench -p tessera-guard --bench paired` (ROUNDS, BATCH to change the sizes)

#![allow(missing_docs)]

use std::hint::black_box;

use tessera_guard::Guard;
use tessera_jose::{Algorithm, KeySet, SigningKey, Validator, jwt};
use tokio::runtime::Runtime;

mod common;
mod interleave;

use common::{AUDIENCE, ISSUER};
use interleave::{env, pair};

fn main() {
    let rounds = env("ROUNDS", 60);
    let batch = env("BATCH", 100);
    let runtime = Runtime::new().expect("runtime");
    println!("| comparison | A per op | B per op | B / A (median of {rounds} rounds) |");
    println!("|---|---:|---:|---:|");
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        let f = setup(&runtime, alg);
        let jose = |n| {
            for _ in 0..n {
                jwt::verify(black_box(&f.token), &f.keys, &f.validator).expect("valid");
            }
        };
        // One `block_on` per batch, as a server's task runs many checks per wake-up.
        let guarded = |n| {
            runtime.block_on(async {
                for _ in 0..n {
                    f.guard.verify(black_box(&f.token)).await.expect("valid");
                }
            });
        };
        let name = format!("{} jose verify (A) vs guard full check (B)", alg.as_str());
        report(&name, pair(rounds, batch, jose, guarded));
        let cached = |n| {
            runtime.block_on(async {
                for _ in 0..n {
                    f.cached.verify(black_box(&f.token)).await.expect("valid");
                }
            });
        };
        let name = format!(
            "{} jose verify (A) vs guard, token seen before (B)",
            alg.as_str()
        );
        report(&name, pair(rounds, batch, jose, cached));
    }
    let f = setup(&runtime, Algorithm::ES256);
    let (token, empty) = (&f.token, &f.guard);
    // A second guard over the same key, so both verify the same token the same way.
    let (_, _, full) = verifiers(&runtime, &f.key, 0);
    for i in 0..1_000_000u32 {
        full.revocations()
            .insert(&format!("revoked-{i:08}"), 4_102_444_800);
    }
    let check = |guard: &Guard, n| {
        runtime.block_on(async {
            for _ in 0..n {
                guard.verify(black_box(token)).await.expect("valid");
            }
        });
    };
    report(
        "ES256 guard verify, revoked set empty (A) vs 1,000,000 entries (B)",
        pair(rounds, batch, |n| check(empty, n), |n| check(&full, n)),
    );
    report(
        "ES256 axum route in process, open (A) vs guarded, token seen before (B)",
        routes(&runtime, &f, rounds, batch * 10),
    );
    let probe = "b7e3f1a2c4d5e6f7a8b9c0d1e2f3a4b5";
    let (empty_set, full_set) = (empty.revocations(), full.revocations());
    report(
        "revoked-set lookup, empty (A) vs 1,000,000 entries (B)",
        pair(
            rounds,
            batch * 100,
            |n| {
                for _ in 0..n {
                    black_box(empty_set.contains(black_box(probe)));
                }
            },
            |n| {
                for _ in 0..n {
                    black_box(full_set.contains(black_box(probe)));
                }
            },
        ),
    );
}

/// The same handler served open and behind the guard, called through the router in process
/// (no network), with the same request.
fn routes(runtime: &Runtime, f: &Fixture, rounds: usize, batch: usize) -> (f64, f64, f64) {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt as _;

    let handler = || async { "[]" };
    let app = Router::new().route("/open", get(handler)).route(
        "/guarded",
        get(handler).route_layer(f.cached.layer().require_scope("orders:read")),
    );
    let bearer = format!("Bearer {}", f.token);
    let call = |path: &'static str, n: usize| {
        runtime.block_on(async {
            for _ in 0..n {
                let request = Request::get(path)
                    .header("authorization", bearer.as_str())
                    .body(Body::empty())
                    .expect("request");
                let response = app.clone().oneshot(request).await.expect("infallible");
                assert_eq!(response.status(), 200);
            }
        });
    };
    pair(rounds, batch, |n| call("/open", n), |n| call("/guarded", n))
}

fn report(name: &str, (a, b, ratio): (f64, f64, f64)) {
    println!("| {name} | {} | {} | {ratio:.3} |", shown(a), shown(b));
}

fn shown(secs: f64) -> String {
    if secs < 1e-6 {
        format!("{:.1} ns", secs * 1e9)
    } else {
        format!("{:.2} µs", secs * 1e6)
    }
}

struct Fixture {
    token: String,
    key: SigningKey,
    keys: KeySet,
    validator: Validator,
    /// Verified-token cache off: every call is the full check.
    guard: Guard,
    /// Verified-token cache on (the default).
    cached: Guard,
}

fn setup(runtime: &Runtime, alg: Algorithm) -> Fixture {
    let (key, token) = common::signed_access_token(alg);
    let (keys, validator, guard) = verifiers(runtime, &key, 0);
    let (_, _, cached) = verifiers(runtime, &key, 10_000);
    Fixture {
        token,
        key,
        keys,
        validator,
        guard,
        cached,
    }
}

fn verifiers(runtime: &Runtime, key: &SigningKey, cache: usize) -> (KeySet, Validator, Guard) {
    let keys = || {
        let mut set = KeySet::default();
        set.push(key.verifying_key().expect("public"))
            .expect("push");
        set
    };
    let validator = Validator::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .typ("at+jwt")
        .require("sub")
        .require("jti")
        .require("iat")
        .require("client_id")
        .build();
    let guard = runtime.block_on(async {
        Guard::builder()
            .keys(keys())
            .expected_issuer(ISSUER)
            .audience(AUDIENCE)
            .verified_cache_capacity(cache)
            .build()
            .await
            .expect("guard")
    });
    (keys(), validator, guard)
}
