//! `POST /oauth/token`: the three grants, client authentication, and their errors.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use tessera_core::model::Grant;

use crate::helpers::{PASSWORD, TestApp, TestClient, assert_no_store, basic, form, text};

#[tokio::test]
async fn password_grant_with_basic_auth() {
    let app = TestApp::new().await;
    let user_id = app.user("alice", &[]).await;
    let client = app.app_client().await;
    let reply = app.password_grant(&client, "alice", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_no_store(&reply);
    assert_eq!(reply.header("pragma"), "no-cache");
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert_eq!(tokens["scope"], "read write");
    assert!(tokens["refresh_token"].is_string());
    let claims = app
        .authority
        .verify_access_token(&text(&tokens, "access_token"))
        .await
        .expect("valid");
    assert_eq!(claims.sub, user_id);
    assert!(
        app.metrics
            .render()
            .contains("tessera_tokens_issued_total{grant=\"password\"} 1")
    );
}

#[tokio::test]
async fn client_secret_post_and_json_bodies_work() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let secret = client.secret.clone().expect("secret");
    let post = form(
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
            ("client_id", &client.id),
            ("client_secret", &secret),
            ("scope", "read"),
        ],
        None,
    );
    let reply = app.send(post).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.json()["scope"], "read");
    let body = json!({
        "grant_type": "password", "username": "alice", "password": PASSWORD,
        "client_id": client.id, "client_secret": secret,
    });
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/token")
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body.to_string()))
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn public_client_authenticates_with_client_id_alone() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.client(&[Grant::Password], true).await;
    let reply = app.password_grant(&client, "alice", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.json().get("refresh_token").is_none(),
        "no refresh grant"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_alike() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let wrong = app.password_grant(&client, "alice", "nope").await;
    let unknown = app.password_grant(&client, "mallory", "nope").await;
    let a = wrong.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let b = unknown.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(a, b);
    assert_no_store(&wrong);
    assert!(
        app.metrics
            .render()
            .contains("tessera_login_failures_total 2")
    );
}

#[tokio::test]
async fn refresh_rotates_and_replay_revokes_the_family() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let first = app.login(&client, "alice").await;
    let refresh = |token: &str| {
        form(
            "/oauth/token",
            &[("grant_type", "refresh_token"), ("refresh_token", token)],
            Some(&client),
        )
    };
    let second = app.send(refresh(&text(&first, "refresh_token"))).await;
    assert_eq!(second.status, StatusCode::OK);
    let second = second.json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let replay = app.send(refresh(&text(&first, "refresh_token"))).await;
    replay.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let after = app.send(refresh(&text(&second, "refresh_token"))).await;
    after.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let userinfo = app
        .get("/userinfo", Some(&text(&second, "access_token")))
        .await;
    assert_eq!(
        userinfo.status,
        StatusCode::UNAUTHORIZED,
        "the session is over"
    );
}

#[tokio::test]
async fn client_credentials_has_no_refresh_token() {
    let app = TestApp::new().await;
    let client = app.client(&[Grant::ClientCredentials], false).await;
    let request = form(
        "/oauth/token",
        &[("grant_type", "client_credentials"), ("scope", "read")],
        Some(&client),
    );
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    let tokens = reply.json();
    assert!(tokens.get("refresh_token").is_none());
    assert_eq!(tokens["scope"], "read");
}

#[tokio::test]
async fn client_authentication_failures_are_401() {
    let app = TestApp::new().await;
    let client = app.app_client().await;
    let wrong = TestClient {
        id: client.id.clone(),
        secret: Some("x".repeat(43)),
    };
    let params = [("grant_type", "client_credentials")];
    let reply = app.send(form("/oauth/token", &params, Some(&wrong))).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(reply.header("www-authenticate").starts_with("Basic "));
    let unknown = TestClient {
        id: "c_nobody".into(),
        secret: None,
    };
    let reply = app
        .send(form("/oauth/token", &params, Some(&unknown)))
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_client");
    assert_eq!(
        reply.header("www-authenticate"),
        "",
        "no Basic challenge without Basic"
    );
    let reply = app.send(form("/oauth/token", &params, None)).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_client");
    let confidential_without_secret = TestClient {
        id: client.id,
        secret: None,
    };
    let reply = app
        .send(form(
            "/oauth/token",
            &params,
            Some(&confidential_without_secret),
        ))
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn grant_errors() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let send = |params: Vec<(&'static str, &'static str)>| {
        let client = client.clone();
        let app = &app;
        async move { app.send(form("/oauth/token", &params, Some(&client))).await }
    };
    send(vec![("grant_type", "implicit")])
        .await
        .assert_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    send(vec![])
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    send(vec![("grant_type", "client_credentials")])
        .await
        .assert_error(StatusCode::BAD_REQUEST, "unauthorized_client");
    send(vec![("grant_type", "password"), ("username", "alice")])
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    send(vec![("grant_type", "refresh_token")])
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    send(vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", "junk"),
    ])
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let scope = vec![
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
        ("scope", "admin"),
    ];
    send(scope)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_scope");
}

