//! The Bearer-protected account endpoints.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use tessera_core::model::Grant;

use crate::helpers::{
    PASSWORD, TestApp, assert_bearer_challenge, assert_no_store, bare, form, text,
};

#[tokio::test]
async fn userinfo_tells_who_the_user_is() {
    let app = TestApp::new().await;
    let id = app.user("alice", &["staff"]).await;
    let client = app.app_client().await;
    let tokens = app.login(&client, "alice").await;
    let reply = app
        .get("/userinfo", Some(&text(&tokens, "access_token")))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_no_store(&reply);
    let info = reply.json();
    assert_eq!(info["sub"], id);
    assert_eq!(info["preferred_username"], "alice");
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["roles"], serde_json::json!(["staff"]));
}

#[tokio::test]
async fn bearer_errors() {
    let app = TestApp::new().await;
    let reply = app.get("/userinfo", None).await;
    assert_bearer_challenge(&reply);
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert_bearer_challenge(&app.get("/userinfo", Some("a.b.c")).await);
    for header_value in ["Bearer", "Bearer a b", "Bearer ä"] {
        let request = Request::builder()
            .uri("/userinfo")
            .header(header::AUTHORIZATION, header_value)
            .body(Body::empty())
            .expect("request");
        app.send(request)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let long = "a".repeat(9000);
    app.get("/userinfo", Some(&long))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    for (method, path) in [
        (Method::POST, "/logout"),
        (Method::GET, "/account/sessions"),
        (Method::DELETE, "/account/sessions/s_1"),
        (Method::POST, "/account/password"),
    ] {
        assert_bearer_challenge(&app.send(bare(method, path, None)).await);
    }
}

#[tokio::test]
async fn client_credentials_tokens_are_not_users() {
    let app = TestApp::new().await;
    let client = app.client(&[Grant::ClientCredentials], false).await;
    let reply = app
        .send(form(
            "/oauth/token",
            &[("grant_type", "client_credentials")],
            Some(&client),
        ))
        .await;
    let token = text(&reply.json(), "access_token");
    assert_bearer_challenge(&app.get("/userinfo", Some(&token)).await);
    assert_bearer_challenge(&app.get("/account/sessions", Some(&token)).await);
}

#[tokio::test]
async fn logout_ends_the_session_and_the_token() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let tokens = app.login(&client, "alice").await;
    let access = text(&tokens, "access_token");
    let reply = app.send(bare(Method::POST, "/logout", Some(&access))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_bearer_challenge(&app.get("/userinfo", Some(&access)).await);
    let refresh = text(&tokens, "refresh_token");
    let grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    app.send(form("/oauth/token", &grant, Some(&client)))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn sessions_can_be_listed_and_ended() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let first = app.login(&client, "alice").await;
    let second = app.login(&client, "alice").await;
    let access = text(&second, "access_token");
    let list = app.get("/account/sessions", Some(&access)).await;
    assert_eq!(list.status, StatusCode::OK);
    let sessions = list.json()["sessions"].as_array().expect("list").clone();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let other = sessions
        .iter()
        .find(|s| s["current"] == false)
        .expect("other session");
    let path = format!("/account/sessions/{}", text(other, "id"));
    let reply = app.send(bare(Method::DELETE, &path, Some(&access))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_bearer_challenge(
        &app.get("/userinfo", Some(&text(&first, "access_token")))
            .await,
    );
    app.send(bare(Method::DELETE, &path, Some(&access)))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.send(bare(
        Method::DELETE,
        "/account/sessions/nope",
        Some(&access),
    ))
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn password_change_ends_other_sessions() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let other = app.login(&client, "alice").await;
    let me = app.login(&client, "alice").await;
    let access = text(&me, "access_token");
    let change = |current: &str, new: &str| {
        let mut request = form(
            "/account/password",
            &[("current_password", current), ("new_password", new)],
            None,
        );
        request.headers_mut().insert(
            header::AUTHORIZATION,
            format!("Bearer {access}").parse().expect("header"),
        );
        request
    };
    app.send(change("wrong", "new password 1"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "access_denied");
    app.send(form("/account/password", &[], None))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    let reply = app.send(change(PASSWORD, "new password 1")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    assert_eq!(
        app.get("/userinfo", Some(&access)).await.status,
        StatusCode::OK
    );
    assert_bearer_challenge(
        &app.get("/userinfo", Some(&text(&other, "access_token")))
            .await,
    );
    app.password_grant(&client, "alice", PASSWORD)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        app.password_grant(&client, "alice", "new password 1")
            .await
            .status,
        StatusCode::OK
    );
}
