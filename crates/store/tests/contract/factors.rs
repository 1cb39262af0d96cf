//! Second factors: a TOTP authenticator is enrolled, confirmed once and never replaced while
//! confirmed; each time step is accepted once and never an earlier one, whatever the
//! concurrency; recovery codes are spent once; removing the factors, or the user, takes them.

use std::sync::Arc;

use tessera_core::model::{Timestamp, TotpFactor, UserId};
use tessera_core::{Store, StoreError};

use crate::fixtures::{NOW, at, is_conflict, seed, user};

/// The time step of [`NOW`] (30-second steps): a real one, about 5.7e7.
const STEP: u64 = 56_666_666;

fn alice() -> UserId {
    "u1".into()
}

/// An unconfirmed authenticator of user `u1` with this sealed secret, started at `at`.
fn pending(secret: &[u8], at: Timestamp) -> TotpFactor {
    TotpFactor::pending(alice(), secret.to_vec(), at)
}

fn macs(names: &[&str]) -> Vec<Vec<u8>> {
    names
        .iter()
        .map(|n| format!("mac:{n}").into_bytes())
        .collect()
}

/// User `u1` with an authenticator confirmed at [`STEP`] and recovery codes `a`, `b`, `c`.
async fn enrolled<S: Store>(store: &S) {
    seed(store).await;
    assert!(store.begin_totp(&pending(b"secret", NOW)).await.unwrap());
    let codes = macs(&["a", "b", "c"]);
    assert!(
        store
            .confirm_totp(&alice(), STEP, at(30), &codes)
            .await
            .unwrap()
    );
}

pub async fn enrollment_restarts_until_confirmed_then_holds<S: Store>(store: S) {
    seed(&store).await;
    assert_eq!(store.totp_of(&alice()).await.unwrap(), None);
    assert!(store.begin_totp(&pending(b"first", NOW)).await.unwrap());
    let stored = store.totp_of(&alice()).await.unwrap().unwrap();
    assert_eq!(stored, pending(b"first", NOW));
    assert!(!stored.is_confirmed());

    // A restarted enrollment replaces the secret and the start.
    assert!(store.begin_totp(&pending(b"second", at(10))).await.unwrap());
    assert_eq!(
        store.totp_of(&alice()).await.unwrap(),
        Some(pending(b"second", at(10)))
    );

    assert!(
        store
            .confirm_totp(&alice(), STEP, at(20), &macs(&["a"]))
            .await
            .unwrap()
    );
    let confirmed = store.totp_of(&alice()).await.unwrap().unwrap();
    assert_eq!(confirmed.sealed_secret, b"second");
    assert_eq!(confirmed.created_at, at(10));
    assert_eq!(confirmed.confirmed_at, Some(at(20)));
    assert_eq!(confirmed.last_step, STEP);
    assert_eq!(confirmed.last_used_at, Some(at(20)));

    // Confirmed: an enrollment cannot replace it, and it is confirmed once.
    assert!(
        !store
            .begin_totp(&pending(b"attacker", at(30)))
            .await
            .unwrap()
    );
    assert!(
        !store
            .confirm_totp(&alice(), STEP + 5, at(40), &macs(&["x"]))
            .await
            .unwrap()
    );
    assert_eq!(store.totp_of(&alice()).await.unwrap(), Some(confirmed));
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 1);
    assert!(!store.use_recovery_code(&alice(), b"mac:x").await.unwrap());
}

/// What `begin_totp` is given beyond the user, secret and start is not stored: an
/// enrollment always starts unconfirmed and unused.
pub async fn an_enrollment_is_stored_unconfirmed<S: Store>(store: S) {
    seed(&store).await;
    let mut claimed = pending(b"secret", NOW);
    claimed.confirmed_at = Some(NOW);
    claimed.last_step = STEP;
    claimed.last_used_at = Some(NOW);
    assert!(store.begin_totp(&claimed).await.unwrap());
    assert_eq!(
        store.totp_of(&alice()).await.unwrap(),
        Some(pending(b"secret", NOW))
    );
    assert!(!store.use_totp_step(&alice(), STEP + 1, NOW).await.unwrap());
}

