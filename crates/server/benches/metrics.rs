//! What the metrics cost a request: recording one finished request in the registry (what the
//! request envelope does once per request), and a whole `GET /healthz` through the router,
//! envelope included, as a tower call in process (no network).
//!
//! `cargo bench -p tessera-server --bench metrics`
//!
//! For instruction counts, which do not depend on the machine's load, run the bench binary
//! under callgrind with `CALLGRIND=1` (a fixed number of calls, `CALLS`, no timing) and read
//! the inclusive cost of `record_calls` and `healthz_calls`:
//!
//! `CALLGRIND=1 valgrind --tool=callgrind target/release/deps/metrics-<hash>`

#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::Criterion;
use tessera_core::{Authority, Config, MasterKey, PasswordPolicy, SystemClock};
use tessera_jose::Algorithm;
use tessera_server::http::{AppState, app};
use tessera_server::metrics::{MethodLabel, Metrics, RouteLabel};
use tessera_server::throttle::{Throttle, ThrottleConfig};
use tessera_store::SqliteStore;
use tokio::runtime::Runtime;
use tower::ServiceExt as _;

/// The routes one request of each is recorded for, as a busy server sees them.
const ROUTES: [&str; 4] = [
    "/healthz",
    "/oauth/token",
    "/userinfo",
    "/.well-known/jwks.json",
];

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let router = runtime.block_on(router());
    let metrics = warm_metrics();
    if std::env::var_os("CALLGRIND").is_some() {
        let calls = std::env::var("CALLS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        record_calls(&metrics, calls);
        healthz_calls(&runtime, &router, calls);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    criterion.bench_function("metrics/record_request", |b| {
        b.iter(|| record_calls(&metrics, 1));
    });
    criterion.bench_function("metrics/healthz_request", |b| {
        b.iter(|| healthz_calls(&runtime, &router, 1));
    });
    criterion.final_summary();
}

/// A registry that has seen every route, method and status it is asked to record (the
/// steady state of a running server).
fn warm_metrics() -> Metrics {
    let metrics = Metrics::new();
    record_calls(&metrics, ROUTES.len());
    metrics
}

/// Records `n` requests, cycling through [`ROUTES`].
#[inline(never)]
fn record_calls(metrics: &Metrics, n: usize) {
    for i in 0..n {
        let route = ROUTES[i % ROUTES.len()];
        metrics.record_request(
            black_box(RouteLabel::named(route)),
            black_box(MethodLabel::Get),
            black_box(200),
            black_box(Duration::from_micros(180)),
        );
    }
}

/// Sends `n` `GET /healthz` through the router and drops the responses.
#[inline(never)]
fn healthz_calls(runtime: &Runtime, router: &Router, n: usize) {
    runtime.block_on(async {
        for _ in 0..n {
            let request = Request::get("/healthz")
                .body(Body::empty())
                .expect("request");
            let response = router.clone().oneshot(request).await.expect("infallible");
            assert_eq!(response.status(), StatusCode::OK);
            black_box(response);
        }
    });
}

/// The router over an in-memory store, as the tests build it.
async fn router() -> Router {
    let mut config = Config::new("http://127.0.0.1:8080");
    config.passwords = PasswordPolicy::new(256, 1, 1);
    config.rotation.algorithm = Algorithm::ES256;
    let store = SqliteStore::in_memory().await.expect("in-memory store");
    let master = MasterKey::generate().expect("master key");
    let authority = Authority::start(config, store, master, Arc::new(SystemClock))
        .await
        .expect("authority");
    let state = AppState::new(
        Arc::new(authority),
        Arc::new(Throttle::new(ThrottleConfig::default())),
        Arc::new(Metrics::new()),
    );
    app(state)
}
