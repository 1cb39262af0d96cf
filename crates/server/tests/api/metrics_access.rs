//! `/metrics` behind a bearer token or on a listener of its own, and bearer tokens refused
//! counted by reason.

use axum::http::{Method, Request, StatusCode, header};
use tessera_server::http::app;
use tessera_server::http::limits::Limits;
use tessera_server::http::metrics_access::{MetricsAccess, metrics_app};
use tower::ServiceExt as _;

use crate::helpers::{TestApp, bare, text};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

async fn status(router: &axum::Router, request: Request<axum::body::Body>) -> StatusCode {
    router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible")
        .status()
}

#[tokio::test]
async fn a_metrics_token_is_required_once_configured() {
    let test_app = TestApp::new().await;
    let limits = Limits::default().with_metrics(MetricsAccess::new(Some(TOKEN), false));
    let router = app(test_app.state.clone().with_limits(limits));
    let reply = status(&router, bare(Method::GET, "/metrics", None)).await;
    assert_eq!(reply, StatusCode::UNAUTHORIZED);
    let wrong = bare(
        Method::GET,
        "/metrics",
        Some("0123456789abcdef0123456789abcdeX"),
    );
    assert_eq!(status(&router, wrong).await, StatusCode::UNAUTHORIZED);
    let right = bare(Method::GET, "/metrics", Some(TOKEN));
    assert_eq!(status(&router, right).await, StatusCode::OK);
    // Without the setting, as before: open.
    assert_eq!(test_app.get("/metrics", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn with_a_metrics_listener_the_main_one_does_not_serve_them() {
    let test_app = TestApp::new().await;
    let limits = Limits::default().with_metrics(MetricsAccess::new(None, true));
    let state = test_app.state.clone().with_limits(limits);
    let main = app(state.clone());
    let reply = main
        .clone()
        .oneshot(bare(Method::GET, "/metrics", None))
        .await
        .expect("infallible");
    assert_eq!(reply.status(), StatusCode::NOT_FOUND);
    assert!(
        reply.headers()[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|kind| kind.starts_with("application/json"))
    );
    let metrics = metrics_app(state, MetricsAccess::new(None, true));
    assert_eq!(
        status(&metrics, bare(Method::GET, "/metrics", None)).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&metrics, bare(Method::GET, "/healthz", None)).await,
        StatusCode::NOT_FOUND,
        "the metrics listener serves nothing else"
    );
}

#[tokio::test]
async fn refused_bearer_tokens_are_counted_by_reason() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let token = text(&app.login(&client, "alice").await, "access_token");
    // A forged signature: the first character of the signature changed.
    let at = token.rfind('.').expect("three parts") + 1;
    let first = &token[at..=at];
    let other = if first == "A" { "B" } else { "A" };
    let forged = format!("{}{other}{}", &token[..at], &token[at + 1..]);
    for bad in ["not-a-jwt", "a.b.c", &forged, &forged] {
        let reply = app.get("/userinfo", Some(bad)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.get("/userinfo", Some(&token)).await.status,
        StatusCode::OK
    );
    let text = String::from_utf8_lossy(&app.get("/metrics", None).await.body).into_owned();
    let count = |reason: &str| {
        let series = format!("tessera_tokens_refused_total{{reason=\"{reason}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&series))
            .and_then(|n| n.parse::<u64>().ok())
    };
    assert_eq!(count("signature_invalid"), Some(2), "{text}");
    let total: u64 = text
        .lines()
        .filter(|line| line.starts_with("tessera_tokens_refused_total{"))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<u64>().ok())
        .sum();
    assert_eq!(total, 4, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_listener_serves_them_on_its_own_address() {
    use std::io::{Read as _, Write as _};

    use tessera_server::connections::ConnectionLimits;
    use tessera_server::http::metrics_access::MetricsSettings;

    let test_app = TestApp::new().await;
    let mut settings = MetricsSettings::default();
    settings.listen = Some("127.0.0.1:0".parse().expect("address"));
    settings.token = Some(TOKEN.to_owned());
    let state = test_app.state.clone();
    let (address, task) = settings
        .start(state, ConnectionLimits::default(), false)
        .expect("started")
        .expect("a listener");
    let answers = tokio::task::spawn_blocking(move || {
        ["", TOKEN].map(|token| {
            let mut stream = std::net::TcpStream::connect(address).expect("connect");
            let auth = if token.is_empty() {
                String::new()
            } else {
                format!("Authorization: Bearer {token}\r\n")
            };
            write!(
                stream,
                "GET /metrics HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n"
            )
            .expect("write");
            let mut answer = String::new();
            stream.read_to_string(&mut answer).expect("read");
            answer
        })
    })
    .await
    .expect("client thread");
    assert!(answers[0].starts_with("HTTP/1.1 401"), "{}", answers[0]);
    assert!(answers[1].starts_with("HTTP/1.1 200"), "{}", answers[1]);
    assert!(answers[1].contains("tessera_store_breaker_open"));
    task.abort();
    let mut public = MetricsSettings::default();
    public.listen = Some("192.0.2.1:9100".parse().expect("address"));
    assert!(
        public
            .start(test_app.state.clone(), ConnectionLimits::default(), false)
            .is_err(),
        "plain HTTP off loopback needs allow_plain_http"
    );
}
