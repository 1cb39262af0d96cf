//! The account lock-out rule: failures counted per account in the store, locks that double,
//! a success that forgets, and an admin unlock.

use std::time::Duration;

use tessera_core::lockout::LockoutPolicy;
use tessera_core::model::Actor;
use tessera_core::{AccountError, GrantError};

use crate::support::{Harness, PASSWORD, block_on, config};

/// Three free failures, then 1 s doubling.
fn harness() -> Harness {
    let mut config = config();
    config.lockout = LockoutPolicy::new(3, Duration::from_secs(1), Duration::from_secs(60));
    Harness::with_config(config)
}

fn fail(h: &Harness, username: &str) -> GrantError {
    block_on(
        h.auth
            .password_grant(&h.app(), username, "wrong password", None),
    )
    .expect_err("refused")
}

#[test]
fn an_account_locks_after_its_free_failures_and_the_lock_doubles() {
    let h = harness();
    h.user("alice");
    for _ in 0..3 {
        assert!(matches!(fail(&h, "alice"), GrantError::BadCredentials));
    }
    // Locked for 1 s: even the right password is refused before it is checked.
    let err =
        block_on(h.auth.password_grant(&h.app(), "ALICE", PASSWORD, None)).expect_err("locked");
    let GrantError::Locked(locked) = err else {
        panic!("expected a lock, got {err:?}");
    };
    assert_eq!(locked.retry_after_secs(), 1);
    h.clock.advance(1);
    assert!(matches!(fail(&h, "alice"), GrantError::BadCredentials));
    let err = fail(&h, "alice");
    let GrantError::Locked(locked) = err else {
        panic!("expected a lock, got {err:?}");
    };
    assert_eq!(locked.retry_after_secs(), 2, "the lock doubled");
    // Another account is not affected.
    h.user("bob");
    h.login(&h.app(), "bob", None);
}

#[test]
fn a_success_forgets_the_failures_and_an_unknown_user_is_counted_too() {
    let h = harness();
    h.user("alice");
    for _ in 0..2 {
        fail(&h, "alice");
    }
    h.login(&h.app(), "alice", None);
    for _ in 0..2 {
        assert!(matches!(fail(&h, "alice"), GrantError::BadCredentials));
    }
    for _ in 0..3 {
        fail(&h, "nobody");
    }
    assert!(matches!(fail(&h, "nobody"), GrantError::Locked(_)));
}

#[test]
fn an_admin_unlock_lifts_the_lock_and_reports_whether_there_was_one() {
    let h = harness();
    h.user("alice");
    for _ in 0..3 {
        fail(&h, "alice");
    }
    assert!(matches!(fail(&h, "alice"), GrantError::Locked(_)));
    assert!(block_on(h.auth.unlock_user("Alice", &Actor::Operator)).expect("unlocked"));
    h.login(&h.app(), "alice", None);
    assert!(!block_on(h.auth.unlock_user("alice", &Actor::Operator)).expect("nothing left"));
}

#[test]
fn wrong_current_passwords_lock_password_changes_but_not_logins() {
    let h = harness();
    h.user("alice");
    let login = h.login(&h.app(), "alice", None);
    let claims = block_on(h.auth.verify_access_token(&login.access_token)).expect("valid");
    for _ in 0..3 {
        let err = block_on(h.auth.change_password(&claims, "wrong", "new password 1"))
            .expect_err("wrong");
        assert!(matches!(err, AccountError::WrongPassword), "{err:?}");
    }
    let err =
        block_on(h.auth.change_password(&claims, PASSWORD, "new password 1")).expect_err("locked");
    assert!(matches!(err, AccountError::Locked(_)), "{err:?}");
    // A stolen token cannot lock its user out of logging in.
    h.login(&h.app(), "alice", None);
    // The admin unlock lifts this lock too.
    assert!(block_on(h.auth.unlock_user("alice", &Actor::Operator)).expect("unlocked"));
    block_on(h.auth.change_password(&claims, PASSWORD, "new password 1")).expect("changed");
}
