//! A fake issuer on 127.0.0.1:0 (discovery, a JWKS that counts fetches and can be held,
//! failed or re-keyed, and a revocation feed with list and SSE stream), token minting, and a
//! guarded router whose handler counts how often it is reached.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_guard::{AccessToken, Guard};
use tessera_jose::{Algorithm, JwkSet, SigningKey, b64};
use tokio::sync::watch;

/// The audience the tests' guards accept.
pub const AUDIENCE: &str = "orders-api";

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).expect("time"))
}

/// The fake issuer's mutable state.
pub struct IssuerState {
    pub base: Mutex<String>,
    pub keys: Mutex<Vec<SigningKey>>,
    pub cache_control: Mutex<String>,
    pub jwks_status: AtomicU16,
    pub jwks_fetches: AtomicUsize,
    pub hold: watch::Sender<bool>,
    pub revocations: Mutex<Vec<(i64, String, i64)>>,
    pub stream_enabled: AtomicBool,
    pub stream_events_per_connection: AtomicUsize,
    pub stream_connects: AtomicUsize,
    pub last_event_ids: Mutex<Vec<String>>,
    pub list_calls: AtomicUsize,
    pub evil_hits: AtomicUsize,
    next_cursor: AtomicI64,
}

/// A running fake issuer.
pub struct FakeIssuer {
    pub base: String,
    pub state: Arc<IssuerState>,
}

impl FakeIssuer {
    /// Starts an issuer publishing one ES256 key.
    pub async fn start() -> Self {
        Self::with_keys(vec![key(Algorithm::ES256)]).await
    }

    /// Starts an issuer publishing these keys (the first one signs by default).
    pub async fn with_keys(keys: Vec<SigningKey>) -> Self {
        let state = Arc::new(IssuerState {
            base: Mutex::new(String::new()),
            keys: Mutex::new(keys),
            cache_control: Mutex::new("public, max-age=300".into()),
            jwks_status: AtomicU16::new(200),
            jwks_fetches: AtomicUsize::new(0),
            hold: watch::Sender::new(false),
            revocations: Mutex::new(Vec::new()),
            stream_enabled: AtomicBool::new(true),
            stream_events_per_connection: AtomicUsize::new(usize::MAX),
            stream_connects: AtomicUsize::new(0),
            last_event_ids: Mutex::new(Vec::new()),
            list_calls: AtomicUsize::new(0),
            evil_hits: AtomicUsize::new(0),
            next_cursor: AtomicI64::new(1),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/revocations", get(list))
            .route("/revocations/stream", get(stream))
            .route("/evil", get(evil).post(evil))
            .with_state(Arc::clone(&state));
        let base = serve(app).await;
        *state.base.lock().expect("lock") = base.clone();
        Self { base, state }
    }

    /// A guard trusting this issuer, with `tune` applied to the builder.
    pub async fn guard_with(
        &self,
        tune: impl FnOnce(tessera_guard::GuardBuilder) -> tessera_guard::GuardBuilder,
    ) -> Guard {
        let builder = Guard::builder().issuer(&self.base).audience(AUDIENCE);
        tune(builder).build().await.expect("guard")
    }

    /// A guard trusting this issuer with default settings.
    pub async fn guard(&self) -> Guard {
        self.guard_with(|b| b).await
    }

    /// The default claims of a valid access token, with `overrides` merged in (a `null`
    /// removes the claim).
    pub fn claims(&self, overrides: Value) -> Value {
        let now = now();
        let mut claims = json!({
            "iss": self.base, "sub": "u-42", "aud": AUDIENCE, "exp": now + 300,
            "iat": now, "jti": format!("jti-{}", unique()), "client_id": "app",
            "scope": "orders:read", "roles": ["clerk"],
        });
        merge(&mut claims, overrides);
        claims
    }

    /// A valid token signed by the first key, with claim overrides.
    pub fn token(&self, overrides: Value) -> String {
        let keys = self.state.keys.lock().expect("lock");
        let header = header_for(&keys[0]);
        sign_raw(
            &keys[0],
            &header.to_string(),
            &self.claims(overrides).to_string(),
        )
    }

    /// Publishes `key` in addition to the current ones (signing stays with the first).
    pub fn add_key(&self, key: SigningKey) {
        self.state.keys.lock().expect("lock").push(key);
    }

    /// Replaces all keys.
    pub fn set_keys(&self, keys: Vec<SigningKey>) {
        *self.state.keys.lock().expect("lock") = keys;
    }

    pub fn fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Makes JWKS requests wait until [`Self::release`].
    pub fn hold(&self) {
        self.state.hold.send_replace(true);
    }

    pub fn release(&self) {
        self.state.hold.send_replace(false);
    }

    /// Publishes a revocation on the feed; returns its cursor.
    pub fn revoke(&self, jti: &str, exp: i64) -> i64 {
        let cursor = self.state.next_cursor.fetch_add(1, Ordering::SeqCst);
        let mut list = self.state.revocations.lock().expect("lock");
        list.push((cursor, jti.to_owned(), exp));
        cursor
    }
}

/// A signing key of `alg`.
pub fn key(alg: Algorithm) -> SigningKey {
    SigningKey::generate(alg).expect("key")
}

/// The RFC 9068 header for `key`.
pub fn header_for(key: &SigningKey) -> Value {
    json!({"alg": key.algorithm().as_str(), "typ": "at+jwt", "kid": key.kid()})
}

/// Signs header and payload text exactly as given (so tests can send duplicates, odd types).
pub fn sign_raw(key: &SigningKey, header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(payload.as_bytes())
    );
    let signature = key.sign(input.as_bytes()).expect("sign");
    format!("{input}.{}", b64::encode(&signature))
}

fn merge(base: &mut Value, overrides: Value) {
    let (Some(base), Value::Object(more)) = (base.as_object_mut(), overrides) else {
        return;
    };
    for (name, value) in more {
        if value.is_null() {
            base.remove(&name);
        } else {
            base.insert(name, value);
        }
    }
}

fn unique() -> u64 {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed) as u64
}

