//! Bad input is a 4xx, never a 500: sizes, repeats, content types, malformed bodies.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

use crate::helpers::{PASSWORD, TestApp, basic};

fn raw(path: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut builder = Request::builder().method(Method::POST).uri(path);
    if let Some(kind) = content_type {
        builder = builder.header(header::CONTENT_TYPE, kind);
    }
    builder.body(body.into()).expect("request")
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn malformed_token_requests_are_invalid_request() {
    let app = TestApp::new().await;
    let cases: Vec<(Option<&str>, Vec<u8>)> = vec![
        (FORM, b"grant_type=password&grant_type=password".to_vec()),
        (FORM, b"grant_type=\xff".to_vec()),
        (Some("text/plain"), b"grant_type=password".to_vec()),
        (None, b"grant_type=password".to_vec()),
        (JSON, b"{not json".to_vec()),
        (JSON, br#"{"grant_type": 1}"#.to_vec()),
        (JSON, br#"["grant_type"]"#.to_vec()),
        (JSON, br#"{"a":"1","a":"2"}"#.to_vec()),
        (FORM, format!("client_id={}", "c".repeat(9000)).into_bytes()),
        (
            FORM,
            (0..40)
                .map(|i| format!("p{i}=1&"))
                .collect::<String>()
                .into_bytes(),
        ),
    ];
    for (kind, body) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let reply = app.send(raw("/oauth/token", kind, body)).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(!shown.is_empty());
    }
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::new().await;
    let body = format!("grant_type=password&username={}", "a".repeat(70 * 1024));
    let reply = app.send(raw("/oauth/token", FORM, body)).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request");
}

#[tokio::test]
async fn long_credentials_are_refused_before_hashing() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let long = "p".repeat(1025);
    let reply = app.password_grant(&client, "alice", &long).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let reply = app.password_grant(&client, &long, PASSWORD).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn garbage_never_gets_a_500() {
    let app = TestApp::new().await;
    let client = app.app_client().await;
    let bodies: [&[u8]; 6] = [
        b"",
        b"&&&===",
        b"%zz=%",
        b"token=%00%ff",
        b"\x00\x01\x02",
        b"grant_type=refresh_token&refresh_token=..........................................",
    ];
    let paths = [
        "/oauth/token",
        "/oauth/revoke",
        "/oauth/introspect",
        "/logout",
        "/account/password",
        "/admin/users",
        "/admin/clients",
        "/admin/keys/rotate",
    ];
    for path in paths {
        for body in bodies {
            for kind in [FORM, JSON, None] {
                let mut request = raw(path, kind, body.to_vec());
                request.headers_mut().insert(
                    header::AUTHORIZATION,
                    basic(&client).parse().expect("header"),
                );
                let reply = app.send(request).await;
                assert!(
                    !reply.status.is_server_error(),
                    "{path} {kind:?} {body:?}: {}",
                    reply.status
                );
            }
        }
    }
}

#[tokio::test]
async fn percent_encoded_bytes_that_are_not_utf8_are_invalid_request() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let bodies = [
        "grant_type=password&username=%FF%FE&password=x",
        "grant_type=password&username=alice&password=%C3%28",
        "grant_type=password&username=alice&password=x&scope=%ED%A0%80",
    ];
    for body in bodies {
        let mut request = raw("/oauth/token", FORM, body);
        request.headers_mut().insert(
            header::AUTHORIZATION,
            basic(&client).parse().expect("header"),
        );
        let reply = app.send(request).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    for path in [
        "/revocations?since=%FF",
        "/revocations/stream?since=1&x=%FE",
    ] {
        let reply = app.get(path, None).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    // Valid UTF-8, percent-encoded, is still read.
    let reply = app.get("/revocations?since=%30", None).await;
    assert_eq!(reply.status, StatusCode::OK);
}
