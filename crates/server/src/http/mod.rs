//! The HTTP API of `tessera serve` (DESIGN.md's table): [`app`] builds the router over an
//! [`AppState`], generic over the [`Store`] so tests can run it on an in-memory database.

pub mod account;
pub mod admin;
pub mod bearer;
pub mod blocking;
pub mod browser;
pub mod client_auth;
pub mod client_jose;
pub mod context;
pub mod cors;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod events;
pub mod feed;
pub mod json;
pub mod limits;
pub mod metrics_access;
pub mod oauth;
pub mod observe;
pub mod ops;
pub mod params;
pub mod revocations;
pub mod token;
pub mod userinfo_jwt;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderValue, header};
use axum::middleware;
use axum::routing::{delete, get, post};
use tessera_core::{Authority, Store};

use tokio::sync::Notify;

use crate::breaker::Breaker;
use crate::metrics::Metrics;
use crate::proxy::TrustedProxies;
use crate::throttle::Throttle;
use crate::ui::{Branding, Ui};

pub use error::ApiError;

/// The largest request body accepted by default, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// What every handler shares: the authority, the throttle and the metrics. Cloned for
/// every request, so it is one reference count.
pub struct AppState<S: Store> {
    inner: Arc<Shared<S>>,
}

/// The fields behind [`AppState`].
struct Shared<S: Store> {
    authority: Arc<Authority<S>>,
    throttle: Arc<Throttle>,
    metrics: Arc<Metrics>,
    feed_poll: Duration,
    feed: Arc<feed::FeedHub>,
    jwks: Arc<discovery::JwksCache>,
    max_body: usize,
    trusted_proxies: Arc<TrustedProxies>,
    ui: Arc<Ui>,
    logout_notices: Arc<Notify>,
    limits: Arc<limits::Limits>,
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    cors: Arc<cors::AllowedOrigins>,
}

impl<S: Store> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S: Store> Clone for Shared<S> {
    fn clone(&self) -> Self {
        Self {
            authority: Arc::clone(&self.authority),
            throttle: Arc::clone(&self.throttle),
            metrics: Arc::clone(&self.metrics),
            feed_poll: self.feed_poll,
            feed: Arc::clone(&self.feed),
            jwks: Arc::clone(&self.jwks),
            max_body: self.max_body,
            trusted_proxies: Arc::clone(&self.trusted_proxies),
            ui: Arc::clone(&self.ui),
            logout_notices: Arc::clone(&self.logout_notices),
            limits: Arc::clone(&self.limits),
            stopping: Arc::clone(&self.stopping),
            cors: Arc::clone(&self.cors),
        }
    }
}

impl<S: Store> AppState<S> {
    /// State over `authority` (give it a [`crate::telemetry::TracingEvents`] sink on the same
    /// `metrics` first, so security events are logged and counted).
    pub fn new(
        authority: Arc<Authority<S>>,
        throttle: Arc<Throttle>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let shared = Shared {
            authority,
            throttle,
            metrics,
            feed_poll: Duration::from_millis(200),
            feed: Arc::default(),
            jwks: Arc::default(),
            max_body: MAX_BODY,
            trusted_proxies: Arc::new(TrustedProxies::default()),
            ui: default_ui(),
            logout_notices: Arc::default(),
            limits: Arc::default(),
            stopping: Arc::new(tokio::sync::watch::channel(false).0),
            cors: Arc::default(),
        };
        Self {
            inner: Arc::new(shared),
        }
    }

    /// Sets the reverse proxies whose `X-Forwarded-For` or `Forwarded` names the client
    /// (default none).
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.shared_mut().trusted_proxies = Arc::new(proxies);
        self
    }

    /// Sets the sign-in pages' templates and branding (default: the embedded ones).
    pub fn with_ui(mut self, ui: Arc<Ui>) -> Self {
        self.shared_mut().ui = ui;
        self
    }

    /// Sets the largest request body accepted (default [`MAX_BODY`]; at least 1 KiB).
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.shared_mut().max_body = bytes.max(1024);
        self
    }

    /// Sets the per-request limits (default [`limits::Limits::default`]).
    pub fn with_limits(mut self, limits: limits::Limits) -> Self {
        self.shared_mut().limits = Arc::new(limits);
        self
    }

    /// The per-request limits.
    pub fn limits(&self) -> &limits::Limits {
        &self.inner.limits
    }

    /// Sets how often `/revocations/stream` asks the store for news (default 200 ms).
    pub fn with_feed_poll(mut self, every: Duration) -> Self {
        self.shared_mut().feed_poll = every.max(Duration::from_millis(10));
        self
    }

    /// The fields, to set while building (copied first if the state is already shared).
    fn shared_mut(&mut self) -> &mut Shared<S> {
        Arc::make_mut(&mut self.inner)
    }

    /// The authority.
    pub fn authority(&self) -> &Arc<Authority<S>> {
        &self.inner.authority
    }

    /// The login throttle.
    pub fn throttle(&self) -> &Throttle {
        &self.inner.throttle
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// How often the revocation stream polls the store.
    pub fn feed_poll(&self) -> Duration {
        self.inner.feed_poll
    }

    /// Tells long-lived responses (revocation streams) that the server is stopping, so that
    /// they end at once instead of holding the graceful shutdown for its whole grace period.
    pub fn begin_shutdown(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// Becomes `true` when the server starts stopping.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.stopping.subscribe()
    }

    /// The sign-in pages.
    pub fn ui(&self) -> &Ui {
        &self.inner.ui
    }

    /// Woken when a browser session ends, so that its back-channel logout notices go out
    /// at once (the deliverer waits on it).
    pub fn logout_notices(&self) -> &Arc<Notify> {
        &self.inner.logout_notices
    }

    /// The origins clients registered for CORS.
    pub(crate) fn cors(&self) -> &cors::AllowedOrigins {
        &self.inner.cors
    }

    /// The rendered JWKS response.
    pub fn jwks(&self) -> &discovery::JwksCache {
        &self.inner.jwks
    }

    /// The newest revocation cursor, for a new stream subscriber (the first one starts the
    /// server's poller).
    pub fn feed_head(&self) -> tokio::sync::watch::Receiver<i64> {
        let shared = &self.inner;
        shared.feed.subscribe(&shared.authority, shared.feed_poll)
    }
}