/// Serves `app` on a free loopback port; returns `http://127.0.0.1:PORT`.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

async fn discovery(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    let base = state.base.lock().expect("lock").clone();
    Json(json!({"issuer": base, "jwks_uri": format!("{base}/jwks")}))
}

async fn jwks(State(state): State<Arc<IssuerState>>) -> Response {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let mut held = state.hold.subscribe();
    let _ = held.wait_for(|hold| !*hold).await;
    let status = state.jwks_status.load(Ordering::SeqCst);
    if status != 200 {
        return StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response();
    }
    let mut set = JwkSet::default();
    set.keys = state
        .keys
        .lock()
        .expect("lock")
        .iter()
        .map(|k| k.verifying_key().expect("public").to_jwk())
        .collect();
    let cache = state.cache_control.lock().expect("lock").clone();
    ([(header::CACHE_CONTROL, cache)], set.to_json()).into_response()
}

#[derive(Deserialize)]
struct Since {
    since: Option<i64>,
    limit: Option<usize>,
}

fn after(state: &IssuerState, cursor: i64, limit: usize) -> Vec<Value> {
    let list = state.revocations.lock().expect("lock");
    list.iter()
        .filter(|(c, _, _)| *c > cursor)
        .take(limit)
        .map(|(c, jti, exp)| json!({"cursor": c, "jti": jti, "exp": exp}))
        .collect()
}

async fn list(State(state): State<Arc<IssuerState>>, Query(since): Query<Since>) -> Json<Value> {
    state.list_calls.fetch_add(1, Ordering::SeqCst);
    let cursor = since.since.unwrap_or(0);
    let page = after(&state, cursor, since.limit.unwrap_or(1000));
    let next = page
        .last()
        .map_or(cursor, |e| e["cursor"].as_i64().expect("cursor"));
    Json(json!({"revocations": page, "next": next}))
}

async fn stream(State(state): State<Arc<IssuerState>>, headers: HeaderMap) -> Response {
    if !state.stream_enabled.load(Ordering::SeqCst) {
        return StatusCode::NOT_FOUND.into_response();
    }
    state.stream_connects.fetch_add(1, Ordering::SeqCst);
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_owned();
    state
        .last_event_ids
        .lock()
        .expect("lock")
        .push(last.clone());
    let cursor: i64 = last.parse().unwrap_or(0);
    let budget = state.stream_events_per_connection.load(Ordering::SeqCst);
    let events = futures_util::stream::unfold(
        (state, cursor, budget),
        |(state, cursor, budget)| async move {
            if budget == 0 {
                return None;
            }
            loop {
                if let Some(entry) = after(&state, cursor, 1).pop() {
                    let next = entry["cursor"].as_i64().expect("cursor");
                    let event = Event::default()
                        .event("revocation")
                        .id(next.to_string())
                        .data(entry.to_string());
                    return Some((Ok::<_, Infallible>(event), (state, next, budget - 1)));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        },
    );
    Sse::new(events).into_response()
}

async fn evil(State(state): State<Arc<IssuerState>>) -> &'static str {
    state.evil_hits.fetch_add(1, Ordering::SeqCst);
    r#"{"keys":[]}"#
}

/// A router with `/orders` (needs `orders:read`), `/orders/write` (needs `orders:write`)
/// and `/admin` (needs role `admin`); each handler counts its calls in `reached`.
pub fn app(guard: &Guard, reached: Arc<AtomicUsize>) -> Router {
    let handler = move |token: AccessToken| {
        let reached = Arc::clone(&reached);
        async move {
            reached.fetch_add(1, Ordering::SeqCst);
            Json(json!({"sub": token.subject(), "client_id": token.client_id()}))
        }
    };
    Router::new()
        .route(
            "/orders",
            get(handler.clone()).route_layer(guard.layer().require_scope("orders:read")),
        )
        .route(
            "/orders/write",
            post(handler.clone()).route_layer(guard.layer().require_scope("orders:write")),
        )
        .route(
            "/admin",
            get(handler).route_layer(guard.layer().require_role("admin")),
        )
}

/// An HTTP answer from the router.
pub struct Answer {
    pub status: u16,
    pub challenge: Option<String>,
    pub body: String,
}

/// Sends a request to `app` with the given `Authorization` header values.
pub async fn call(app: &Router, method: &str, path: &str, authorization: &[&str]) -> Answer {
    let headers: Vec<(&str, &str)> = authorization
        .iter()
        .map(|value| ("authorization", *value))
        .collect();
    call_with(app, method, path, &headers).await
}

/// Sends a request to `app` with the given headers (names and values, in order).
pub async fn call_with(app: &Router, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let mut request = axum::http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(axum::body::Body::empty()).expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ascii").to_owned());
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        challenge,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// `Bearer TOKEN`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
