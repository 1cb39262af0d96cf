//! The test app: an authority on an in-memory store with cheap Argon2 and ES256 keys,
//! the router over it, and request helpers.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, Uri, header};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use serde_json::Value;
use tessera_core::model::Actor;
use tessera_core::model::Grant;
use tessera_core::{Authority, Config, MasterKey, PasswordPolicy, SystemClock};
use tessera_jose::Algorithm;
use tessera_server::http::{AppState, app};
use tessera_server::metrics::Metrics;
use tessera_server::proxy::TrustedProxies;
use tessera_server::telemetry::TracingEvents;
use tessera_server::throttle::{Throttle, ThrottleConfig};
use tessera_server::ui::Ui;
use tessera_store::SqliteStore;
use tower::ServiceExt as _;

/// The issuer of the test app.
pub(crate) const ISSUER: &str = "http://127.0.0.1:8080";
/// The password of every test user.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// An app with its authority.
pub(crate) struct TestApp {
    pub(crate) router: Router,
    /// The router's state, to build it again with other limits.
    pub(crate) state: AppState<SqliteStore>,
    pub(crate) authority: Arc<Authority<SqliteStore>>,
    /// The authority's store, to close it.
    pub(crate) store: SqliteStore,
    pub(crate) metrics: Arc<Metrics>,
    /// Sees every request and its reply (the OpenAPI contract test).
    check: Option<Arc<dyn Check>>,
}

/// A request as it was sent, its body read.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Something that checks each exchange of a [`TestApp`] (see [`TestApp::checked_by`]).
pub(crate) trait Check: Send + Sync {
    /// Called after each request with what was sent and what came back.
    fn check(&self, sent: &Sent, reply: &Reply);
}

/// A registered client.
#[derive(Clone, Debug)]
pub(crate) struct TestClient {
    pub(crate) id: String,
    pub(crate) secret: Option<String>,
}

/// A response, body read.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts an RFC 6749 §5.2 error with this status and code.
    pub(crate) fn assert_error(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        let json = self.json();
        assert_eq!(json["error"], code, "{json}");
        assert!(json["error_description"].is_string());
        json
    }
}

pub(crate) fn config() -> Config {
    let mut config = Config::new(ISSUER);
    config.passwords = PasswordPolicy::new(256, 1, 1);
    config.rotation.algorithm = Algorithm::ES256;
    // Administrators sign in to the console with a password here; second_factor.rs tests
    // the default policy, which asks them for a second factor.
    config.console_second_factor = false;
    config
}

impl TestApp {
    pub(crate) async fn new() -> Self {
        Self::with(config(), ThrottleConfig::default()).await
    }

    pub(crate) async fn with(config: Config, throttle: ThrottleConfig) -> Self {
        Self::behind(config, throttle, TrustedProxies::default()).await
    }

    /// An app with these lock-out limits (see `throttle::limits`).
    pub(crate) async fn with_limits((config, throttle): (Config, ThrottleConfig)) -> Self {
        Self::with(config, throttle).await
    }

    /// An app with these lock-out limits that believes `X-Forwarded-For` from `proxies`.
    pub(crate) async fn behind_with_limits(
        (config, throttle): (Config, ThrottleConfig),
        proxies: TrustedProxies,
    ) -> Self {
        Self::behind(config, throttle, proxies).await
    }

    /// An app that believes `X-Forwarded-For` from `proxies`.
    pub(crate) async fn behind(
        config: Config,
        throttle: ThrottleConfig,
        proxies: TrustedProxies,
    ) -> Self {
        Self::build(config, throttle, proxies, None).await
    }

    /// An app with these pages (`None`: the embedded ones, unbranded).
    pub(crate) async fn build(
        config: Config,
        throttle: ThrottleConfig,
        proxies: TrustedProxies,
        ui: Option<Arc<Ui>>,
    ) -> Self {
        let store = SqliteStore::in_memory().await.expect("in-memory store");
        let master = MasterKey::generate().expect("master key");
        let metrics = Arc::new(Metrics::new());
        let authority = Authority::start(config, store.clone(), master, Arc::new(SystemClock))
            .await
            .expect("authority")
            .with_events(Arc::new(TracingEvents::new(Arc::clone(&metrics))));
        let authority = Arc::new(authority);
        let state = AppState::new(
            Arc::clone(&authority),
            Arc::new(Throttle::new(throttle)),
            Arc::clone(&metrics),
        )
        .with_feed_poll(std::time::Duration::from_millis(20))
        .with_trusted_proxies(proxies);
        let state = match ui {
            Some(ui) => state.with_ui(ui),
            None => state,
        };
        Self {
            router: app(state.clone()),
            state,
            authority,
            store,
            metrics,
            check: None,
        }
    }

