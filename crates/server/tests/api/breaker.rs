//! A store outage: once a request finds the store unavailable, the requests that need it
//! get 503 with `Retry-After` at once (the circuit breaker), those that do not are served,
//! and the server recovers on its own when the store is back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use tessera_core::model::Actor;
use tessera_core::model::Grant;
use tessera_core::{Authority, MasterKey, SystemClock};
use tessera_server::http::{AppState, app};
use tessera_server::metrics::Metrics;
use tessera_server::throttle::{Throttle, ThrottleConfig};
use tessera_store::MemoryStore;
use tower::ServiceExt as _;

use crate::helpers::{PASSWORD, config, form};

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String, String) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, retry, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Body::empty())
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_answered_at_once_and_recovers_without_restart() {
    let store = Arc::new(MemoryStore::new());
    let metrics = Arc::new(Metrics::new());
    let authority = Authority::start(
        config(),
        Arc::clone(&store),
        MasterKey::generate().expect("master key"),
        Arc::new(SystemClock),
    )
    .await
    .expect("authority");
    let authority = Arc::new(authority);
    authority
        .create_user("alice", PASSWORD, None, &[], &Actor::Operator)
        .await
        .expect("user");
    let (client, secret) = authority
        .create_client("app", &[Grant::Password], &[], &[], false, &Actor::Operator)
        .await
        .expect("client");
    let client = crate::helpers::TestClient {
        id: client.id.into_string(),
        secret,
    };
    let state = AppState::new(
        Arc::clone(&authority),
        Arc::new(Throttle::new(ThrottleConfig::default())),
        Arc::clone(&metrics),
    );
    let router = app(state);
    let login = || {
        form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
            Some(&client),
        )
    };
    let breaker_open = || {
        metrics
            .render()
            .lines()
            .any(|line| line == "tessera_store_breaker_open 1")
    };
    assert_eq!(send(&router, login()).await.0, StatusCode::OK);
    assert!(!breaker_open());

    store.set_unavailable(true);
    let (status, retry, body) = send(&router, login()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(retry, "1");
    assert!(breaker_open(), "the store's answer opened the breaker");
    // While it is open, requests that need the store are answered 503 at once, in JSON;
    // those that do not are served.
    for path in ["/userinfo", "/readyz", "/revocations", "/admin/users"] {
        let (status, retry, body) = send(&router, get(path)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
        assert_eq!(retry, "1", "{path}");
        assert!(body.contains("temporarily_unavailable"), "{path}: {body}");
    }
    for path in ["/healthz", "/.well-known/jwks.json", "/openapi.json"] {
        assert_eq!(send(&router, get(path)).await.0, StatusCode::OK, "{path}");
    }
    assert!(breaker_open(), "still open while the store is down");

    // The store comes back: the probe closes the breaker, with no restart.
    store.set_unavailable(false);
    let started = Instant::now();
    while breaker_open() && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!breaker_open(), "closed once the store answers");
    assert_eq!(send(&router, login()).await.0, StatusCode::OK);
    assert_eq!(send(&router, get("/readyz")).await.0, StatusCode::OK);
}
