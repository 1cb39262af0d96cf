//! Self-service and admin operations on accounts.

use tessera_core::model::Actor;
use tessera_core::store::AccountStore;
use tessera_core::store::RevocationStore;
use tessera_core::{AccountError, AdminError, SecurityEvent};

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
    block_on(h.auth.set_user_disabled("alice", true, &Actor::Operator)).expect("disabled");
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
    let a2 = h.login(&app, "alice", None);
    let b1 = h.login(&app, "bob", None);
    let verify = |token: &str| block_on(h.auth.verify_access_token(token)).expect("valid");
    let (alices, bobs_claims) = (verify(&a2.access_token), verify(&b1.access_token));
    assert_eq!(alices.user_id(), Some(alice.id.clone()));
    let sessions = block_on(h.auth.list_sessions(&alices)).expect("list");
    assert_eq!(sessions.len(), 2);
    let first = sessions[0].id.clone();
    let bobs = block_on(h.auth.list_sessions(&bobs_claims)).expect("list")[0]
        .id
        .clone();
    assert_eq!(bobs_claims.user_id(), Some(bob.id.clone()));
    let err = block_on(h.auth.end_session(&alices, &bobs)).expect_err("not hers");
    assert!(matches!(err, AccountError::NoSuchSession), "{err:?}");
    block_on(h.auth.verify_access_token(&b1.access_token)).expect("bob untouched");
    block_on(h.auth.end_session(&alices, &first)).expect("ended");
    assert_eq!(
        block_on(h.auth.list_sessions(&alices)).expect("list").len(),
        1
    );
    assert!(block_on(h.auth.verify_access_token(&a1.access_token)).is_err());
    let err = block_on(h.auth.end_session(&alices, &first)).expect_err("already ended");
    assert!(matches!(err, AccountError::NoSuchSession), "{err:?}");
}

#[test]
fn a_password_change_needs_the_current_password() {
    let h = Harness::new();
    let alice = h.user("alice");
    let login = h.login(&h.app(), "alice", None);
    let claims = block_on(h.auth.verify_access_token(&login.access_token)).expect("valid");
    let err = block_on(h.auth.change_password(&claims, "wrong", "new password")).expect_err("no");
    assert!(matches!(err, AccountError::WrongPassword), "{err:?}");
    let err = block_on(h.auth.change_password(&claims, PASSWORD, "")).expect_err("empty");
    assert!(matches!(err, AccountError::BadPassword(_)), "{err:?}");
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
    assert_eq!(stored.password_changed_at.secs(), crate::support::T0);
    // The token of the session that changed it still works.
    block_on(h.auth.verify_access_token(&login.access_token)).expect("kept");
}

#[test]
fn user_admin_helpers_validate_and_report_conflicts() {
    let h = Harness::new();
    let alice = h.user("alice");
    assert!(alice.id.starts_with("u_"));
    assert!(alice.password_hash.starts_with("$argon2id$"));
    let err = block_on(
        h.auth
            .create_user("ALICE", PASSWORD, None, &[], &Actor::Operator),
    )
    .expect_err("taken");
    assert!(matches!(err, AdminError::Conflict(_)), "{err:?}");
    for (name, email) in [("", None), (" bob", None), ("bob", Some("not-an-email"))] {
        let err = block_on(
            h.auth
                .create_user(name, PASSWORD, email, &[], &Actor::Operator),
        )
        .expect_err("bad");
        assert!(matches!(err, AdminError::Invalid(_)), "{name:?} {email:?}");
    }
    let err = block_on(h.auth.create_user("bob", "", None, &[], &Actor::Operator))
        .expect_err("no password");
    assert!(matches!(err, AdminError::Invalid(_)), "{err:?}");
    for missing in [
        block_on(h.auth.set_password("nobody", PASSWORD, &Actor::Operator)),
        block_on(h.auth.set_user_disabled("nobody", true, &Actor::Operator)),
        block_on(h.auth.delete_user("nobody", &Actor::Operator)),
        block_on(h.auth.unlock_user("nobody", &Actor::Operator)).map(|_| ()),
    ] {
        let err = missing.expect_err("unknown");
        assert!(matches!(err, AdminError::NotFound(_)), "{err:?}");
    }
}

#[test]
fn usernames_follow_the_profile() {
    let h = Harness::new();
    for name in [
        "admin\u{202E}nimda",
        "\u{2067}alice",
        "al\u{200B}ice",
        "al\u{00AD}ice",
        "mu\u{0308}ller",
        "a\u{00A0}b",
        "a\u{E000}",
    ] {
        let err = block_on(
            h.auth
                .create_user(name, PASSWORD, None, &[], &Actor::Operator),
        )
        .expect_err(name);
        assert!(matches!(err, AdminError::Invalid(_)), "{name:?}: {err:?}");
    }
    block_on(
        h.auth
            .create_user("Müller", PASSWORD, None, &[], &Actor::Operator),
    )
    .expect("NFC");
    // Case folds: the same name in another case is the same account.
    let err = block_on(
        h.auth
            .create_user("mÜLLER", PASSWORD, None, &[], &Actor::Operator),
    )
    .expect_err("taken");
    assert!(matches!(err, AdminError::Conflict(_)), "{err:?}");
}

#[test]
fn the_last_admin_cannot_be_deleted_or_disabled() {
    let h = Harness::new();
    let admin = ["admin".to_owned()];
    block_on(
        h.auth
            .create_user("root", PASSWORD, None, &admin, &Actor::Operator),
    )
    .expect("root");
    h.user("alice");
    for err in [
        block_on(h.auth.delete_user("root", &Actor::Operator)).expect_err("last admin"),
        block_on(h.auth.set_user_disabled("ROOT", true, &Actor::Operator)).expect_err("last admin"),
    ] {
        assert!(matches!(err, AdminError::LastAdmin), "{err:?}");
        assert_eq!(err.code(), "last_admin");
    }
    // Others come and go as before.
    block_on(h.auth.set_user_disabled("alice", true, &Actor::Operator)).expect("disabled");
    block_on(h.auth.delete_user("alice", &Actor::Operator)).expect("deleted");
    // With a second administrator, either may go, but not both.
    block_on(
        h.auth
            .create_user("deputy", PASSWORD, None, &admin, &Actor::Operator),
    )
    .expect("deputy");
    block_on(h.auth.set_user_disabled("root", true, &Actor::Operator)).expect("root disabled");
    let err = block_on(h.auth.delete_user("deputy", &Actor::Operator)).expect_err("now the last");
    assert!(matches!(err, AdminError::LastAdmin), "{err:?}");
    // A disabled administrator is no administrator: it can go.
    block_on(h.auth.delete_user("root", &Actor::Operator)).expect("deleted");
    let users = block_on(h.store().list_users()).expect("users");
    assert_eq!(users.len(), 1);
}