    /// Shows an exchange made around [`TestApp::send`] (a stream's head) to the check.
    pub(crate) fn check_exchange(&self, sent: &Sent, reply: &Reply) {
        if let Some(check) = &self.check {
            check.check(sent, reply);
        }
    }

    /// The same app, with every exchange shown to `check`.
    pub(crate) fn checked_by(mut self, check: Arc<dyn Check>) -> Self {
        self.check = Some(check);
        self
    }

    pub(crate) async fn user(&self, name: &str, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        let email = format!("{name}@example.com");
        self.authority
            .create_user(name, PASSWORD, Some(&email), &roles, &Actor::Operator)
            .await
            .expect("user")
            .id
            .into_string()
    }

    pub(crate) async fn client(&self, grants: &[Grant], public: bool) -> TestClient {
        let (client, secret) = self
            .authority
            .create_client(
                "app",
                grants,
                &["read".into(), "write".into()],
                &[],
                public,
                &Actor::Operator,
            )
            .await
            .expect("client");
        TestClient {
            id: client.id.into_string(),
            secret,
        }
    }

    /// A confidential client with the password and refresh grants.
    pub(crate) async fn app_client(&self) -> TestClient {
        self.client(&[Grant::Password, Grant::RefreshToken], false)
            .await
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let Some(check) = &self.check else {
            return self.dispatch(request).await;
        };
        let (parts, body) = request.into_parts();
        let body = body.collect().await.expect("request body").to_bytes();
        let sent = Sent {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
            body: body.clone(),
        };
        let reply = self
            .dispatch(Request::from_parts(parts, Body::from(body)))
            .await;
        check.check(&sent, &reply);
        reply
    }

    async fn dispatch(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&self, path: &str, bearer: Option<&str>) -> Reply {
        self.send(bare(Method::GET, path, bearer)).await
    }

    /// A password grant with client_secret_basic; the reply.
    pub(crate) async fn password_grant(
        &self,
        client: &TestClient,
        user: &str,
        password: &str,
    ) -> Reply {
        let request = form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("username", user),
                ("password", password),
            ],
            Some(client),
        );
        self.send(request).await
    }

    /// Logs in and returns the token response.
    pub(crate) async fn login(&self, client: &TestClient, user: &str) -> Value {
        let reply = self.password_grant(client, user, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.json()
    }

    /// A user with the admin role, logged in: its access token.
    pub(crate) async fn admin_token(&self) -> String {
        self.user("root", &["admin"]).await;
        let client = self.app_client().await;
        let tokens = self.login(&client, "root").await;
        tokens["access_token"].as_str().expect("token").to_owned()
    }
}

pub(crate) fn basic(client: &TestClient) -> String {
    let raw = format!("{}:{}", client.id, client.secret.as_deref().unwrap_or(""));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// A form POST; with `client`, HTTP Basic authentication (or client_id alone if public).
pub(crate) fn form(
    path: &str,
    params: &[(&str, &str)],
    client: Option<&TestClient>,
) -> Request<Body> {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    match client {
        Some(c) if c.secret.is_some() => builder = builder.header(header::AUTHORIZATION, basic(c)),
        Some(c) => pairs.push(("client_id".into(), c.id.clone())),
        None => {}
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    builder.body(Body::from(body)).expect("request")
}

/// A request without a body.
pub(crate) fn bare(method: Method, path: &str, bearer: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = bearer {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(Body::empty()).expect("request")
}

/// A JSON request with a bearer token.
pub(crate) fn json(method: Method, path: &str, bearer: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

pub(crate) fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {value}"))
        .to_owned()
}

pub(crate) fn assert_no_store(reply: &Reply) {
    assert_eq!(reply.header("cache-control"), "no-store");
}

pub(crate) fn assert_bearer_challenge(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let challenge = reply.header("www-authenticate");
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
}
