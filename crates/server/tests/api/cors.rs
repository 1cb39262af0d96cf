//! CORS: browser applications call the token, revocation and userinfo endpoints, the JWKS and
//! discovery from the origins their client registered, and from no other.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use tessera_core::authority::NewClient;
use tessera_core::model::Actor;
use tessera_core::model::{ClientWeb, Grant};

use crate::helpers::{Reply, TestApp, TestClient, bare, form, text};

const SPA: &str = "https://spa.example";
const OTHER_SPA: &str = "https://other.example";
const EVIL: &str = "https://evil.example";

/// A public client (password and refresh grants) that registered `origins`.
async fn spa_client(app: &TestApp, origins: &[&str]) -> TestClient {
    let new = NewClient::new("SPA", &[Grant::Password, Grant::RefreshToken])
        .with_scopes(&["read".into()])
        .public(true)
        .with_web(ClientWeb {
            allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            ..ClientWeb::default()
        });
    let (client, _) = app
        .authority
        .register_client(&new, &Actor::Operator)
        .await
        .expect("client");
    TestClient {
        id: client.id.into_string(),
        secret: None,
    }
}

fn preflight(path: &str, origin: &str, method: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri(path)
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type, dpop")
        .body(Body::empty())
        .expect("request")
}

fn from(origin: &str, mut request: Request<Body>) -> Request<Body> {
    request
        .headers_mut()
        .insert(header::ORIGIN, origin.parse().expect("origin"));
    request
}

fn password_form(client: &TestClient) -> Request<Body> {
    form(
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", crate::helpers::PASSWORD),
        ],
        Some(client),
    )
}

fn assert_open_to(reply: &Reply, origin: &str) {
    assert_eq!(reply.header("access-control-allow-origin"), origin);
    assert!(
        reply
            .headers
            .get("access-control-allow-credentials")
            .is_none()
    );
    assert!(
        reply
            .header("access-control-expose-headers")
            .contains("WWW-Authenticate"),
        "{:?}",
        reply.headers
    );
    assert!(
        reply
            .headers
            .get_all(header::VARY)
            .iter()
            .any(|v| v == "Origin"),
        "{:?}",
        reply.headers
    );
}

fn assert_closed(reply: &Reply) {
    assert!(
        reply.headers.get("access-control-allow-origin").is_none(),
        "{:?}",
        reply.headers
    );
}

#[tokio::test]
async fn a_preflight_from_a_registered_origin_is_answered_on_every_cors_route() {
    let app = TestApp::new().await;
    spa_client(&app, &[SPA]).await;
    for (path, method) in [
        ("/oauth/token", "POST"),
        ("/oauth/revoke", "POST"),
        ("/userinfo", "GET"),
        ("/.well-known/jwks.json", "GET"),
        ("/.well-known/openid-configuration", "GET"),
        ("/.well-known/oauth-authorization-server", "GET"),
    ] {
        let reply = app.send(preflight(path, SPA, method)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{path}");
        assert_open_to(&reply, SPA);
        assert!(
            reply
                .header("access-control-allow-methods")
                .contains(method),
            "{path}"
        );
        let allowed = reply
            .header("access-control-allow-headers")
            .to_ascii_lowercase();
        for name in ["authorization", "content-type", "dpop"] {
            assert!(allowed.contains(name), "{path}: {allowed}");
        }
        assert_eq!(reply.header("access-control-max-age"), "600");
    }
}

#[tokio::test]
async fn a_preflight_from_an_unregistered_origin_is_refused_as_json() {
    let app = TestApp::new().await;
    spa_client(&app, &[SPA]).await;
    for origin in [
        EVIL,
        "null",
        "https://spa.example.evil",
        "http://spa.example",
    ] {
        let reply = app.send(preflight("/oauth/token", origin, "POST")).await;
        reply.assert_error(StatusCode::FORBIDDEN, "invalid_request");
        assert_closed(&reply);
        assert!(
            reply.json()["error_description"]
                .as_str()
                .expect("description")
                .contains("--allowed-origin")
        );
    }
}

#[tokio::test]
async fn options_without_a_preflight_says_what_the_route_allows() {
    let app = TestApp::new().await;
    let reply = app.send(bare(Method::OPTIONS, "/oauth/token", None)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.header("allow"), "POST, OPTIONS");
    assert_closed(&reply);
    let reply = app.send(bare(Method::OPTIONS, "/userinfo", None)).await;
    assert_eq!(reply.header("allow"), "GET, POST, OPTIONS");
}

#[tokio::test]
async fn the_token_endpoint_opens_its_answer_to_the_clients_own_origins_only() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let spa = spa_client(&app, &[SPA]).await;
    spa_client(&app, &[OTHER_SPA]).await;

    let reply = app.send(from(SPA, password_form(&spa))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_open_to(&reply, SPA);

    // Another client's origin, and an origin nobody registered, may not read it.
    for origin in [OTHER_SPA, EVIL] {
        let reply = app.send(from(origin, password_form(&spa))).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "the request itself is not refused"
        );
        assert_closed(&reply);
    }
}

