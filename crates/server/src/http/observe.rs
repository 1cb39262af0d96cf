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
    // Cheap clones (a shared string, a method without allocation): nothing is formatted
    // unless a subscriber records the span.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = request.method().clone();
    let client_ip = request.extensions().get::<ClientIp>().and_then(|ip| ip.0);
    let started = Instant::now();
    let span = tracing::info_span!(
        "request",
        %method,
        route,
        client_ip = tracing::field::display(Ip(client_ip))
    );
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics.record_request(route, method.as_str(), status, elapsed);
    span.in_scope(|| {
        tracing::debug!(
            status,
            elapsed_ms = elapsed.as_millis() as u64,
            "request done"
        );
    });
    response
}

/// The client's address in the log, `-` when unknown.
struct Ip(Option<std::net::IpAddr>);

impl std::fmt::Display for Ip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => f.write_str("-"),
        }
    }
}
