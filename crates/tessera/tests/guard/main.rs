//! End to end with `tessera-guard`: the real `tessera serve` on a free loopback port, a
//! guarded axum app in this process that trusts it by discovery, a token from the password
//! grant, and its revocation through `/oauth/revoke`, refused by the guard within a second;
//! and a signing-key rotation made with the CLI, picked up by a running guard (`rotation`).

#[path = "../server/helpers.rs"]
mod helpers;
mod rotation;

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get as route_get, post as route_post};
use serde_json::Value;
use tessera_guard::{AccessToken, FeedState, Guard};
use tokio::runtime::Runtime;

use helpers::{Client, DataDir, PASSWORD, ServerProcess, get, post_form, text, token};

const AUDIENCE: &str = "orders-api";

/// A confidential password client whose tokens are for [`AUDIENCE`].
fn orders_client(data: &DataDir) -> Client {
    let args = [
        "client",
        "add",
        "orders-web",
        "--grant",
        "password",
        "--scope",
        "orders:read",
        "--scope",
        "orders:write",
        "--audience",
        AUDIENCE,
    ];
    let out: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    Client {
        id: out["client_id"].as_str().expect("id").to_owned(),
        secret: out["client_secret"].as_str().map(str::to_owned),
    }
}

/// `/orders` (GET needs `orders:read`, POST needs `orders:write`), served on a free port.
fn guarded_app(runtime: &Runtime, guard: &Guard) -> String {
    let subject = |token: AccessToken| async move { token.subject().to_owned() };
    let app = Router::new()
        .route(
            "/orders",
            route_get(subject).route_layer(guard.layer().require_scope("orders:read")),
        )
        .route(
            "/orders/new",
            route_post(subject).route_layer(guard.layer().require_scope("orders:write")),
        );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let address = listener.local_addr().expect("address");
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

fn login(server: &ServerProcess, client: &Client, scope: &str) -> String {
    let reply = token(
        server,
        client,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
            ("scope", scope),
        ],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    text(&reply.json(), "access_token")
}

#[test]
fn a_revoked_token_is_refused_by_the_guard_within_a_second() {
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let client = orders_client(&data);
    let runtime = Runtime::new().expect("runtime");
    let guard = runtime
        .block_on(
            Guard::builder()
                .issuer(&server.base)
                .audience(AUDIENCE)
                .build(),
        )
        .expect("guard trusts the server");
    let app = guarded_app(&runtime, &guard);
    let orders = format!("{app}/orders");

    let access = login(&server, &client, "orders:read");
    let ok = get(&orders, Some(&access));
    assert_eq!(ok.status, 200, "{}", ok.body);
    let forbidden = post_form(
        &format!("{app}/orders/new"),
        Some(&format!("Bearer {access}")),
        &[],
    );
    assert_eq!(forbidden.status, 403);
    let deadline = Instant::now() + Duration::from_secs(10);
    while guard.feed_state() != FeedState::Streaming {
        assert!(Instant::now() < deadline, "feed: {:?}", guard.feed_state());
        std::thread::sleep(Duration::from_millis(10));
    }

    let revoke = post_form(
        &server.url("/oauth/revoke"),
        Some(&client.basic()),
        &[("token", &access)],
    );
    assert_eq!(revoke.status, 200, "{}", revoke.body);
    let revoked_at = Instant::now();
    let refused = loop {
        let reply = get(&orders, Some(&access));
        if reply.status != 200 || revoked_at.elapsed() > Duration::from_secs(5) {
            break reply;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = revoked_at.elapsed();
    eprintln!("the guard refused the revoked token {took:?} after the revocation call");
    assert_eq!(refused.status, 401, "{}", refused.body);
    let challenge = refused.header("www-authenticate").expect("challenge");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(took < Duration::from_secs(1), "refused only after {took:?}");
    assert_eq!(guard.stats().rejected.get("token_revoked"), Some(&1));

    // Other tokens of the same user are unaffected.
    let fresh = login(&server, &client, "orders:read");
    assert_eq!(get(&orders, Some(&fresh)).status, 200);
}

#[test]
fn tokens_of_another_issuer_or_audience_are_refused() {
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let client = orders_client(&data);
    let runtime = Runtime::new().expect("runtime");
    let other_api = runtime
        .block_on(
            Guard::builder()
                .issuer(&server.base)
                .audience("billing-api")
                .build(),
        )
        .expect("guard");
    let app = guarded_app(&runtime, &other_api);
    let access = login(&server, &client, "orders:read");
    let refused = get(&format!("{app}/orders"), Some(&access));
    assert_eq!(refused.status, 401);
    assert_eq!(other_api.stats().rejected.get("aud_invalid"), Some(&1));
}
