//! `POST /oauth/revoke` (RFC 7009) and `POST /oauth/introspect` (RFC 7662).

use axum::http::StatusCode;
use tessera_core::model::Grant;

use crate::helpers::{TestApp, assert_bearer_challenge, assert_no_store, form, text};

#[tokio::test]
async fn revoking_an_access_token_denies_it_and_feeds_the_revocation_list() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let tokens = app.login(&client, "alice").await;
    let access = text(&tokens, "access_token");
    assert_eq!(
        app.get("/userinfo", Some(&access)).await.status,
        StatusCode::OK
    );
    let reply = app
        .send(form("/oauth/revoke", &[("token", &access)], Some(&client)))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_bearer_challenge(&app.get("/userinfo", Some(&access)).await);
    let feed = app.get("/revocations", None).await.json();
    assert_eq!(feed["revocations"].as_array().expect("list").len(), 1);
    let claims = app
        .authority
        .verify_access_token(&text(&tokens, "access_token"))
        .await;
    assert!(claims.is_err(), "revoked");
    assert!(feed["revocations"][0]["jti"].is_string());
    assert!(feed["next"].as_i64().expect("cursor") > 0);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_the_session() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let tokens = app.login(&client, "alice").await;
    let refresh = text(&tokens, "refresh_token");
    let params = [
        ("token", refresh.as_str()),
        ("token_type_hint", "refresh_token"),
    ];
    let reply = app
        .send(form("/oauth/revoke", &params, Some(&client)))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    app.send(form("/oauth/token", &grant, Some(&client)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_bearer_challenge(
        &app.get("/userinfo", Some(&text(&tokens, "access_token")))
            .await,
    );
}

#[tokio::test]
async fn revocation_errors() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let other = app.app_client().await;
    let tokens = app.login(&client, "alice").await;
    let unknown = app
        .send(form(
            "/oauth/revoke",
            &[("token", "nonsense")],
            Some(&client),
        ))
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::OK,
        "unknown tokens are a success"
    );
    app.send(form("/oauth/revoke", &[], Some(&client)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    app.send(form("/oauth/revoke", &[("token", "x")], None))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_client");
    let access = text(&tokens, "access_token");
    app.send(form("/oauth/revoke", &[("token", &access)], Some(&other)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "unauthorized_client");
}

#[tokio::test]
async fn introspection_reports_active_and_inactive_tokens() {
    let app = TestApp::new().await;
    let user_id = app.user("alice", &["staff"]).await;
    let client = app.app_client().await;
    let tokens = app.login(&client, "alice").await;
    let access = text(&tokens, "access_token");
    let reply = app
        .send(form(
            "/oauth/introspect",
            &[("token", &access)],
            Some(&client),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_no_store(&reply);
    let info = reply.json();
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], user_id);
    assert_eq!(info["client_id"], client.id);
    assert_eq!(info["token_type"], "Bearer");
    assert_eq!(info["roles"], serde_json::json!(["staff"]));
    let refresh = text(&tokens, "refresh_token");
    let info = app
        .send(form(
            "/oauth/introspect",
            &[("token", &refresh)],
            Some(&client),
        ))
        .await
        .json();
    assert_eq!(info["active"], true);
    assert_eq!(info["token_type"], "refresh_token");
    let info = app
        .send(form(
            "/oauth/introspect",
            &[("token", "junk")],
            Some(&client),
        ))
        .await
        .json();
    assert_eq!(info, serde_json::json!({"active": false}));
}

#[tokio::test]
async fn introspection_requires_a_confidential_client() {
    let app = TestApp::new().await;
    let public = app.client(&[Grant::Password], true).await;
    app.send(form("/oauth/introspect", &[("token", "x")], Some(&public)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "unauthorized_client");
    app.send(form("/oauth/introspect", &[("token", "x")], None))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_client");
}
