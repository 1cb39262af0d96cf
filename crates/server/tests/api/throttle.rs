//! Brute-force throttling of the password grant: per account and per client IP.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::StatusCode;

use crate::helpers::{PASSWORD, TestApp, config, form};
use tessera_server::throttle::ThrottleConfig;

fn limits(account: u32, ip: u32) -> ThrottleConfig {
    let mut throttle = ThrottleConfig::default();
    throttle.account.free_failures = account;
    throttle.account.base_delay = Duration::from_secs(30);
    throttle.ip.free_failures = ip;
    throttle.ip.base_delay = Duration::from_secs(30);
    throttle
}

#[tokio::test]
async fn a_locked_account_gets_429_even_with_the_right_password() {
    let app = TestApp::with(config(), limits(3, 100)).await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    for _ in 0..3 {
        let reply = app.password_grant(&client, "alice", "wrong").await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let reply = app.password_grant(&client, "ALICE", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = reply.header("retry-after").parse().expect("seconds");
    assert!((1..=30).contains(&retry), "{retry}");
    assert!(
        app.metrics
            .render()
            .contains("tessera_login_throttled_total 1")
    );
    let other = app.password_grant(&client, "bob", "wrong").await;
    other.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn unknown_usernames_are_throttled_alike() {
    let app = TestApp::with(config(), limits(2, 100)).await;
    let client = app.app_client().await;
    for _ in 0..2 {
        app.password_grant(&client, "ghost", "x").await;
    }
    let reply = app.password_grant(&client, "ghost", "x").await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn success_resets_the_account_counter() {
    let app = TestApp::with(config(), limits(3, 100)).await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    for _ in 0..2 {
        app.password_grant(&client, "alice", "wrong").await;
    }
    app.login(&client, "alice").await;
    for _ in 0..2 {
        let reply = app.password_grant(&client, "alice", "wrong").await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_throttled() {
    let app = TestApp::with(config(), limits(100, 3)).await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let from = |user: &str, password: &str, port: u16| {
        let mut request = form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("username", user),
                ("password", password),
            ],
            Some(&client),
        );
        let addr = SocketAddr::from(([10, 0, 0, 7], port));
        request.extensions_mut().insert(ConnectInfo(addr));
        request
    };
    for (i, user) in ["u1", "u2", "u3"].iter().enumerate() {
        let port = 4000 + u16::try_from(i).expect("small");
        app.send(from(user, "x", port)).await;
    }
    let reply = app.send(from("alice", PASSWORD, 5000)).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let mut elsewhere = from("alice", PASSWORD, 5000);
    elsewhere
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 8], 1))));
    assert_eq!(app.send(elsewhere).await.status, StatusCode::OK);
}
