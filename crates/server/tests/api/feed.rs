//! The revocation feed: paging with `since`, and the SSE stream.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use crate::helpers::{TestApp, form, text};

async fn revoke_one(app: &TestApp, client: &crate::helpers::TestClient) -> String {
    let tokens = app.login(client, "alice").await;
    let access = text(&tokens, "access_token");
    let reply = app
        .send(form("/oauth/revoke", &[("token", &access)], Some(client)))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    access
}

#[tokio::test]
async fn the_list_pages_with_since() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    for _ in 0..3 {
        revoke_one(&app, &client).await;
    }
    let all = app.get("/revocations", None).await.json();
    let items = all["revocations"].as_array().expect("list");
    assert_eq!(items.len(), 3);
    for item in items {
        assert!(item["jti"].is_string() && item["exp"].is_i64() && item["cursor"].is_i64());
    }
    let first = items[0]["cursor"].as_i64().expect("cursor");
    let rest = app
        .get(&format!("/revocations?since={first}&limit=1"), None)
        .await
        .json();
    assert_eq!(rest["revocations"].as_array().expect("list").len(), 1);
    assert!(rest["next"].as_i64().expect("next") > first);
    let end = all["next"].as_i64().expect("next");
    let none = app
        .get(&format!("/revocations?since={end}"), None)
        .await
        .json();
    assert_eq!(none["revocations"].as_array().expect("list").len(), 0);
    assert_eq!(none["next"], end);
    app.get("/revocations?since=abc", None)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn the_stream_sends_new_revocations_and_resumes() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    revoke_one(&app, &client).await;
    let first = app.get("/revocations", None).await.json()["next"]
        .as_i64()
        .expect("cursor");
    let request = Request::builder()
        .uri("/revocations/stream")
        .header("last-event-id", first.to_string())
        .body(Body::empty())
        .expect("request");
    let response = app
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/event-stream")
    );
    let mut body = response.into_body();
    revoke_one(&app, &client).await;
    let mut seen = String::new();
    while !seen.contains("event: revocation") {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("an event within 5 s")
            .expect("open")
            .expect("frame");
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(seen.contains(&format!("id: {}", first + 1)), "{seen}");
    assert!(seen.contains("\"jti\""), "{seen}");
    let bad = Request::builder()
        .uri("/revocations/stream")
        .header("last-event-id", "x")
        .body(Body::empty())
        .expect("request");
    app.send(bad)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

/// Reads a stream until it has sent a revocation event; returns what it sent.
async fn first_event(body: &mut Body) -> String {
    let mut seen = String::new();
    while !seen.contains("event: revocation") {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("an event within 5 s")
            .expect("open")
            .expect("frame");
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    seen
}

async fn open_stream(app: &TestApp, query: &str) -> Body {
    let request = Request::builder()
        .uri(format!("/revocations/stream{query}"))
        .body(Body::empty())
        .expect("request");
    let response = app
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    response.into_body()
}

/// Streams opened before a revocation all hear of it (the server's one poller fans out to
/// every subscriber), with the same event id; one that starts later from `since=0` gets
/// the backlog from the store.
#[tokio::test]
async fn every_stream_hears_each_revocation() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    revoke_one(&app, &client).await;
    let head = app.get("/revocations", None).await.json()["next"]
        .as_i64()
        .expect("cursor");
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(open_stream(&app, &format!("?since={head}")).await);
    }
    revoke_one(&app, &client).await;
    for body in &mut streams {
        let seen = first_event(body).await;
        assert!(seen.contains(&format!("id: {}", head + 1)), "{seen}");
        assert!(!seen.contains(&format!("id: {head}\n")), "{seen}");
    }
    let mut late = open_stream(&app, "?since=0").await;
    let seen = first_event(&mut late).await;
    assert!(seen.contains(&format!("id: {head}")), "{seen}");
}
