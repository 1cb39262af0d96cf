//! Operations: `/healthz` (the process is up), `/readyz` (the store answers), `/metrics`
//! (Prometheus text) and `/openapi.json`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::Store;

use super::AppState;
use super::context::in_request;

/// The body of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` (`/healthz`), `ready` or `unavailable` (`/readyz`).
    pub status: HealthStatus,
}

/// What `/healthz` and `/readyz` say.
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The process serves.
    Ok,
    /// The store answers.
    Ready,
    /// The store does not answer.
    Unavailable,
}

impl Health {
    fn json(status: HealthStatus) -> Json<Self> {
        Json(Self { status })
    }
}

/// `GET /healthz`: 200 while the process serves.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "up: `{\"status\": \"ok\"}`", body = Health)))]
pub async fn healthz() -> Response {
    Health::json(HealthStatus::Ok).into_response()
}

/// `GET /readyz`: 200 when the store answers, else 503.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready: `{\"status\": \"ready\"}`", body = Health),
        (status = 503, description = "the store does not answer: `{\"status\": \"unavailable\"}`", body = Health)))]
#[tracing::instrument(skip_all)]
pub async fn readyz<S: Store>(State(state): State<AppState<S>>) -> Response {
    match state.authority().ping().await {
        Ok(()) => Health::json(HealthStatus::Ready).into_response(),
        Err(err) => {
            in_request(
                || tracing::warn!(cause = %super::error::chain(&err), "not ready: store ping failed"),
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Health::json(HealthStatus::Unavailable),
            )
                .into_response()
        }
    }
}

/// `GET /metrics`: the Prometheus text exposition (behind `server.metrics_token` when set;
/// 404 here when `server.metrics_listen` serves it elsewhere).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String),
        (status = 401, description = "invalid_token: the metrics token is required", body = crate::http::error::ErrorBody),
        (status = 404, description = "served on the metrics listener", body = crate::http::error::ErrorBody)))]
pub async fn metrics<S: Store>(State(state): State<AppState<S>>, headers: HeaderMap) -> Response {
    if let Err(err) = state.limits().metrics().admit(&headers, true) {
        return err.into_response();
    }
    render_metrics(state.metrics())
}

/// The Prometheus text of `metrics` as a response.
pub(crate) fn render_metrics(metrics: &crate::metrics::Metrics) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
        )],
        metrics.render(),
    )
        .into_response()
}

/// `GET /openapi.json`: this API's OpenAPI 3.1 document, generated from the handlers.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        crate::openapi::document_json(),
    )
        .into_response()
}