#[tokio::test]
async fn errors_are_readable_by_the_registered_origin() {
    let app = TestApp::new().await;
    let spa = spa_client(&app, &[SPA]).await;
    // A wrong password: the client is named, the error is opened to its origin.
    let reply = app.send(from(SPA, password_form(&spa))).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_open_to(&reply, SPA);
    // A request naming no client: opened to any registered origin, so the app sees why.
    let nameless = form("/oauth/token", &[("grant_type", "password")], None);
    let reply = app.send(from(SPA, nameless)).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_client");
    assert_open_to(&reply, SPA);
    let nameless = form("/oauth/token", &[("grant_type", "password")], None);
    let reply = app.send(from(EVIL, nameless)).await;
    assert_closed(&reply);
}

#[tokio::test]
async fn userinfo_and_revocation_follow_the_tokens_client() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let spa = spa_client(&app, &[SPA]).await;
    let tokens = app.send(password_form(&spa)).await.json();
    let access = text(&tokens, "access_token");

    let reply = app
        .send(from(SPA, bare(Method::GET, "/userinfo", Some(&access))))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_open_to(&reply, SPA);
    let reply = app
        .send(from(EVIL, bare(Method::GET, "/userinfo", Some(&access))))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_closed(&reply);

    let refresh = text(&tokens, "refresh_token");
    let revoke = form("/oauth/revoke", &[("token", &refresh)], Some(&spa));
    let reply = app.send(from(SPA, revoke)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_open_to(&reply, SPA);
}

#[tokio::test]
async fn public_documents_are_opened_to_registered_origins_and_vary_on_origin() {
    let app = TestApp::new().await;
    spa_client(&app, &[SPA]).await;
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
    ] {
        let reply = app.send(from(SPA, bare(Method::GET, path, None))).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_open_to(&reply, SPA);
        let reply = app.send(from(EVIL, bare(Method::GET, path, None))).await;
        assert_closed(&reply);
        // Without an Origin the answer still varies on it, for shared caches.
        let reply = app.get(path, None).await;
        assert!(
            reply
                .headers
                .get_all(header::VARY)
                .iter()
                .any(|v| v == "Origin")
        );
    }
}

#[tokio::test]
async fn an_origin_registered_while_the_server_runs_is_honoured_within_seconds() {
    let app = TestApp::new().await;
    spa_client(&app, &[OTHER_SPA]).await;
    // The first preflight reads the origins; a client added after it is still seen, because
    // an unknown origin makes the server read them again (at most every two seconds).
    let reply = app.send(preflight("/oauth/token", OTHER_SPA, "POST")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    tokio::time::sleep(tessera_server::http::cors::MISS_REFRESH_AFTER).await;
    spa_client(&app, &[SPA]).await;
    let reply = app.send(preflight("/oauth/token", SPA, "POST")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_open_to(&reply, SPA);
}

#[tokio::test]
async fn routes_outside_cors_never_answer_it() {
    let app = TestApp::new().await;
    spa_client(&app, &[SPA]).await;
    let reply = app.send(preflight("/oauth/introspect", SPA, "POST")).await;
    assert_closed(&reply);
    let reply = app.send(preflight("/admin/users", SPA, "GET")).await;
    assert_closed(&reply);
    let reply = app
        .send(from(SPA, bare(Method::GET, "/healthz", None)))
        .await;
    assert_closed(&reply);
}