pub async fn unknown_users_have_no_factors<S: Store>(store: S) {
    seed(&store).await;
    let nobody = UserId::from("nobody");
    let factor = TotpFactor::pending(nobody.clone(), b"secret".to_vec(), NOW);
    assert_eq!(
        store.begin_totp(&factor).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(store.totp_of(&nobody).await.unwrap(), None);
    assert!(
        !store
            .confirm_totp(&nobody, STEP, NOW, &macs(&["a"]))
            .await
            .unwrap()
    );
    assert!(!store.use_totp_step(&nobody, STEP, NOW).await.unwrap());
    assert_eq!(
        store
            .replace_recovery_codes(&nobody, &macs(&["a"]))
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    assert!(!store.use_recovery_code(&nobody, b"mac:a").await.unwrap());
    assert_eq!(store.recovery_codes_left(&nobody).await.unwrap(), 0);
    assert!(!store.remove_factors(&nobody).await.unwrap());
    // NUL cannot be in a stored id (PostgreSQL text cannot hold it): nothing is found.
    let nul = UserId::from("u1\0");
    assert_eq!(store.totp_of(&nul).await.unwrap(), None);
    assert!(!store.use_totp_step(&nul, STEP, NOW).await.unwrap());
    assert!(!store.use_recovery_code(&nul, b"mac:a").await.unwrap());
    assert_eq!(store.recovery_codes_left(&nul).await.unwrap(), 0);
    assert!(!store.remove_factors(&nul).await.unwrap());
}

pub async fn each_step_is_accepted_once_and_in_order<S: Store>(store: S) {
    seed(&store).await;
    assert!(store.begin_totp(&pending(b"secret", NOW)).await.unwrap());
    assert!(
        !store.use_totp_step(&alice(), STEP, NOW).await.unwrap(),
        "an unconfirmed authenticator accepts no code"
    );
    assert!(
        store
            .confirm_totp(&alice(), STEP, NOW, &macs(&["a"]))
            .await
            .unwrap()
    );
    assert!(
        !store.use_totp_step(&alice(), STEP, at(5)).await.unwrap(),
        "the confirming code is spent"
    );
    assert!(
        store
            .use_totp_step(&alice(), STEP + 1, at(30))
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_totp_step(&alice(), STEP + 1, at(31))
            .await
            .unwrap()
    );
    assert!(!store.use_totp_step(&alice(), STEP, at(32)).await.unwrap());
    assert!(
        store
            .use_totp_step(&alice(), STEP + 3, at(90))
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_totp_step(&alice(), STEP + 2, at(91))
            .await
            .unwrap()
    );
    let factor = store.totp_of(&alice()).await.unwrap().unwrap();
    assert_eq!(factor.last_step, STEP + 3);
    assert_eq!(factor.last_used_at, Some(at(90)));
    assert_eq!(factor.confirmed_at, Some(NOW));
}

/// A step that no signed 64-bit column holds is refused, not wrapped into a negative one.
pub async fn a_step_past_the_column_range_is_refused<S: Store>(store: S) {
    enrolled(&store).await;
    let huge = u64::MAX;
    assert!(matches!(
        store.use_totp_step(&alice(), huge, at(60)).await,
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(
        store.totp_of(&alice()).await.unwrap().unwrap().last_step,
        STEP
    );
    assert!(
        store
            .use_totp_step(&alice(), STEP + 1, at(60))
            .await
            .unwrap()
    );
}

pub async fn recovery_codes_are_spent_once_and_replaced<S: Store>(store: S) {
    enrolled(&store).await;
    store.create_user(&user("u2", "bob")).await.unwrap();
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 3);
    assert!(store.use_recovery_code(&alice(), b"mac:b").await.unwrap());
    assert!(!store.use_recovery_code(&alice(), b"mac:b").await.unwrap());
    assert!(!store.use_recovery_code(&alice(), b"mac:zzz").await.unwrap());
    assert!(
        !store
            .use_recovery_code(&"u2".into(), b"mac:a")
            .await
            .unwrap(),
        "a code is its user's only"
    );
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 2);

    store
        .replace_recovery_codes(&alice(), &macs(&["d", "e", "f", "g"]))
        .await
        .unwrap();
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 4);
    assert!(!store.use_recovery_code(&alice(), b"mac:a").await.unwrap());
    assert!(!store.use_recovery_code(&alice(), b"mac:c").await.unwrap());
    assert!(store.use_recovery_code(&alice(), b"mac:e").await.unwrap());
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 3);

    // The same MAC may be another user's code.
    store
        .replace_recovery_codes(&"u2".into(), &macs(&["d"]))
        .await
        .unwrap();
    assert_eq!(store.recovery_codes_left(&"u2".into()).await.unwrap(), 1);
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 3);

    store.replace_recovery_codes(&alice(), &[]).await.unwrap();
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 0);
    assert!(
        store
            .use_recovery_code(&"u2".into(), b"mac:d")
            .await
            .unwrap()
    );
}

