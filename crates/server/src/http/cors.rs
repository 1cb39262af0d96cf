//! CORS (the Fetch standard) for browser applications: the token, revocation and userinfo
//! endpoints, the JWKS and the discovery documents answer the origins that clients registered
//! with `--allowed-origin`, and no other.
//!
//! - A preflight (`OPTIONS` with `Access-Control-Request-Method`) names no client, so it is
//!   allowed when any client registered the origin; otherwise it gets a JSON 403.
//! - An actual request is opened to its origin when the client it names (its `client_id`, or
//!   the client an access token was issued to) registered that origin. A request that failed
//!   before naming a client is opened when any client registered it, so the application can
//!   read the error.
//! - `Access-Control-Allow-Origin` is always the exact origin (never `*`), and
//!   `Access-Control-Allow-Credentials` is never sent: these endpoints use no cookies.
//!
//! The registered origins are read from the store into a map held in memory, bounded, and
//! read again every [`REFRESH_EVERY`], or at once when an origin is not in it (at most once per
//! [`MISS_REFRESH_AFTER`], so that unknown origins cannot make the server read the store on
//! every request). A new origin is honoured on its first request; a removed one may be
//! honoured for up to [`REFRESH_EVERY`].

use std::cell::OnceCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tessera_core::Store;
use tower_layer::Layer;
use tower_service::Service;

use super::{ApiError, AppState};

/// The routes that answer CORS.
pub const ROUTES: [&str; 6] = [
    "/oauth/token",
    "/oauth/revoke",
    "/userinfo",
    "/.well-known/jwks.json",
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
];
/// How long the map of registered origins is trusted.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// The shortest time between two reads of the store caused by an unknown origin.
pub const MISS_REFRESH_AFTER: Duration = Duration::from_secs(2);
/// The most origins held (clients register at most 32 each); beyond it, the rest are
/// ignored and a warning is logged.
pub const MAX_ORIGINS: usize = 10_000;
/// How long a browser may cache a preflight's answer, in seconds.
pub const MAX_AGE_SECS: &str = "600";
/// The request headers a browser application may send.
pub const ALLOW_HEADERS: &str = "Authorization, Content-Type, DPoP";
/// The response headers a browser application may read beyond the safelisted ones.
pub const EXPOSE_HEADERS: &str = "WWW-Authenticate, Retry-After, DPoP-Nonce";
/// What a response depends on, for caches between the browser and the server.
const VARY: &str = "Origin";
/// The longest `Origin` header looked at (a serialized origin is scheme, host and port).
const MAX_ORIGIN_LEN: usize = 512;

tokio::task_local! {
    /// The client the request being served names, once its handler knows it.
    static NAMED_CLIENT: OnceCell<String>;
}

/// Records the client a request names (its `client_id`, or the client its access token was
/// issued to), so that its CORS answer follows that client's origins. Does nothing outside
/// a CORS-enabled request.
pub fn note_client(client_id: &str) {
    let _ = NAMED_CLIENT.try_with(|slot| slot.set(client_id.to_owned()));
}

/// The origins clients registered, by origin, with the clients that registered each.
#[derive(Default)]
pub struct AllowedOrigins {
    snapshot: RwLock<Arc<Snapshot>>,
    reading: tokio::sync::Mutex<()>,
}

/// One reading of the store.
#[derive(Default)]
struct Snapshot {
    by_origin: HashMap<String, Vec<String>>,
    read_at: Option<Instant>,
}

impl Snapshot {
    fn allows(&self, origin: &str, client: Option<&str>) -> bool {
        self.by_origin
            .get(origin)
            .is_some_and(|clients| client.is_none_or(|id| clients.iter().any(|c| c == id)))
    }

    fn younger_than(&self, age: Duration) -> bool {
        self.read_at.is_some_and(|at| at.elapsed() < age)
    }
}

impl AllowedOrigins {
    /// True when `origin` may read the answer to a request naming `client` (or, with no
    /// client, when any client registered it).
    async fn allows<S: Store>(
        &self,
        state: &AppState<S>,
        origin: &str,
        client: Option<&str>,
    ) -> bool {
        let current = self.current();
        let allowed = current.allows(origin, client);
        if current.younger_than(REFRESH_EVERY)
            && (allowed || current.younger_than(MISS_REFRESH_AFTER))
        {
            return allowed;
        }
        self.read(state).await.allows(origin, client)
    }

    fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Reads the store once for every caller waiting here (one reading at a time).
    async fn read<S: Store>(&self, state: &AppState<S>) -> Arc<Snapshot> {
        let _one_at_a_time = self.reading.lock().await;
        let current = self.current();
        if current.younger_than(MISS_REFRESH_AFTER) {
            return current;
        }
        let by_origin = match state.authority().list_clients().await {
            Ok(clients) => origins_of(
                clients
                    .into_iter()
                    .map(|c| (c.id.to_string(), c.web.allowed_origins)),
            ),
            Err(err) => {
                tracing::warn!(error = %err, "could not read the clients' allowed origins; keeping the last reading");
                current.by_origin.clone()
            }
        };
        let fresh = Arc::new(Snapshot {
            by_origin,
            read_at: Some(Instant::now()),
        });
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::clone(&fresh);
        fresh
    }
}

/// The map from origin to clients, at most [`MAX_ORIGINS`] origins.
fn origins_of(
    clients: impl Iterator<Item = (String, Vec<String>)>,
) -> HashMap<String, Vec<String>> {
    let mut by_origin: HashMap<String, Vec<String>> = HashMap::new();
    let mut dropped = 0usize;
    for (client, origins) in clients {
        for origin in origins {
            if by_origin.len() >= MAX_ORIGINS && !by_origin.contains_key(&origin) {
                dropped += 1;
                continue;
            }
            by_origin.entry(origin).or_default().push(client.clone());
        }
    }
    if dropped > 0 {
        tracing::warn!(
            dropped,
            max = MAX_ORIGINS,
            "more allowed origins than CORS holds; the rest are refused"
        );
    }
    by_origin
}

/// The request's `Origin`, when it is one a client could have registered.
fn origin_of(headers: &HeaderMap) -> Option<&str> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    (origin.len() <= MAX_ORIGIN_LEN && origin != "null").then_some(origin)
}

/// The methods a CORS-enabled route answers, by its path.
fn methods_of(path: &str) -> &'static str {
    match path {
        "/oauth/token" | "/oauth/revoke" => "POST",
        "/userinfo" => "GET, POST",
        _ => "GET",
    }
}

/// `OPTIONS` on a CORS-enabled route: a preflight is answered for registered origins; any
/// other `OPTIONS` request is told which methods the route has.
pub async fn preflight<S: Store>(State(state): State<AppState<S>>, request: Request) -> Response {
    let methods = methods_of(request.uri().path());
    let headers = request.headers();
    if !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return allow_only(methods);
    }
    let Some(origin) = origin_of(headers) else {
        return refused();
    };
    if !state.cors().allows(&state, origin, None).await {
        return refused();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let out = response.headers_mut();
    open_to(out, origin);
    out.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    out.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    out.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE_SECS),
    );
    response
}

/// The answer to an `OPTIONS` request that is not a preflight.
fn allow_only(methods: &'static str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let allow = HeaderValue::from_str(&format!("{methods}, OPTIONS"))
        .unwrap_or(HeaderValue::from_static("OPTIONS"));
    response.headers_mut().insert(header::ALLOW, allow);
    response
}

fn refused() -> Response {
    let mut response = ApiError::new(
        StatusCode::FORBIDDEN,
        "invalid_request",
        "this origin may not call this endpoint; register it on the client with \
         `tessera client add --allowed-origin ORIGIN`",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static(VARY));
    response
}

/// The CORS layer, in the router's one stack of layers around every route: on the routes in
/// [`ROUTES`] it opens an actual request's answer to its origin when the client the request
/// names registered it; every other route passes through untouched. A request without an
/// `Origin` (a service, not a browser) pays a path compare and a `Vary` header: no boxing, no
/// task-local scope.
pub struct Cors<S: Store> {
    state: AppState<S>,
}

impl<S: Store> Cors<S> {
    /// The layer, reading the registered origins through `state`.
    pub fn new(state: AppState<S>) -> Self {
        Self { state }
    }
}

impl<S: Store> Clone for Cors<S> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
        }
    }
}

impl<S: Store, I> Layer<I> for Cors<S> {
    type Service = CorsService<I, S>;

    fn layer(&self, inner: I) -> Self::Service {
        CorsService {
            inner,
            state: self.state.clone(),
        }
    }
}

/// A route inside the [`Cors`] layer.
pub struct CorsService<I, S: Store> {
    inner: I,
    state: AppState<S>,
}

impl<I: Clone, S: Store> Clone for CorsService<I, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            state: self.state.clone(),
        }
    }
}

