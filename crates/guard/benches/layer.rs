//! The whole per-request path of a guarded route with a token seen before (a verified-token
//! cache hit), against the same service without the layer: a tower `Service` call with the
//! same request, in process, no network. What this measures is what the guard adds to a
//! request on its hot path.
//!
//! Interleaved like `paired.rs` (short batches of each contender alternate, the median of
//! the per-round ratios is reported), so it can run on a busy machine:
//!
//! `cargo bench -p tessera-guard --bench layer` (ROUNDS, BATCH to change the sizes)
//!
//! For instruction counts, which do not depend on the machine's load, run the binary under
//! callgrind with `CALLGRIND=1` (a fixed number of calls, no timing) and read the inclusive
//! cost of `open_calls` and `guarded_calls`.

#![allow(missing_docs)]

use std::convert::Infallible;
use std::hint::black_box;

use http::{HeaderValue, Request, Response};
use tessera_guard::Guard;
use tessera_jose::{Algorithm, KeySet};
use tokio::runtime::Runtime;
use tower::{Layer as _, Service, ServiceExt as _};

mod common;
mod interleave;

use common::{AUDIENCE, ISSUER};
use interleave::{env, pair};

fn main() {
    let rounds = env("ROUNDS", 60);
    let batch = env("BATCH", 2_000);
    let callgrind = std::env::var_os("CALLGRIND").is_some();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    if !callgrind {
        println!(
            "| comparison | open per call | guarded per call | guard adds | guarded / open (median of {rounds} rounds) |"
        );
        println!("|---|---:|---:|---:|---:|");
    }
    for alg in [Algorithm::ES256, Algorithm::EdDSA] {
        let route = Route::new(&runtime, alg);
        if callgrind {
            open_calls(&runtime, &route, batch);
            guarded_calls(&runtime, &route, batch);
            continue;
        }
        let (open, guarded, ratio) = pair(
            rounds,
            batch,
            |n| open_calls(&runtime, &route, n),
            |n| guarded_calls(&runtime, &route, n),
        );
        println!(
            "| {} tower call, open vs guarded (token seen before) | {} | {} | {} | {ratio:.3} |",
            alg.as_str(),
            shown(open),
            shown(guarded),
            shown(guarded - open),
        );
    }
}

/// The handler both services run: a small fixed body.
type Handler = tower::util::ServiceFn<
    fn(Request<String>) -> std::future::Ready<Result<Response<String>, Infallible>>,
>;

fn handler() -> Handler {
    fn orders(_: Request<String>) -> std::future::Ready<Result<Response<String>, Infallible>> {
        std::future::ready(Ok(Response::new(String::from("[]"))))
    }
    tower::service_fn(orders as fn(_) -> _)
}

/// The same handler open and behind a guard whose cache already holds the token.
struct Route {
    bearer: HeaderValue,
    guard: Guard,
}

impl Route {
    fn new(runtime: &Runtime, alg: Algorithm) -> Self {
        let (key, token) = common::signed_access_token(alg);
        let mut keys = KeySet::default();
        keys.push(key.verifying_key().expect("public"))
            .expect("push");
        let guard = runtime.block_on(async {
            Guard::builder()
                .keys(keys)
                .expected_issuer(ISSUER)
                .audience(AUDIENCE)
                .build()
                .await
                .expect("guard")
        });
        let bearer = HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
        let route = Self { bearer, guard };
        // The first call verifies the signature and fills the cache; the rest are hits.
        guarded_calls(runtime, &route, 1);
        route
    }

    fn request(&self) -> Request<String> {
        let mut request = Request::new(String::new());
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, self.bearer.clone());
        request
    }
}

#[inline(never)]
fn open_calls(runtime: &Runtime, route: &Route, n: usize) {
    let mut service = handler();
    runtime.block_on(async {
        for _ in 0..n {
            let ready = service.ready().await.expect("ready");
            let response = ready.call(black_box(route.request())).await;
            assert_eq!(response.expect("infallible").status(), 200);
        }
    });
}

#[inline(never)]
fn guarded_calls(runtime: &Runtime, route: &Route, n: usize) {
    let mut service = route
        .guard
        .layer()
        .require_scope("orders:read")
        .layer(handler());
    runtime.block_on(async {
        for _ in 0..n {
            let ready = service.ready().await.expect("ready");
            let response = ready.call(black_box(route.request())).await;
            assert_eq!(response.expect("infallible").status(), 200);
        }
    });
}

fn shown(secs: f64) -> String {
    if secs < 1e-6 {
        format!("{:.1} ns", secs * 1e9)
    } else {
        format!("{:.2} µs", secs * 1e6)
    }
}
