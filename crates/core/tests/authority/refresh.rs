//! The refresh token grant: rotation, grace window, replay, and what ends a session.

use std::time::Duration;

use tessera_core::model::Actor;
use tessera_core::model::Grant;
use tessera_core::model::SessionId;
use tessera_core::store::SessionStore;
use tessera_core::{GrantError, SecurityEvent, TokenError};

use crate::support::{Harness, PASSWORD, block_on, config, decode};

const BAD_REFRESH: &str = "the refresh token is invalid, expired or revoked";

fn refresh_token(response: &tessera_core::TokenResponse) -> String {
    response.refresh_token.clone().expect("refresh token")
}

#[test]
fn a_refresh_rotates_the_token_and_keeps_the_session() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let first = h.login(&app, "alice", Some("openid orders:read"));
    h.clock.advance(60);
    let second = block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None)).expect("ok");
    assert_ne!(refresh_token(&first), refresh_token(&second));
    assert_eq!(second.scope.as_deref(), Some("openid orders:read"));
    assert!(second.id_token.is_some());
    let (_, a) = decode(&first.access_token);
    let (_, b) = decode(&second.access_token);
    assert_eq!(a["sid"], b["sid"]);
    assert_ne!(a["jti"], b["jti"]);
    let sid = SessionId::from(a["sid"].as_str().expect("sid"));
    let session = block_on(h.store().session_by_id(&sid))
        .expect("store")
        .expect("session");
    assert_eq!(session.last_used_at.secs(), crate::support::T0 + 60);
    // The new one works in turn.
    block_on(h.auth.refresh_grant(&app, &refresh_token(&second), None)).expect("ok");
}

#[test]
fn a_replayed_refresh_token_revokes_the_whole_family() {
    let h = Harness::new();
    let alice = h.user("alice");
    let app = h.app();
    let first = h.login(&app, "alice", None);
    let second = block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None)).expect("ok");
    let err =
        block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None)).expect_err("replay");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    assert_eq!(err.to_string(), BAD_REFRESH);
    let (_, claims) = decode(&second.access_token);
    let sid = claims["sid"].as_str().expect("sid").to_owned();
    assert!(h.events().iter().any(|e| matches!(
        e,
        SecurityEvent::RefreshReplayed { session_id, user_id, client_id, .. }
            if *session_id == sid.as_str() && *user_id == alice.id && *client_id == app.id
    )));
    // The legitimate successor is dead too, and so are the session's access tokens.
    let err =
        block_on(h.auth.refresh_grant(&app, &refresh_token(&second), None)).expect_err("dead");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    let err = block_on(h.auth.verify_access_token(&second.access_token)).expect_err("ended");
    assert!(matches!(err, TokenError::SessionEnded), "{err:?}");
}

#[test]
fn within_the_grace_window_a_retry_gets_the_same_successor() {
    let mut config = config();
    config.refresh_grace = Duration::from_secs(30);
    let h = Harness::with_config(config);
    h.user("alice");
    let app = h.app();
    let first = h.login(&app, "alice", None);
    let second = block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None)).expect("ok");
    h.clock.advance(30);
    let retry = block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None)).expect("retry");
    assert_eq!(refresh_token(&retry), refresh_token(&second));
    assert_ne!(retry.access_token, second.access_token);
    assert!(h.events().is_empty());
    // Past the window, the same retry is a replay.
    h.clock.advance(1);
    let err = block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None)).expect_err("late");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    assert!(matches!(
        h.events()[..],
        [SecurityEvent::RefreshReplayed { .. }]
    ));
    assert!(block_on(h.auth.refresh_grant(&app, &refresh_token(&second), None)).is_err());
}

#[test]
fn without_a_grace_window_any_reuse_is_a_replay() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let first = h.login(&app, "alice", None);
    block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None)).expect("ok");
    assert!(block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None)).is_err());
    assert!(matches!(
        h.events()[..],
        [SecurityEvent::RefreshReplayed { .. }]
    ));
}

#[test]
fn another_clients_refresh_token_is_refused_and_not_consumed() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let other = h.app();
    let first = h.login(&app, "alice", None);
    let err = block_on(h.auth.refresh_grant(&other, &refresh_token(&first), None)).expect_err("no");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None)).expect("still usable");
}

#[test]
fn unknown_and_malformed_refresh_tokens_are_invalid_grants() {
    let h = Harness::new();
    let app = h.app();
    for token in ["", "short", &"A".repeat(43), &"A".repeat(44), "a.b.c"] {
        let err = block_on(h.auth.refresh_grant(&app, token, None)).expect_err("invalid");
        assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
        assert_eq!(err.to_string(), BAD_REFRESH);
    }
}