impl<I, S> Service<Request> for CorsService<I, S>
where
    I: Service<Request, Response = Response, Error = Infallible>,
    I::Future: Send + 'static,
    S: Store,
{
    type Response = Response;
    type Error = Infallible;
    type Future = CorsFuture<I::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let on_cors_route = request
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|path| ROUTES.contains(&path.as_str()));
        if !on_cors_route {
            return CorsFuture::plain(self.inner.call(request), false);
        }
        let origin = origin_of(request.headers()).map(str::to_owned);
        match origin {
            None => CorsFuture::plain(self.inner.call(request), true),
            // A preflight: its handler answers it.
            Some(_) if request.method() == Method::OPTIONS => {
                CorsFuture::plain(self.inner.call(request), false)
            }
            Some(origin) => CorsFuture {
                state: CorsState::FromOrigin {
                    future: Box::pin(answer_origin(
                        self.state.clone(),
                        origin,
                        self.inner.call(request),
                    )),
                },
            },
        }
    }
}

pin_project! {
    /// The response of a [`CorsService`].
    pub struct CorsFuture<F> {
        #[pin]
        state: CorsState<F>,
    }
}

pin_project! {
    #[project = CorsProj]
    enum CorsState<F> {
        // No CORS answer to give; `vary` adds `Vary: Origin` (a CORS route).
        Plain { #[pin] inner: F, vary: bool },
        // A request from a browser origin: the store may be read to answer it.
        FromOrigin { future: Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>> },
    }
}

impl<F> CorsFuture<F> {
    fn plain(inner: F, vary: bool) -> Self {
        Self {
            state: CorsState::Plain { inner, vary },
        }
    }
}

impl<F> Future for CorsFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            CorsProj::Plain { inner, vary: add } => {
                let Ok(mut response) = std::task::ready!(inner.poll(cx));
                if *add {
                    vary(response.headers_mut());
                }
                Poll::Ready(Ok(response))
            }
            CorsProj::FromOrigin { future } => future.as_mut().poll(cx),
        }
    }
}

/// Serves a request from `origin` with the client it names noted, then opens the answer
/// to the origin when that client (or, naming none, any client) registered it.
async fn answer_origin<S: Store, F>(
    state: AppState<S>,
    origin: String,
    inner: F,
) -> Result<Response, Infallible>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    let (Ok(mut response), client) = NAMED_CLIENT
        .scope(OnceCell::new(), async {
            let response = inner.await;
            (response, NAMED_CLIENT.with(|slot| slot.get().cloned()))
        })
        .await;
    if state
        .cors()
        .allows(&state, &origin, client.as_deref())
        .await
    {
        open_to(response.headers_mut(), &origin);
    } else {
        vary(response.headers_mut());
    }
    Ok(response)
}

fn open_to(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        vary(headers);
    }
}

fn vary(headers: &mut HeaderMap) {
    headers.append(header::VARY, HeaderValue::from_static(VARY));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        origins_of(entries.iter().map(|(client, origins)| {
            (
                (*client).to_owned(),
                origins.iter().map(|o| (*o).to_owned()).collect(),
            )
        }))
    }

    #[test]
    fn an_origin_is_allowed_for_the_clients_that_registered_it() {
        let snapshot = Snapshot {
            by_origin: map(&[
                ("spa", &["https://app.example"]),
                ("other", &["https://other.example"]),
            ]),
            read_at: None,
        };
        assert!(snapshot.allows("https://app.example", Some("spa")));
        assert!(snapshot.allows("https://app.example", None));
        assert!(!snapshot.allows("https://app.example", Some("other")));
        assert!(!snapshot.allows("https://evil.example", None));
        assert!(!snapshot.allows("https://app.example.evil", None));
    }

    #[test]
    fn the_map_is_bounded() {
        let many: Vec<String> = (0..MAX_ORIGINS + 5)
            .map(|i| format!("https://a{i}.example"))
            .collect();
        let by_origin = origins_of(std::iter::once(("spa".to_owned(), many)));
        assert_eq!(by_origin.len(), MAX_ORIGINS);
    }

    #[test]
    fn null_and_oversized_origins_are_never_looked_up() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert_eq!(origin_of(&headers), None);
        let long = format!("https://{}.example", "a".repeat(MAX_ORIGIN_LEN));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_str(&long).expect("header"),
        );
        assert_eq!(origin_of(&headers), None);
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://app.example"),
        );
        assert_eq!(origin_of(&headers), Some("https://app.example"));
    }
}
