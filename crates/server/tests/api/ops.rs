//! Health, readiness, metrics, OpenAPI, and unknown routes.

use axum::http::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["status"], "ready");
    app.store.close().await;
    assert_eq!(
        app.get("/readyz", None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::new().await;
    app.get("/healthz", None).await;
    app.get("/nope/123", None).await;
    let reply = app.get("/metrics", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-type")
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    assert!(
        text.contains(
            "tessera_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"unmatched\",method=\"GET\",status=\"404\""),
        "{text}"
    );
    assert!(!text.contains("/nope/123"), "raw paths never become labels");
    assert!(text.contains("# TYPE tessera_http_request_duration_seconds histogram"));
}

#[tokio::test]
async fn openapi_lists_every_endpoint() {
    let app = TestApp::new().await;
    let reply = app.get("/openapi.json", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
        "/oauth/token",
        "/oauth/revoke",
        "/oauth/introspect",
        "/userinfo",
        "/logout",
        "/account/sessions",
        "/account/sessions/{id}",
        "/account/password",
        "/admin/users",
        "/admin/users/{username}",
        "/admin/users/{username}/unlock",
        "/admin/clients",
        "/admin/clients/{id}",
        "/admin/keys",
        "/admin/keys/rotate",
        "/admin/keys/{kid}",
        "/revocations",
        "/revocations/stream",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
}

#[tokio::test]
async fn unknown_routes_are_json_404s_with_safety_headers() {
    let app = TestApp::new().await;
    let reply = app.get("/nothing-here", None).await;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(reply.header("x-content-type-options"), "nosniff");
}
