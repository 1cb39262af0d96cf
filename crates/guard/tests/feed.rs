//! The revocation feed: catch-up at start, live events over SSE, resuming from the cursor
//! after a disconnect, and polling when the stream is unavailable.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use tessera_guard::{FeedState, Guard};

use common::{FakeIssuer, now};

/// Verifies `token` every 20 ms until the guard refuses it as revoked (10 s at most).
async fn until_revoked(guard: &Guard, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match guard.verify(token).await {
            Err(rejection) if rejection.code() == "token_revoked" => return,
            Err(other) => panic!("refused for another reason: {other}"),
            Ok(_) => assert!(Instant::now() < deadline, "never seen as revoked"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The `jti` of a token the test itself minted.
fn jti(token: &str) -> String {
    let decoded = tessera_jose::danger::decode_unverified(token, 16 * 1024).expect("decode");
    let claims: serde_json::Value = serde_json::from_slice(&decoded.payload).expect("json");
    claims["jti"].as_str().expect("jti").to_owned()
}

#[tokio::test]
async fn revocations_published_before_start_are_applied_at_build() {
    let issuer = FakeIssuer::start().await;
    let token = issuer.token(json!({}));
    issuer.revoke(&jti(&token), now() + 300);
    let guard = issuer.guard().await;
    let refused = guard.verify(&token).await.map_err(|e| e.code());
    assert_eq!(refused.err(), Some("token_revoked"));
    assert!(guard.verify(&issuer.token(json!({}))).await.is_ok());
    assert_eq!(guard.stats().revoked_entries, 1);
}

#[tokio::test]
async fn a_revocation_arrives_over_the_stream() {
    let issuer = FakeIssuer::start().await;
    let guard = issuer.guard().await;
    let token = issuer.token(json!({}));
    assert!(guard.verify(&token).await.is_ok());
    let polls = issuer.state.list_calls.load(Ordering::SeqCst);
    let cursor = issuer.revoke(&jti(&token), now() + 300);
    until_revoked(&guard, &token).await;
    assert_eq!(guard.feed_state(), FeedState::Streaming);
    assert_eq!(guard.feed_cursor(), cursor);
    // It came over the stream, not from polling the list.
    assert_eq!(issuer.state.list_calls.load(Ordering::SeqCst), polls);
}

#[tokio::test]
async fn the_stream_resumes_from_the_last_cursor_after_a_disconnect() {
    let issuer = FakeIssuer::start().await;
    // Every stream connection ends after one event.
    issuer
        .state
        .stream_events_per_connection
        .store(1, Ordering::SeqCst);
    let guard = issuer.guard().await;
    let first = issuer.token(json!({}));
    let second = issuer.token(json!({}));
    let cursor = issuer.revoke(&jti(&first), now() + 300);
    until_revoked(&guard, &first).await;
    // The server ended the stream after that event; the guard reconnects from its cursor.
    let deadline = Instant::now() + Duration::from_secs(10);
    while issuer.state.stream_connects.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "no reconnection");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ids = issuer.state.last_event_ids.lock().expect("lock").clone();
    assert_eq!(ids, ["0".to_owned(), cursor.to_string()]);
    issuer.revoke(&jti(&second), now() + 300);
    until_revoked(&guard, &second).await;
}

#[tokio::test]
async fn without_a_stream_the_guard_polls() {
    let issuer = FakeIssuer::start().await;
    issuer.state.stream_enabled.store(false, Ordering::SeqCst);
    let guard = issuer
        .guard_with(|b| b.revocation_poll_interval(Duration::from_millis(100)))
        .await;
    let token = issuer.token(json!({}));
    issuer.revoke(&jti(&token), now() + 300);
    until_revoked(&guard, &token).await;
    assert_eq!(guard.feed_state(), FeedState::Polling);
    assert_eq!(issuer.state.stream_connects.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn without_a_feed_nothing_is_followed() {
    let issuer = FakeIssuer::start().await;
    let guard = issuer.guard_with(|b| b.without_revocation_feed()).await;
    assert_eq!(guard.feed_state(), FeedState::Off);
    let token = issuer.token(json!({}));
    issuer.revoke(&jti(&token), now() + 300);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(guard.verify(&token).await.is_ok());
    assert_eq!(issuer.state.list_calls.load(Ordering::SeqCst), 0);
}
