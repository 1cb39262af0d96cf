//! What ends a browser session (logout, password changes, the administrator, a replayed
//! refresh token), and what ending one takes with it: its refresh families, and a
//! back-channel notice for every client it signed in to that listens.

use tessera_core::events::EndReason;
use tessera_core::model::Actor;
use tessera_core::model::{LoginSession, LogoutNotice};
use tessera_core::store::LoginSessionStore;
use tessera_core::{GrantError, SecurityEvent, TokenError};

use super::{BACKCHANNEL, Web, code_flow, finds, now, pending, sign_in, web_client};
use crate::support::{Harness, PASSWORD, block_on};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// The notices queued for `session`.
fn notices_of<'a>(notices: &'a [LogoutNotice], session: &LoginSession) -> Vec<&'a LogoutNotice> {
    notices
        .iter()
        .filter(|n| n.login_session_id == session.id)
        .collect()
}

/// True when the session was ended in the store (not merely hidden).
fn ended(h: &Harness, session: &LoginSession) -> bool {
    block_on(h.store().login_session_by_id(&session.id))
        .expect("store")
        .is_none_or(|s| s.ended_at.is_some())
}

fn ended_because(h: &Harness, session: &LoginSession, why: EndReason) -> bool {
    h.events().iter().any(|e| {
        matches!(
            e,
            SecurityEvent::BrowserSessionEnded { login_session_id, reason, .. }
                if *login_session_id == session.id && *reason == why
        )
    })
}

#[test]
fn ending_a_session_revokes_its_families_and_notifies_each_listening_client_once() {
    let h = Harness::new();
    let alice = h.user("alice");
    let notified = web_client(&h, Web::NOTIFIED);
    let silent = web_client(&h, Web::FIRST_PARTY);
    let elsewhere = web_client(&h, Web::NOTIFIED);
    let signed = sign_in(&h, "alice");
    let a = code_flow(&h, &notified, &signed.session);
    let again = code_flow(&h, &notified, &signed.session);
    let b = code_flow(&h, &silent, &signed.session);
    // A session of the same user that never went through this browser.
    let app = h.app();
    let direct = h.login(&app, "alice", None);
    h.clock.advance(5);
    let done = block_on(
        h.auth
            .end_browser_session(&signed.session, EndReason::Logout),
    )
    .expect("ended");
    assert!(done);
    assert!(!finds(&h, &signed.cookie_secret));
    for (client, tokens) in [(&notified, &a), (&notified, &again), (&silent, &b)] {
        let refresh = tokens.refresh_token.as_deref().expect("refresh token");
        let err = block_on(h.auth.refresh_grant(client, refresh, None)).expect_err("revoked");
        assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
        let err = block_on(h.auth.verify_access_token(&tokens.access_token)).expect_err("ended");
        assert!(matches!(err, TokenError::SessionEnded), "{err:?}");
    }
    let refresh = direct.refresh_token.as_deref().expect("refresh token");
    block_on(h.auth.refresh_grant(&app, refresh, None)).expect("not from the browser: lives");
    let queued = pending(&h);
    assert_eq!(queued.len(), 1, "one notice, for the one listening client");
    let notice = &queued[0];
    assert_eq!(notice.client_id, notified.id);
    assert_ne!(notice.client_id, elsewhere.id);
    assert_eq!(notice.uri, BACKCHANNEL);
    assert_eq!(notice.login_session_id, signed.session.id);
    assert_eq!(notice.user_id, alice.id);
    assert_eq!(notice.attempts, 0);
    assert_eq!(notice.created_at, now(&h));
    assert_eq!(notice.next_attempt_at, now(&h), "due at once");
    assert!(ended_because(&h, &signed.session, EndReason::Logout));
}

#[test]
fn ending_an_ended_session_does_nothing_more() {
    let h = Harness::new();
    h.user("alice");
    let notified = web_client(&h, Web::NOTIFIED);
    let signed = sign_in(&h, "alice");
    code_flow(&h, &notified, &signed.session);
    assert!(
        block_on(
            h.auth
                .end_browser_session(&signed.session, EndReason::Logout)
        )
        .expect("ended")
    );
    let ended_events = |h: &Harness| {
        h.events()
            .iter()
            .filter(|e| matches!(e, SecurityEvent::BrowserSessionEnded { .. }))
            .count()
    };
    assert_eq!(ended_events(&h), 1);
    h.clock.advance(1);
    let again = block_on(
        h.auth
            .end_browser_session(&signed.session, EndReason::Logout),
    )
    .expect("ok");
    assert!(!again);
    assert_eq!(pending(&h).len(), 1);
    assert_eq!(ended_events(&h), 1);
}

#[test]
fn a_password_change_in_the_browser_ends_the_users_other_browser_sessions() {
    let h = Harness::new();
    h.user("alice");
    h.user("bob");
    let notified = web_client(&h, Web::NOTIFIED);
    let here = sign_in(&h, "alice");
    let there = sign_in(&h, "alice");
    let bobs = sign_in(&h, "bob");
    for session in [&here.session, &there.session, &bobs.session] {
        code_flow(&h, &notified, session);
    }
    block_on(
        h.auth
            .change_password_in_browser(&here.session, PASSWORD, NEW_PASSWORD),
    )
    .expect("changed");
    assert!(
        finds(&h, &here.cookie_secret),
        "the browser that changed it"
    );
    assert!(!finds(&h, &there.cookie_secret));
    assert!(finds(&h, &bobs.cookie_secret));
    let queued = pending(&h);
    assert_eq!(queued.len(), 1);
    assert_eq!(notices_of(&queued, &there.session).len(), 1);
    assert!(ended_because(
        &h,
        &there.session,
        EndReason::PasswordChanged
    ));
    // The new password signs in; the old one no longer does.
    block_on(h.auth.sign_in("alice", NEW_PASSWORD, None, None, None)).expect("new password");
    let err = block_on(h.auth.sign_in("alice", PASSWORD, None, None, None)).expect_err("old one");
    assert!(matches!(err, GrantError::BadCredentials), "{err:?}");
}

