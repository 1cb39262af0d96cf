//! Per-request telemetry: a span per request with the route pattern (never the raw path or
//! query, which could hold a token) and the client's address (see [`super::ClientIp`]),
//! counted in the metrics with its status and latency.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use super::ClientIp;
use crate::metrics::Metrics;

/// Records the request in the metrics and logs its completion at DEBUG.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().as_str().to_owned();
    let client_ip = request
        .extensions()
        .get::<ClientIp>()
        .and_then(|ip| ip.0)
        .map_or_else(|| "-".to_owned(), |ip| ip.to_string());
    let started = Instant::now();
    let span = tracing::info_span!("request", %method, %route, %client_ip);
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics.record_request(&route, &method, status, elapsed);
    span.in_scope(|| {
        tracing::debug!(
            status,
            elapsed_ms = elapsed.as_millis() as u64,
            "request done"
        );
    });
    response
}
