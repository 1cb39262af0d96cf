//! Self-service and admin operations on accounts.

use tessera_core::{ErrorCode, SecurityEvent, Store};

use crate::support::{Harness, PASSWORD, block_on};

#[test]
fn userinfo_tells_who_the_token_is_for() {
    let h = Harness::new();
    let alice = h.user("alice");
    let login = h.login(&h.app(), "alice", None);
    let claims = block_on(h.auth.verify_access_token(&login.access_token)).expect("valid");
    let info = block_on(h.auth.userinfo(&claims)).expect("info");
    assert_eq!(info.sub, alice.id);
    assert_eq!(info.preferred_username, "alice");
    assert_eq!(info.email.as_deref(), Some("alice@example.test"));
    assert_eq!(info.roles, ["staff"]);
    block_on(h.auth.set_user_disabled("alice", true)).expect("disabled");
    assert!(block_on(h.auth.userinfo(&claims)).is_err());
}

#[test]
fn logout_ends_the_session_and_revokes_the_token() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", None);
    let other = h.login(&app, "alice", None);
    let claims = block_on(h.auth.verify_access_token(&login.access_token)).expect("valid");
    block_on(h.auth.logout(&claims)).expect("logged out");
    assert!(block_on(h.store().is_revoked(&claims.jti)).expect("store"));
    assert!(block_on(h.auth.verify_access_token(&login.access_token)).is_err());
    let refresh = login.refresh_token.expect("rt");
    assert!(block_on(h.auth.refresh_grant(&app, &refresh, None)).is_err());
    // Other sessions are untouched.
    block_on(h.auth.verify_access_token(&other.access_token)).expect("other session");
}

#[test]
fn a_user_lists_and_ends_their_own_sessions_only() {
    let h = Harness::new();
    let alice = h.user("alice");
    let bob = h.user("bob");
    let app = h.app();
    let a1 = h.login(&app, "alice", None);
    h.clock.advance(1);
    let _a2 = h.login(&app, "alice", None);
    let b1 = h.login(&app, "bob", None);
    let sessions = block_on(h.auth.list_sessions(&alice.id)).expect("list");
    assert_eq!(sessions.len(), 2);
    let first = sessions[0].id.clone();
    let bobs = block_on(h.auth.list_sessions(&bob.id)).expect("list")[0]
        .id
        .clone();
    let err = block_on(h.auth.end_session(&alice.id, &bobs)).expect_err("not hers");
    assert_eq!(err.code(), ErrorCode::NotFound);
    block_on(h.auth.verify_access_token(&b1.access_token)).expect("bob untouched");
    block_on(h.auth.end_session(&alice.id, &first)).expect("ended");
    assert_eq!(
        block_on(h.auth.list_sessions(&alice.id))
            .expect("list")
            .len(),
        1
    );
    assert!(block_on(h.auth.verify_access_token(&a1.access_token)).is_err());
    let err = block_on(h.auth.end_session(&alice.id, &first)).expect_err("already ended");
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[test]
fn a_password_change_needs_the_current_password() {
    let h = Harness::new();
    let alice = h.user("alice");
    let login = h.login(&h.app(), "alice", None);
    let claims = block_on(h.auth.verify_access_token(&login.access_token)).expect("valid");
    let err = block_on(h.auth.change_password(&claims, "wrong", "new password")).expect_err("no");
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    let err = block_on(h.auth.change_password(&claims, PASSWORD, "")).expect_err("empty");
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    block_on(h.auth.change_password(&claims, PASSWORD, "new password")).expect("changed");
    assert_eq!(
        h.events(),
        [SecurityEvent::PasswordChanged {
            user_id: alice.id.clone()
        }]
    );
    let stored = block_on(h.store().user_by_id(&alice.id))
        .expect("store")
        .expect("user");
    assert_eq!(stored.password_changed_at, crate::support::T0);
    // The token of the session that changed it still works.
    block_on(h.auth.verify_access_token(&login.access_token)).expect("kept");
}

#[test]
fn user_admin_helpers_validate_and_report_conflicts() {
    let h = Harness::new();
    let alice = h.user("alice");
    assert!(alice.id.starts_with("u_"));
    assert!(alice.password_hash.starts_with("$argon2id$"));
    let err = block_on(h.auth.create_user("ALICE", PASSWORD, None, &[])).expect_err("taken");
    assert_eq!(err.code(), ErrorCode::Conflict);
    for (name, email) in [("", None), (" bob", None), ("bob", Some("not-an-email"))] {
        let err = block_on(h.auth.create_user(name, PASSWORD, email, &[])).expect_err("bad");
        assert_eq!(err.code(), ErrorCode::InvalidRequest, "{name:?} {email:?}");
    }
    let err = block_on(h.auth.create_user("bob", "", None, &[])).expect_err("no password");
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    for missing in [
        block_on(h.auth.set_password("nobody", PASSWORD)),
        block_on(h.auth.set_user_disabled("nobody", true)),
        block_on(h.auth.delete_user("nobody")),
    ] {
        assert_eq!(missing.expect_err("unknown").code(), ErrorCode::NotFound);
    }
}
