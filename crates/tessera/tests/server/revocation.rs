//! Revocation (RFC 7009) seen by /userinfo, the feed and its stream; introspection; logout.

use std::thread;
use std::time::Duration;

use crate::helpers::{get, login, post_form, read_stream_until, refresh, server_with_alice, text};

#[test]
fn a_revoked_access_token_is_refused_and_published() {
    let (_data, server, client) = server_with_alice();
    let tokens = login(&server, &client, "alice");
    let access = text(&tokens, "access_token");
    let start = get(&server.url("/revocations"), None).json()["next"]
        .as_i64()
        .expect("cursor");
    let stream_url = server.url("/revocations/stream");
    let last_id = start.to_string();
    let watcher = thread::spawn(move || read_stream_until(&stream_url, &last_id, "\"jti\""));
    thread::sleep(Duration::from_millis(300));
    let revoke = post_form(
        &server.url("/oauth/revoke"),
        Some(&client.basic()),
        &[("token", &access)],
    );
    assert_eq!(revoke.status, 200);
    assert_eq!(get(&server.url("/userinfo"), Some(&access)).status, 401);
    let feed = get(&server.url(&format!("/revocations?since={start}")), None).json();
    assert_eq!(feed["revocations"].as_array().expect("list").len(), 1);
    let streamed = watcher.join().expect("watcher");
    assert!(streamed.contains("event: revocation"), "{streamed}");
    assert!(
        streamed.contains(&format!("id: {}", start + 1)),
        "{streamed}"
    );
}

#[test]
fn introspection_follows_the_token_state() {
    let (_data, server, client) = server_with_alice();
    let tokens = login(&server, &client, "alice");
    let url = server.url("/oauth/introspect");
    let access = text(&tokens, "access_token");
    let active = post_form(&url, Some(&client.basic()), &[("token", &access)]).json();
    assert_eq!(active["active"], true);
    let refresh_token = text(&tokens, "refresh_token");
    refresh(&server, &client, &refresh_token);
    let used = post_form(&url, Some(&client.basic()), &[("token", &refresh_token)]).json();
    assert_eq!(used["active"], false);
    let anonymous = post_form(&url, None, &[("token", &access)]);
    assert_eq!(
        (anonymous.status, anonymous.error().as_str()),
        (401, "invalid_client")
    );
}

#[test]
fn logout_ends_the_session() {
    let (_data, server, client) = server_with_alice();
    let tokens = login(&server, &client, "alice");
    let access = text(&tokens, "access_token");
    let bearer = format!("Bearer {access}");
    let out = post_form(&server.url("/logout"), Some(&bearer), &[]);
    assert_eq!(out.status, 204, "{}", out.body);
    assert_eq!(get(&server.url("/userinfo"), Some(&access)).status, 401);
    let again = refresh(&server, &client, &text(&tokens, "refresh_token"));
    assert_eq!(again.status, 400);
}

#[test]
fn stopping_ends_revocation_streams_at_once() {
    let (_data, server, _client) = server_with_alice();
    let stream_url = server.url("/revocations/stream");
    let watcher = thread::spawn(move || read_stream_until(&stream_url, "0", "event: shutdown"));
    // The follower is connected (a keep-alive comment or nothing yet) before the stop.
    thread::sleep(Duration::from_millis(500));
    let asked = std::time::Instant::now();
    let status = server.terminate();
    let took = asked.elapsed();
    assert!(status.success(), "{status:?}");
    // The graceful shutdown would wait 10 s for an open stream; it ends at once instead.
    assert!(took < Duration::from_secs(5), "stopping took {took:?}");
    let streamed = watcher.join().expect("watcher");
    assert!(streamed.contains("event: shutdown"), "{streamed}");
}