#[test]
fn a_password_change_with_a_token_keeps_only_the_browser_session_the_token_came_from() {
    let h = Harness::new();
    h.user("alice");
    let notified = web_client(&h, Web::NOTIFIED);
    let here = sign_in(&h, "alice");
    let there = sign_in(&h, "alice");
    let tokens = code_flow(&h, &notified, &here.session);
    code_flow(&h, &notified, &there.session);
    let claims = block_on(h.auth.verify_access_token(&tokens.access_token)).expect("valid");
    block_on(h.auth.change_password(&claims, PASSWORD, NEW_PASSWORD)).expect("changed");
    assert!(finds(&h, &here.cookie_secret));
    assert!(!finds(&h, &there.cookie_secret));
    let queued = pending(&h);
    assert_eq!(queued.len(), 1);
    assert_eq!(notices_of(&queued, &there.session).len(), 1);
}

#[test]
fn a_password_change_with_a_password_grant_token_ends_every_browser_session() {
    let h = Harness::new();
    h.user("alice");
    let notified = web_client(&h, Web::NOTIFIED);
    let one = sign_in(&h, "alice");
    let two = sign_in(&h, "alice");
    code_flow(&h, &notified, &one.session);
    code_flow(&h, &notified, &two.session);
    let app = h.app();
    let direct = h.login(&app, "alice", None);
    let claims = block_on(h.auth.verify_access_token(&direct.access_token)).expect("valid");
    block_on(h.auth.change_password(&claims, PASSWORD, NEW_PASSWORD)).expect("changed");
    assert!(!finds(&h, &one.cookie_secret) && !finds(&h, &two.cookie_secret));
    let queued = pending(&h);
    assert_eq!(queued.len(), 2);
    assert_eq!(notices_of(&queued, &one.session).len(), 1);
    assert_eq!(notices_of(&queued, &two.session).len(), 1);
}

#[test]
fn an_administrator_password_reset_ends_every_browser_session() {
    let h = Harness::new();
    h.user("alice");
    let notified = web_client(&h, Web::NOTIFIED);
    let one = sign_in(&h, "alice");
    let two = sign_in(&h, "alice");
    let tokens = code_flow(&h, &notified, &one.session);
    code_flow(&h, &notified, &two.session);
    block_on(h.auth.set_password("alice", NEW_PASSWORD, &Actor::Operator)).expect("reset");
    assert!(ended(&h, &one.session) && ended(&h, &two.session));
    assert_eq!(pending(&h).len(), 2);
    assert!(ended_because(&h, &one.session, EndReason::Admin));
    let refresh = tokens.refresh_token.as_deref().expect("refresh token");
    let err = block_on(h.auth.refresh_grant(&notified, refresh, None)).expect_err("revoked");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
}

#[test]
fn disabling_a_user_ends_their_browser_sessions_for_good() {
    let h = Harness::new();
    h.user("alice");
    let notified = web_client(&h, Web::NOTIFIED);
    let signed = sign_in(&h, "alice");
    code_flow(&h, &notified, &signed.session);
    block_on(h.auth.set_user_disabled("alice", true, &Actor::Operator)).expect("disabled");
    assert!(ended(&h, &signed.session));
    assert_eq!(notices_of(&pending(&h), &signed.session).len(), 1);
    assert!(ended_because(&h, &signed.session, EndReason::Admin));
    // Enabling the account again does not bring the session back.
    block_on(h.auth.set_user_disabled("alice", false, &Actor::Operator)).expect("enabled");
    assert!(!finds(&h, &signed.cookie_secret));
    assert_eq!(pending(&h).len(), 1, "enabling queues nothing");
}

#[test]
fn deleting_a_user_ends_their_browser_sessions_and_the_notices_stay_queued() {
    let h = Harness::new();
    let alice = h.user("alice");
    let notified = web_client(&h, Web::NOTIFIED);
    let signed = sign_in(&h, "alice");
    code_flow(&h, &notified, &signed.session);
    block_on(h.auth.delete_user("alice", &Actor::Operator)).expect("deleted");
    assert!(!finds(&h, &signed.cookie_secret));
    let queued = pending(&h);
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].user_id, alice.id);
    assert_eq!(queued[0].login_session_id, signed.session.id);
    assert!(ended_because(&h, &signed.session, EndReason::Admin));
}

#[test]
fn a_replayed_refresh_token_ends_the_browser_session_it_came_from() {
    let h = Harness::new();
    h.user("alice");
    let notified = web_client(&h, Web::NOTIFIED);
    let stolen_from = sign_in(&h, "alice");
    let other = sign_in(&h, "alice");
    let tokens = code_flow(&h, &notified, &stolen_from.session);
    code_flow(&h, &notified, &other.session);
    let first = tokens.refresh_token.expect("refresh token");
    block_on(h.auth.refresh_grant(&notified, &first, None)).expect("rotated");
    let err = block_on(h.auth.refresh_grant(&notified, &first, None)).expect_err("replay");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    assert!(!finds(&h, &stolen_from.cookie_secret));
    assert!(
        finds(&h, &other.cookie_secret),
        "only the session it came from"
    );
    let queued = pending(&h);
    assert_eq!(queued.len(), 1);
    assert_eq!(notices_of(&queued, &stolen_from.session).len(), 1);
    assert!(ended_because(&h, &stolen_from.session, EndReason::Replay));
}