/// A confirmation whose codes cannot all be stored (a MAC given twice) writes nothing: the
/// authenticator stays unconfirmed and the old codes stay.
pub async fn a_failed_confirmation_writes_nothing<S: Store>(store: S) {
    seed(&store).await;
    store
        .replace_recovery_codes(&alice(), &macs(&["old"]))
        .await
        .unwrap();
    assert!(store.begin_totp(&pending(b"secret", NOW)).await.unwrap());
    let twice = macs(&["a", "b", "a"]);
    assert!(is_conflict(
        store.confirm_totp(&alice(), STEP, at(1), &twice).await
    ));
    assert_eq!(
        store.totp_of(&alice()).await.unwrap(),
        Some(pending(b"secret", NOW))
    );
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 1);
    assert!(is_conflict(
        store.replace_recovery_codes(&alice(), &twice).await
    ));
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 1);
    assert!(
        store
            .confirm_totp(&alice(), STEP, at(2), &macs(&["a", "b"]))
            .await
            .unwrap()
    );
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 2);
    assert!(!store.use_recovery_code(&alice(), b"mac:old").await.unwrap());
}

pub async fn remove_factors_takes_both_once<S: Store>(store: S) {
    enrolled(&store).await;
    assert!(store.remove_factors(&alice()).await.unwrap());
    assert!(!store.remove_factors(&alice()).await.unwrap());
    assert_eq!(store.totp_of(&alice()).await.unwrap(), None);
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 0);
    assert!(!store.use_recovery_code(&alice(), b"mac:a").await.unwrap());
    assert!(
        !store
            .use_totp_step(&alice(), STEP + 1, at(60))
            .await
            .unwrap()
    );
    // Codes alone count as factors to remove; then the user may enroll afresh.
    store
        .replace_recovery_codes(&alice(), &macs(&["z"]))
        .await
        .unwrap();
    assert!(store.remove_factors(&alice()).await.unwrap());
    assert!(store.begin_totp(&pending(b"new", at(60))).await.unwrap());
    assert_eq!(
        store.totp_of(&alice()).await.unwrap(),
        Some(pending(b"new", at(60)))
    );
}

pub async fn deleting_the_user_removes_their_factors<S: Store>(store: S) {
    enrolled(&store).await;
    store.create_user(&user("u2", "bob")).await.unwrap();
    let bob = TotpFactor::pending("u2".into(), b"bob's".to_vec(), NOW);
    assert!(store.begin_totp(&bob).await.unwrap());
    store.delete_user(&alice()).await.unwrap();
    assert_eq!(store.totp_of(&alice()).await.unwrap(), None);
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 0);
    // A new account that gets the same id starts without them.
    store.create_user(&user("u1", "alice")).await.unwrap();
    assert_eq!(store.totp_of(&alice()).await.unwrap(), None);
    assert!(!store.use_recovery_code(&alice(), b"mac:a").await.unwrap());
    assert_eq!(store.totp_of(&"u2".into()).await.unwrap(), Some(bob));
}

/// The same code sent many times at once (a replay racing the real login): one caller
/// gets the step, every round.
pub async fn concurrent_uses_of_one_step_have_one_winner<S: Store>(store: S) {
    enrolled(&store).await;
    let store = Arc::new(store);
    for round in 1..=5u64 {
        let start = Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (store, start) = (Arc::clone(&store), Arc::clone(&start));
                tokio::spawn(async move {
                    start.wait().await;
                    store.use_totp_step(&alice(), STEP + round, at(60)).await
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            won += usize::from(task.await.unwrap().unwrap());
        }
        assert_eq!(won, 1, "round {round}: one caller gets the step");
    }
    assert_eq!(
        store.totp_of(&alice()).await.unwrap().unwrap().last_step,
        STEP + 5
    );
}

pub async fn concurrent_spends_of_one_code_have_one_winner<S: Store>(store: S) {
    enrolled(&store).await;
    let store = Arc::new(store);
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                store.use_recovery_code(&alice(), b"mac:a").await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 2);
}

/// Two first codes at once (two tabs): one confirmation, with its own recovery codes only.
pub async fn concurrent_confirmations_have_one_winner<S: Store>(store: S) {
    seed(&store).await;
    assert!(store.begin_totp(&pending(b"secret", NOW)).await.unwrap());
    let store = Arc::new(store);
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            tokio::spawn(async move {
                let codes = vec![vec![b'x', i], vec![b'y', i]];
                start.wait().await;
                store
                    .confirm_totp(&alice(), STEP, at(1), &codes)
                    .await
                    .map(|won| won.then_some(i))
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        winners.extend(task.await.unwrap().unwrap());
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let i = winners[0];
    assert_eq!(store.recovery_codes_left(&alice()).await.unwrap(), 2);
    assert!(store.use_recovery_code(&alice(), &[b'x', i]).await.unwrap());
}
