//! Who may read `/metrics`, which shows security counters an attacker could watch: by
//! default anyone who reaches the main listener (a loopback address unless configured
//! otherwise), as before. With `server.metrics_token` a scrape must carry that bearer token;
//! with `server.metrics_listen` the metrics are served on a listener of their own (a private
//! address or port) and the main listener answers 404 for them.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse as _;
use axum::routing::get;
use tessera_core::Store;

use super::error::ApiError;
use super::{AppState, ops};
use crate::connections::{ConnectionLimits, Handle, serve_plain};

/// `server.metrics_listen` and `server.metrics_token`.
#[derive(Clone, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct MetricsSettings {
    /// `metrics_listen`: serve `/metrics` on this address instead of the main listener.
    pub listen: Option<SocketAddr>,
    /// `metrics_token`: the bearer token a scrape must carry (at least 16 characters).
    pub token: Option<String>,
}

impl std::fmt::Debug for MetricsSettings {
    /// Never the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl MetricsSettings {
    /// The access rule these settings make.
    pub fn access(&self) -> MetricsAccess {
        MetricsAccess::new(self.token.as_deref(), self.listen.is_some())
    }

    /// Binds `metrics_listen` when set and serves the metrics there (plain HTTP: loopback,
    /// or anywhere with `allow_plain_http`); the bound address and the task.
    ///
    /// # Errors
    /// The address is not loopback without `allow_plain_http`, or cannot be bound.
    pub fn start<S: Store>(
        &self,
        state: AppState<S>,
        limits: ConnectionLimits,
        allow_plain_http: bool,
    ) -> Result<Option<(SocketAddr, tokio::task::JoinHandle<()>)>, String> {
        let Some(address) = self.listen else {
            return Ok(None);
        };
        if !address.ip().is_loopback() && !allow_plain_http {
            return Err(format!(
                "refusing to serve the metrics over plain HTTP on {address}, which is not \
                 loopback; set server.allow_plain_http = true on a private network"
            ));
        }
        let listener = TcpListener::bind(address)
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|err| format!("cannot listen for metrics on {address}: {err}"))?;
        let bound = listener
            .local_addr()
            .map_err(|err| format!("cannot read the metrics address: {err}"))?;
        let task = spawn_listener(listener, state, self.access(), limits, Handle::new());
        Ok(Some((bound, task)))
    }
}

/// How `/metrics` is reached.
#[derive(Clone, Default)]
pub struct MetricsAccess {
    token: Option<Arc<str>>,
    separate: bool,
}

impl std::fmt::Debug for MetricsAccess {
    /// Never the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsAccess")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("separate", &self.separate)
            .finish()
    }
}

impl MetricsAccess {
    /// Scrapes need `Authorization: Bearer <token>` when `token` is given; with `separate`
    /// the main listener does not serve the metrics (a listener of their own does).
    pub fn new(token: Option<&str>, separate: bool) -> Self {
        Self {
            token: token.map(Arc::from),
            separate,
        }
    }

    /// Checks a scrape on the main listener (`on_main`) or the metrics listener.
    ///
    /// # Errors
    /// 404 on the main listener when the metrics have their own; 401 `invalid_token`
    /// without the configured token.
    pub fn admit(&self, headers: &HeaderMap, on_main: bool) -> Result<(), ApiError> {
        if on_main && self.separate {
            return Err(ApiError::not_found());
        }
        let Some(expected) = &self.token else {
            return Ok(());
        };
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .unwrap_or("");
        if same(given.as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(ApiError::invalid_token("the metrics token is required"))
        }
    }
}

/// Compares in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, byte) in b.iter().enumerate() {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ byte);
    }
    diff == 0
}

/// The router of the metrics listener: `/metrics` only, under `access`.
pub fn metrics_app<S: Store>(state: AppState<S>, access: MetricsAccess) -> Router {
    let scrape = move |State(state): State<AppState<S>>, headers: HeaderMap| {
        let admitted = access.admit(&headers, false);
        async move {
            match admitted {
                Ok(()) => ops::render_metrics(state.metrics()),
                Err(err) => err.into_response(),
            }
        }
    };
    Router::new()
        .route("/metrics", get(scrape))
        .fallback(|| async { ApiError::not_found() })
        .with_state(state)
}

/// Serves [`metrics_app`] on `listener` (plain HTTP, under the same connection limits) until
/// `handle` stops it.
pub fn spawn_listener<S: Store>(
    listener: TcpListener,
    state: AppState<S>,
    access: MetricsAccess,
    limits: ConnectionLimits,
    handle: Handle<SocketAddr>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let router = metrics_app(state, access);
        if let Err(err) = serve_plain(listener, router, &limits, handle).await {
            tracing::error!(error = %err, "the metrics listener stopped");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Bearer {token}").parse().expect("header");
        headers.insert(axum::http::header::AUTHORIZATION, value);
        headers
    }

    #[test]
    fn the_token_is_required_when_set() {
        let open = MetricsAccess::default();
        assert!(open.admit(&HeaderMap::new(), true).is_ok());
        let guarded = MetricsAccess::new(Some("s3cret-s3cret"), false);
        assert!(guarded.admit(&HeaderMap::new(), true).is_err());
        assert!(guarded.admit(&bearer("s3cret-s3creT"), true).is_err());
        assert!(guarded.admit(&bearer("s3cret-s3cret-"), true).is_err());
        assert!(guarded.admit(&bearer("s3cret-s3cret"), true).is_ok());
        let separate = MetricsAccess::new(None, true);
        assert_eq!(
            separate
                .admit(&HeaderMap::new(), true)
                .map_err(|e| e.code()),
            Err("not_found")
        );
        assert!(separate.admit(&HeaderMap::new(), false).is_ok());
        assert!(!format!("{guarded:?}").contains("s3cret"));
    }
}