#[tokio::test]
async fn basic_and_post_auth_together_are_refused() {
    let app = TestApp::new().await;
    let client = app.app_client().await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, basic(&client))
        .body(Body::from("grant_type=client_credentials&client_secret=x"))
        .expect("request");
    app.send(request)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, "Basic %%%")
        .body(Body::from("grant_type=client_credentials"))
        .expect("request");
    app.send(request)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn token_exchange_answers_rfc_8693() {
    use tessera_core::model::{Actor, Grant};
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let login = app.login(&client, "alice").await;
    let subject = text(&login, "access_token");
    let (gateway, secret) = app
        .authority
        .create_client(
            "gateway",
            &[Grant::TokenExchange],
            &[],
            &["orders-api".into()],
            false,
            &Actor::Operator,
        )
        .await
        .expect("gateway");
    let gateway = crate::helpers::TestClient {
        id: gateway.id.into_string(),
        secret,
    };
    let urn = "urn:ietf:params:oauth:grant-type:token-exchange";
    let at = "urn:ietf:params:oauth:token-type:access_token";
    let fields = [
        ("grant_type", urn),
        ("subject_token", subject.as_str()),
        ("subject_token_type", at),
        ("audience", "orders-api"),
        ("scope", "read"),
    ];
    let reply = app
        .send(form("/oauth/token", &fields, Some(&gateway)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.header("cache-control"), "no-store");
    let body = reply.json();
    assert_eq!(body["issued_token_type"], at);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "read");
    assert!(body.get("refresh_token").is_none());
    let exchanged = text(&body, "access_token");
    let userinfo = app.get("/userinfo", Some(&exchanged)).await;
    assert_eq!(
        userinfo.status,
        StatusCode::OK,
        "the exchanged token speaks for alice"
    );

    let mut elsewhere = fields;
    elsewhere[3] = ("audience", "payroll");
    app.send(form("/oauth/token", &elsewhere, Some(&gateway)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_target");
    let mut broader = fields;
    broader[4] = ("scope", "read admin");
    app.send(form("/oauth/token", &broader, Some(&gateway)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_scope");
    let mut forged = fields;
    forged[1] = ("subject_token", "x.y.z");
    app.send(form("/oauth/token", &forged, Some(&gateway)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    app.send(form("/oauth/token", &fields[..1], Some(&gateway)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    app.send(form("/oauth/token", &fields, Some(&client)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "unauthorized_client");
    let discovery = app
        .get("/.well-known/openid-configuration", None)
        .await
        .json();
    let grants = discovery["grant_types_supported"]
        .as_array()
        .expect("grants");
    assert!(grants.iter().any(|g| g == urn), "{grants:?}");
}

#[tokio::test]
async fn the_password_grant_refuses_an_account_with_a_second_factor() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    app.authority
        .enroll_totp_for("alice", &tessera_core::model::Actor::Operator)
        .await
        .expect("enrolled");
    let reply = app.password_grant(&client, "alice", PASSWORD).await;
    let body = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        body["error_description"],
        "this account has a second factor: sign in through the browser"
    );
    // A wrong password is refused as before, and does not say the account has a factor.
    let wrong = app
        .password_grant(&client, "alice", "not the password")
        .await;
    let body = wrong.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        !body.to_string().contains("second factor"),
        "a wrong password learns nothing: {body}"
    );
    // Once the factor is removed, the password alone works again.
    let removed = app
        .authority
        .reset_factors("alice", &tessera_core::model::Actor::Operator)
        .await
        .expect("reset");
    assert!(removed);
    let reply = app.password_grant(&client, "alice", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}