/// The embedded pages, built once per process (they compile in tests, so this cannot fail
/// on a release build).
fn default_ui() -> Arc<Ui> {
    static DEFAULT: std::sync::LazyLock<Arc<Ui>> = std::sync::LazyLock::new(|| {
        Arc::new(Ui::new(Branding::default()).expect("the embedded templates compile"))
    });
    Arc::clone(&DEFAULT)
}

/// The router with every endpoint of DESIGN.md's HTTP table.
pub fn app<S: Store>(state: AppState<S>) -> Router {
    let envelope = observe::Envelope {
        metrics: Arc::clone(state.metrics()),
        proxies: Arc::clone(&state.inner.trusted_proxies),
        limits: Arc::clone(&state.inner.limits),
        breaker: Arc::new(Breaker::for_authority(
            state.authority(),
            Arc::clone(state.metrics()),
        )),
    };
    let max_body = state.inner.max_body;
    Router::new()
        .merge(oauth_routes::<S>())
        .merge(browser::routes::<S>())
        .merge(account_routes::<S>())
        .merge(admin_routes::<S>())
        .merge(ops_routes::<S>())
        .fallback(not_found)
        // One stack, so that a request passes one boxed route, not one per layer; the
        // envelope outermost, CORS next to the handler.
        .layer((
            envelope,
            DefaultBodyLimit::max(max_body),
            cors::Cors::new(state.clone()),
        ))
        .with_state(state)
}

fn oauth_routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/oauth/introspect", post(oauth::introspect::<S>))
        .merge(cors_routes::<S>())
}

/// The routes a browser application may call from another origin: [`cors::ROUTES`], each
/// with its preflight (the [`cors::Cors`] layer answers their actual requests).
fn cors_routes<S: Store>() -> Router<AppState<S>> {
    let preflight = cors::preflight::<S>;
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::metadata::<S>).options(preflight),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::metadata::<S>).options(preflight),
        )
        .route(
            "/.well-known/jwks.json",
            get(discovery::jwks::<S>).options(preflight),
        )
        .route("/oauth/token", post(token::token::<S>).options(preflight))
        .route("/oauth/device_authorization", post(device::start::<S>))
        .route("/oauth/revoke", post(oauth::revoke::<S>).options(preflight))
        .route(
            "/userinfo",
            get(account::userinfo::<S>)
                .post(account::userinfo::<S>)
                .options(preflight),
        )
}

fn account_routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/logout", post(account::logout::<S>))
        .route("/account/sessions", get(account::sessions::<S>))
        .route("/account/sessions/{id}", delete(account::end_session::<S>))
        .route("/account/password", post(account::change_password::<S>))
}

fn admin_routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/admin/users",
            get(admin::list_users::<S>).post(admin::create_user::<S>),
        )
        .route(
            "/admin/users/{username}",
            delete(admin::delete_user::<S>).patch(admin::update_user::<S>),
        )
        .route(
            "/admin/users/{username}/unlock",
            post(admin::unlock_user::<S>),
        )
        .route(
            "/admin/users/{username}/factors",
            get(admin::user_factors::<S>).delete(admin::reset_user_factors::<S>),
        )
        .route(
            "/admin/clients",
            get(admin::list_clients::<S>).post(admin::create_client::<S>),
        )
        .route("/admin/clients/{id}", delete(admin::delete_client::<S>))
        .route("/admin/keys", get(admin::list_keys::<S>))
        .route("/admin/keys/rotate", post(admin::rotate_keys::<S>))
        .route("/admin/keys/{kid}", delete(admin::retire_key::<S>))
        .route("/admin/events", get(events::list_events::<S>))
}

fn ops_routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/revocations", get(revocations::list::<S>))
        .route("/revocations/stream", get(revocations::stream::<S>))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz::<S>))
        .route("/metrics", get(ops::metrics::<S>))
        .route("/openapi.json", get(ops::openapi))
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Adds `Strict-Transport-Security` to every response (for a server on TLS).
pub fn with_hsts(router: Router) -> Router {
    router.layer(middleware::map_response(
        |mut response: axum::response::Response| async move {
            response.headers_mut().insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            );
            response
        },
    ))
}

/// The client's address, when the server knows it (not in router tests without
/// `ConnectInfo`): the peer's, or, from a trusted proxy, the one `X-Forwarded-For` or
/// `Forwarded` names (see [`crate::proxy`]).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // The envelope resolved it (proxies included) for the request's log context.
        Ok(Self(
            context::current_client_ip().unwrap_or_else(|| peer_ip(&parts.extensions)),
        ))
    }
}

/// The TCP peer's address, when the server recorded it.
fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}
