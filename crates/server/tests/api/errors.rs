//! Every error is RFC 6749 §5.2 JSON, those the framework answers itself included: a path
//! segment that is not UTF-8, a method a route does not take, headers or a body over the
//! limit, an unknown path.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

use crate::helpers::{Reply, TestApp, bare};

/// Asserts the JSON error shape: exactly `error` and `error_description`, JSON type.
fn assert_json_error(reply: &Reply, status: StatusCode, code: &str) {
    let json = reply.assert_error(status, code);
    assert_eq!(json.as_object().map(|o| o.len()), Some(2), "{json}");
    assert!(
        reply.header("content-type").starts_with("application/json"),
        "{:?}",
        reply.headers
    );
    assert_eq!(reply.header("cache-control"), "no-store");
}

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_invalid_request() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    for (method, path) in [
        (Method::DELETE, "/admin/users/%FF%FE"),
        (Method::PATCH, "/admin/users/%C3%28"),
        (Method::DELETE, "/admin/clients/%80"),
        (Method::DELETE, "/admin/keys/%FF"),
        (Method::DELETE, "/account/sessions/%FF"),
    ] {
        let reply = app.send(bare(method, path, Some(&admin))).await;
        assert_json_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_405_in_json_with_allow() {
    let app = TestApp::new().await;
    for (method, path) in [
        (Method::DELETE, "/healthz"),
        (Method::GET, "/oauth/token"),
        (Method::PUT, "/admin/users"),
        (Method::POST, "/.well-known/jwks.json"),
    ] {
        let reply = app.send(bare(method, path, None)).await;
        assert_json_error(&reply, StatusCode::METHOD_NOT_ALLOWED, "invalid_request");
        assert!(
            !reply.header("allow").is_empty(),
            "{path}: {:?}",
            reply.headers
        );
    }
}

#[tokio::test]
async fn headers_over_the_limit_are_431_in_json() {
    let app = TestApp::new().await;
    let mut request = bare(Method::GET, "/healthz", None);
    let big = "a".repeat(40 * 1024);
    request
        .headers_mut()
        .insert("x-filler", big.parse().expect("header value"));
    let reply = app.send(request).await;
    assert_json_error(
        &reply,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "invalid_request",
    );
    // Many small headers count as much as one big one.
    let mut request = bare(Method::GET, "/healthz", None);
    for i in 0..400 {
        let name = format!("x-filler-{i}");
        let name = header::HeaderName::from_bytes(name.as_bytes()).expect("name");
        request
            .headers_mut()
            .insert(name, "b".repeat(100).parse().expect("header value"));
    }
    let reply = app.send(request).await;
    assert_json_error(
        &reply,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "invalid_request",
    );
    let ok = app.get("/healthz", None).await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_in_json_everywhere() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let big = format!("{{\"username\":\"{}\"}}", "a".repeat(70 * 1024));
    for path in [
        "/oauth/token",
        "/oauth/revoke",
        "/admin/users",
        "/admin/keys/rotate",
    ] {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(big.clone()))
            .expect("request");
        let reply = app.send(request).await;
        assert_json_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "invalid_request");
    }
}

#[tokio::test]
async fn unknown_paths_and_bad_queries_are_json() {
    let app = TestApp::new().await;
    let reply = app.get("/no/such/thing", None).await;
    assert_json_error(&reply, StatusCode::NOT_FOUND, "not_found");
    let reply = app.get("/revocations?since=abc", None).await;
    assert_json_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
}
