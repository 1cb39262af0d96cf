//! Signing a browser in: one answer for every failure, the lock-out, a new cookie secret at
//! every sign-in, and the lifetimes of the session the cookie names.

use std::time::Duration;

use tessera_core::events::EndReason;
use tessera_core::lockout::LockoutPolicy;
use tessera_core::model::Actor;
use tessera_core::store::{AccountStore, LoginSessionStore};
use tessera_core::{Clock, GrantError, SecurityEvent};

use super::{finds, now, sign_in, signed_in};
use crate::support::{Harness, PASSWORD, T0, block_on, config};

const HOUR: i64 = 3600;

#[test]
fn a_wrong_password_an_unknown_user_and_a_disabled_account_get_one_answer() {
    let h = Harness::new();
    h.user("alice");
    h.user("carol");
    block_on(h.auth.set_user_disabled("carol", true, &Actor::Operator)).expect("disabled");
    let wrong = block_on(
        h.auth
            .sign_in("alice", "not the password", None, None, None),
    )
    .expect_err("refused");
    let unknown =
        block_on(h.auth.sign_in("mallory", PASSWORD, None, None, None)).expect_err("refused");
    let disabled =
        block_on(h.auth.sign_in("carol", PASSWORD, None, None, None)).expect_err("refused");
    for err in [&wrong, &unknown, &disabled] {
        assert!(matches!(err, GrantError::BadCredentials), "{err:?}");
    }
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert_eq!(wrong.to_string(), disabled.to_string());
}

#[test]
fn sign_in_locks_the_account_after_the_configured_failures_shared_with_the_password_grant() {
    let mut config = config();
    config.lockout = LockoutPolicy::new(3, Duration::from_secs(30), Duration::from_secs(60));
    let h = Harness::with_config(config);
    h.user("alice");
    let app = h.app();
    // Failures through the token endpoint and the sign-in page count for the same account.
    for _ in 0..2 {
        let err = block_on(h.auth.password_grant(&app, "alice", "nope", None)).expect_err("no");
        assert!(matches!(err, GrantError::BadCredentials), "{err:?}");
    }
    let err = block_on(h.auth.sign_in("alice", "nope", None, None, None)).expect_err("no");
    assert!(matches!(err, GrantError::BadCredentials), "{err:?}");
    let err = block_on(h.auth.sign_in("ALICE", PASSWORD, None, None, None)).expect_err("locked");
    let GrantError::Locked(locked) = err else {
        panic!("expected a lock, got {err:?}");
    };
    assert_eq!(locked.retry_after_secs(), 30);
    h.clock.advance(30);
    sign_in(&h, "alice");
}

#[test]
fn every_sign_in_changes_the_cookie_secret_and_the_same_user_keeps_the_sid() {
    let h = Harness::new();
    let alice = h.user("alice");
    let first = sign_in(&h, "alice");
    assert!(finds(&h, &first.cookie_secret));
    assert_eq!(first.session.user_id, alice.id);
    assert_eq!(first.session.amr, ["pwd"]);
    h.clock.advance(600);
    let second = signed_in(
        block_on(
            h.auth
                .sign_in("alice", PASSWORD, None, Some(&first.session), None),
        )
        .expect("signed in again"),
    );
    assert_eq!(second.session.id, first.session.id, "the sid is kept");
    assert_ne!(second.cookie_secret, first.cookie_secret);
    assert_eq!(second.session.auth_time.secs(), T0 + 600);
    // A cookie known before the sign-in (planted, or stolen) opens nothing after it.
    assert!(!finds(&h, &first.cookie_secret));
    let found = block_on(h.auth.browser_session(&second.cookie_secret))
        .expect("store")
        .expect("found by the new secret");
    assert_eq!(found.id, first.session.id);
    assert_eq!(found.auth_time.secs(), T0 + 600);
    // Without the current session, a new one starts (another sid).
    let third = sign_in(&h, "alice");
    assert_ne!(third.session.id, first.session.id);
    assert!(finds(&h, &second.cookie_secret) && finds(&h, &third.cookie_secret));
}

