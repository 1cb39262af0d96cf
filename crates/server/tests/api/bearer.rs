//! How the protected endpoints read the `Authorization` header (RFC 6750 §2.1, §3.1): with
//! the same parser as the guard in the services the tokens are for.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::helpers::{TestApp, assert_bearer_challenge, text};

/// `GET /userinfo` with these `Authorization` headers, in this order.
fn userinfo(authorization: &[&str]) -> Request<Body> {
    let mut builder = Request::builder().uri("/userinfo");
    for value in authorization {
        builder = builder.header(header::AUTHORIZATION, *value);
    }
    builder.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn two_authorization_headers_are_an_invalid_request() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let access = text(&app.login(&client, "alice").await, "access_token");
    let valid = format!("Bearer {access}");
    // The valid token alone is accepted: what follows is refused for the repetition only.
    assert_eq!(app.send(userinfo(&[&valid])).await.status, StatusCode::OK);
    for pair in [
        [valid.as_str(), valid.as_str()],
        [valid.as_str(), "Bearer other"],
        ["Bearer other", valid.as_str()],
        [valid.as_str(), "Basic dXNlcjpwYXNz"],
    ] {
        let reply = app.send(userinfo(&pair)).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn no_bearer_token_is_invalid_token() {
    let app = TestApp::new().await;
    for headers in [&[][..], &["Basic dXNlcjpwYXNz"], &["Digest username=\"a\""]] {
        let reply = app.send(userinfo(headers)).await;
        assert_bearer_challenge(&reply);
        reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    }
}

#[tokio::test]
async fn characters_outside_b64token_are_an_invalid_request() {
    let app = TestApp::new().await;
    for value in ["Bearer a=b", "Bearer ===", "Bearer a,b", "Bearer  "] {
        let reply = app.send(userinfo(&[value])).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}
