//! Brute-force throttling of the password grant: per account and per client IP.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};

use crate::helpers::{PASSWORD, TestApp, bare, config, form};
use tessera_core::Config;
use tessera_core::lockout::LockoutPolicy;
use tessera_server::throttle::ThrottleConfig;

/// `account` free failures per account (the authority's lock-out) and `ip` per address (the
/// server's throttle), each then 30 s doubling.
fn limits(account: u32, ip: u32) -> (Config, ThrottleConfig) {
    let policy = |free| LockoutPolicy::new(free, Duration::from_secs(30), Duration::from_secs(900));
    let mut config = config();
    config.lockout = policy(account);
    let throttle = ThrottleConfig {
        ip: policy(ip),
        ..ThrottleConfig::default()
    };
    (config, throttle)
}

#[tokio::test]
async fn a_locked_account_gets_429_even_with_the_right_password() {
    let app = TestApp::with_limits(limits(3, 100)).await;
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
    let app = TestApp::with_limits(limits(2, 100)).await;
    let client = app.app_client().await;
    for _ in 0..2 {
        app.password_grant(&client, "ghost", "x").await;
    }
    let reply = app.password_grant(&client, "ghost", "x").await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn success_resets_the_account_counter() {
    let app = TestApp::with_limits(limits(3, 100)).await;
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
    let app = TestApp::with_limits(limits(100, 3)).await;
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

/// A password grant for `user` arriving from `peer` with these `X-Forwarded-For` values.
fn forwarded(
    client: &crate::helpers::TestClient,
    user: &str,
    password: &str,
    peer: [u8; 4],
    forwarded_for: &[&str],
) -> axum::http::Request<axum::body::Body> {
    let mut request = form(
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("username", user),
            ("password", password),
        ],
        Some(client),
    );
    for value in forwarded_for {
        request
            .headers_mut()
            .append("x-forwarded-for", value.parse().expect("header value"));
    }
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((peer, 443))));
    request
}

const PROXY: [u8; 4] = [10, 0, 0, 2];

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_throttled() {
    let proxies = "10.0.0.0/8".parse().expect("proxies");
    let app = TestApp::behind_with_limits(limits(100, 3), proxies).await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    // The client forges a left-most entry each time; the proxy's own entry is what counts.
    for forged in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        let hops = format!("{forged}, 203.0.113.5");
        let reply = app
            .send(forwarded(&client, "u", "x", PROXY, &[&hops, "10.0.0.9"]))
            .await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let locked = forwarded(&client, "alice", PASSWORD, PROXY, &["4.4.4.4, 203.0.113.5"]);
    assert_eq!(app.send(locked).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is not locked out with it.
    let other = forwarded(&client, "alice", PASSWORD, PROXY, &["203.0.113.6"]);
    assert_eq!(app.send(other).await.status, StatusCode::OK);
}

#[tokio::test]
async fn from_an_untrusted_peer_forwarded_for_is_ignored() {
    let proxies = "10.0.0.0/8".parse().expect("proxies");
    let app = TestApp::behind_with_limits(limits(100, 3), proxies).await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let peer = [192, 0, 2, 1];
    for spoofed in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        app.send(forwarded(&client, "u", "x", peer, &[spoofed]))
            .await;
    }
    let reply = app
        .send(forwarded(
            &client,
            "alice",
            PASSWORD,
            peer,
            &["203.0.113.4"],
        ))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the peer is locked"
    );
    let proxied = forwarded(&client, "alice", PASSWORD, PROXY, &["192.0.2.1"]);
    assert_eq!(
        app.send(proxied).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same client through the proxy is the same client"
    );
}

#[tokio::test]
async fn an_admin_unlocks_an_account() {
    let app = TestApp::with_limits(limits(2, 100)).await;
    app.user("alice", &[]).await;
    let admin = app.admin_token().await;
    let client = app.app_client().await;
    for _ in 0..2 {
        app.password_grant(&client, "alice", "wrong").await;
    }
    let locked = app.password_grant(&client, "alice", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);

    let path = "/admin/users/ALICE/unlock";
    let reply = app
        .send(bare(
            Method::POST,
            "/admin/users/ghost/unlock",
            Some(&admin),
        ))
        .await;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found");
    let reply = app.send(bare(Method::POST, path, Some(&admin))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    app.login(&client, "alice").await;
}

#[tokio::test]
async fn unlocking_needs_the_admin_role() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let token = app.login(&client, "alice").await;
    let token = token["access_token"].as_str().expect("token");
    let reply = app
        .send(bare(Method::POST, "/admin/users/alice/unlock", Some(token)))
        .await;
    reply.assert_error(StatusCode::FORBIDDEN, "insufficient_scope");
}