#[test]
fn another_users_sign_in_in_the_same_browser_ends_the_first_session() {
    let h = Harness::new();
    let alice = h.user("alice");
    let bob = h.user("bob");
    let first = sign_in(&h, "alice");
    let second = signed_in(
        block_on(
            h.auth
                .sign_in("bob", PASSWORD, None, Some(&first.session), None),
        )
        .expect("bob signed in"),
    );
    assert_ne!(second.session.id, first.session.id);
    assert_eq!(second.session.user_id, bob.id);
    assert!(!finds(&h, &first.cookie_secret));
    assert!(finds(&h, &second.cookie_secret));
    let ended = block_on(h.store().login_session_by_id(&first.session.id))
        .expect("store")
        .expect("kept");
    assert!(ended.ended_at.is_some());
    assert!(h.events().iter().any(|e| matches!(
        e,
        SecurityEvent::BrowserSessionEnded { login_session_id, user_id, reason: EndReason::Replaced }
            if *login_session_id == first.session.id && *user_id == alice.id
    )));
}

#[test]
fn a_browser_session_is_touched_at_most_once_a_minute() {
    let h = Harness::new();
    h.user("alice");
    let signed = sign_in(&h, "alice");
    let stored = |h: &Harness| {
        block_on(h.store().login_session_by_id(&signed.session.id))
            .expect("store")
            .expect("session")
    };
    h.clock.advance(59);
    assert!(finds(&h, &signed.cookie_secret));
    assert_eq!(
        stored(&h).last_seen_at.secs(),
        T0,
        "no write within the minute"
    );
    h.clock.advance(1);
    let seen = block_on(h.auth.browser_session(&signed.cookie_secret))
        .expect("store")
        .expect("found");
    assert_eq!(seen.last_seen_at.secs(), T0 + 60);
    let session = stored(&h);
    assert_eq!(session.last_seen_at.secs(), T0 + 60);
    assert_eq!(session.idle_expires_at.secs(), T0 + 60 + 12 * HOUR);
}

#[test]
fn a_browser_session_unused_for_its_idle_lifetime_ends() {
    let h = Harness::new();
    h.user("alice");
    let used = sign_in(&h, "alice");
    let unused = sign_in(&h, "alice");
    h.clock.advance(11 * HOUR);
    assert!(
        finds(&h, &used.cookie_secret),
        "use moves the idle end forward"
    );
    h.clock.advance(HOUR);
    assert!(!finds(&h, &unused.cookie_secret), "12 hours unused");
    assert!(finds(&h, &used.cookie_secret));
    h.clock.advance(12 * HOUR);
    assert!(!finds(&h, &used.cookie_secret));
}

#[test]
fn a_browser_session_ends_at_its_absolute_lifetime_however_often_it_is_used() {
    let h = Harness::new();
    h.user("alice");
    let signed = sign_in(&h, "alice");
    let absolute_end = T0 + 14 * 24 * HOUR;
    while h.clock.now() + 11 * HOUR < absolute_end {
        h.clock.advance(11 * HOUR);
        assert!(finds(&h, &signed.cookie_secret));
    }
    let session = block_on(h.auth.browser_session(&signed.cookie_secret))
        .expect("store")
        .expect("still live");
    assert_eq!(session.idle_expires_at.secs(), absolute_end, "capped");
    h.clock.advance(absolute_end - h.clock.now());
    assert!(!finds(&h, &signed.cookie_secret));
}

#[test]
fn a_disabled_users_session_is_not_returned() {
    let h = Harness::new();
    let alice = h.user("alice");
    let signed = sign_in(&h, "alice");
    // Straight in the store, so that only the check of the account is at work.
    block_on(h.store().set_disabled(&alice.id, true, now(&h))).expect("store");
    assert!(!finds(&h, &signed.cookie_secret));
    block_on(h.store().set_disabled(&alice.id, false, now(&h))).expect("store");
    assert!(finds(&h, &signed.cookie_secret));
}

#[test]
fn a_cookie_that_is_empty_overlong_or_unknown_finds_nothing() {
    let h = Harness::new();
    h.user("alice");
    let signed = sign_in(&h, "alice");
    assert!(!finds(&h, ""));
    assert!(!finds(&h, &"A".repeat(65)));
    assert!(!finds(&h, &format!("{}x", signed.cookie_secret)));
    assert!(finds(&h, &signed.cookie_secret));
}