#[test]
fn a_refresh_may_narrow_the_scope_but_not_widen_it() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let first = h.login(&app, "alice", Some("orders:read"));
    let err = block_on(
        h.auth
            .refresh_grant(&app, &refresh_token(&first), Some("orders:write")),
    )
    .expect_err("wider");
    assert!(matches!(err, GrantError::Scope(_)), "{err:?}");
    let full = h.login(&app, "alice", None);
    let narrow = block_on(
        h.auth
            .refresh_grant(&app, &refresh_token(&full), Some("orders:read")),
    )
    .expect("ok");
    assert_eq!(narrow.scope.as_deref(), Some("orders:read"));
    // The session keeps its full scope.
    let again = block_on(h.auth.refresh_grant(&app, &refresh_token(&narrow), None)).expect("ok");
    assert_eq!(again.scope.as_deref(), Some("orders:read orders:write"));
}

#[test]
fn refresh_fails_after_a_password_change_elsewhere() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let here = h.login(&app, "alice", None);
    let elsewhere = h.login(&app, "alice", None);
    let claims = block_on(h.auth.verify_access_token(&here.access_token)).expect("valid");
    block_on(
        h.auth
            .change_password(&claims, PASSWORD, "a brand new password"),
    )
    .expect("changed");
    let err =
        block_on(h.auth.refresh_grant(&app, &refresh_token(&elsewhere), None)).expect_err("ended");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    assert!(block_on(h.auth.verify_access_token(&elsewhere.access_token)).is_err());
    // The session that changed the password goes on.
    block_on(h.auth.refresh_grant(&app, &refresh_token(&here), None)).expect("kept");
    assert!(block_on(h.auth.password_grant(&app, "alice", PASSWORD, None)).is_err());
    block_on(
        h.auth
            .password_grant(&app, "alice", "a brand new password", None),
    )
    .expect("new");
}

#[test]
fn refresh_fails_after_an_admin_sets_the_password() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let session = h.login(&app, "alice", None);
    block_on(
        h.auth
            .set_password("alice", "reset by admin", &Actor::Operator),
    )
    .expect("set");
    assert!(block_on(h.auth.refresh_grant(&app, &refresh_token(&session), None)).is_err());
}

#[test]
fn refresh_fails_for_a_disabled_or_deleted_account() {
    let h = Harness::new();
    h.user("alice");
    h.user("bob");
    let app = h.app();
    let alice = h.login(&app, "alice", None);
    let bob = h.login(&app, "bob", None);
    block_on(h.auth.set_user_disabled("alice", true, &Actor::Operator)).expect("disabled");
    block_on(h.auth.delete_user("bob", &Actor::Operator)).expect("deleted");
    for token in [refresh_token(&alice), refresh_token(&bob)] {
        let err = block_on(h.auth.refresh_grant(&app, &token, None)).expect_err("gone");
        assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    }
    // Re-enabling does not bring old sessions back.
    block_on(h.auth.set_user_disabled("alice", false, &Actor::Operator)).expect("enabled");
    assert!(block_on(h.auth.refresh_grant(&app, &refresh_token(&alice), None)).is_err());
}

#[test]
fn refresh_tokens_expire_when_idle_and_sessions_at_their_absolute_end() {
    let mut config = config();
    config.refresh_idle_lifetime = Duration::from_secs(3_600);
    config.refresh_absolute_lifetime = Duration::from_secs(3 * 3_600);
    let h = Harness::with_config(config);
    h.user("alice");
    let app = h.app();
    let idle = h.login(&app, "alice", None);
    let mut active = h.login(&app, "alice", None);
    for _ in 0..2 {
        h.clock.advance(3_000);
        active = block_on(h.auth.refresh_grant(&app, &refresh_token(&active), None)).expect("ok");
    }
    let err = block_on(h.auth.refresh_grant(&app, &refresh_token(&idle), None)).expect_err("idle");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    // 6000 s in; the session ends at 10800 s however active it is.
    h.clock.advance(3_000);
    active = block_on(h.auth.refresh_grant(&app, &refresh_token(&active), None)).expect("ok");
    h.clock.advance(1_900);
    let err = block_on(h.auth.refresh_grant(&app, &refresh_token(&active), None)).expect_err("end");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
}

#[test]
fn a_client_without_the_refresh_grant_cannot_refresh() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let session = h.login(&app, "alice", None);
    let (no_refresh, _) = h.client(&[Grant::Password], &[], false);
    let err = block_on(
        h.auth
            .refresh_grant(&no_refresh, &refresh_token(&session), None),
    )
    .expect_err("no");
    assert!(matches!(err, GrantError::GrantNotAllowed(_)), "{err:?}");
}

#[test]
fn nothing_after_the_rotation_commits_can_fail_on_the_store() {
    // Once the rotation commits the presented token is spent: a store error after it would
    // answer 503 and cost the client its session when it retried.
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let first = h.login(&app, "alice", None);
    h.store().go_down_after_next_rotation();
    let second = block_on(h.auth.refresh_grant(&app, &refresh_token(&first), None));
    h.store().set_unavailable(false);
    let second = second.expect("the rotation committed, so the answer must be the new token");
    block_on(h.auth.refresh_grant(&app, &refresh_token(&second), None)).expect("it works");
}
