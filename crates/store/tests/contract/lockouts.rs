//! Failed-login counters and lock-outs (times in milliseconds).

use tessera_core::Store;

use crate::fixtures::NOW;

const MS: i64 = NOW * 1000;

pub async fn failures_count_up_and_start_over_after_expiry<S: Store>(store: S) {
    let expires = MS + 60_000;
    assert_eq!(
        store
            .count_login_failure("alice", MS, expires)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count_login_failure("alice", MS + 1, expires)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.count_login_failure("bob", MS, expires).await.unwrap(),
        1
    );
    store.lock_login("alice", MS + 5_000).await.unwrap();
    assert_eq!(
        store.login_locked_until("alice").await.unwrap(),
        Some(MS + 5_000)
    );
    // Past its expiry the counter starts over, without its old lock.
    let later = expires + 1;
    assert_eq!(
        store
            .count_login_failure("alice", later, later + 60_000)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.login_locked_until("alice").await.unwrap(), None);
}

pub async fn locks_only_lengthen_and_clear_forgets<S: Store>(store: S) {
    assert_eq!(store.login_locked_until("carol").await.unwrap(), None);
    store.lock_login("carol", MS + 1_000).await.unwrap();
    assert_eq!(
        store.login_locked_until("carol").await.unwrap(),
        None,
        "no counter"
    );
    store
        .count_login_failure("carol", MS, MS + 60_000)
        .await
        .unwrap();
    store.lock_login("carol", MS + 9_000).await.unwrap();
    store.lock_login("carol", MS + 2_000).await.unwrap();
    assert_eq!(
        store.login_locked_until("carol").await.unwrap(),
        Some(MS + 9_000)
    );
    assert!(store.clear_login_failures("carol").await.unwrap());
    assert!(!store.clear_login_failures("carol").await.unwrap());
    assert_eq!(store.login_locked_until("carol").await.unwrap(), None);
    assert_eq!(
        store
            .count_login_failure("carol", MS, MS + 60_000)
            .await
            .unwrap(),
        1
    );
}

pub async fn purge_forgets_expired_counters<S: Store>(store: S) {
    store
        .count_login_failure("old", MS, MS + 1_000)
        .await
        .unwrap();
    store
        .count_login_failure("locked", MS, MS + 1_000)
        .await
        .unwrap();
    store.lock_login("locked", MS + 600_000).await.unwrap();
    assert_eq!(store.purge_expired(NOW + 1).await.unwrap(), 1);
    assert!(!store.clear_login_failures("old").await.unwrap());
    assert_eq!(
        store.login_locked_until("locked").await.unwrap(),
        Some(MS + 600_000),
        "a lock outlives the counter's own expiry"
    );
}

/// A username typed with a NUL is counted and locked like any other, apart from the name
/// without it.
pub async fn nul_in_account_is_counted_apart<S: Store>(store: S) {
    let expires = MS + 60_000;
    for expected in 1..=2 {
        let count = store
            .count_login_failure("eve\0", MS, expires)
            .await
            .unwrap();
        assert_eq!(count, expected);
    }
    assert_eq!(
        store.count_login_failure("eve", MS, expires).await.unwrap(),
        1
    );
    assert_eq!(
        store
            .count_login_failure("eve\\0", MS, expires)
            .await
            .unwrap(),
        1
    );
    store.lock_login("eve\0", MS + 5_000).await.unwrap();
    assert_eq!(
        store.login_locked_until("eve\0").await.unwrap(),
        Some(MS + 5_000)
    );
    assert_eq!(store.login_locked_until("eve").await.unwrap(), None);
    assert!(store.clear_login_failures("eve\0").await.unwrap());
    assert!(store.clear_login_failures("eve").await.unwrap());
}
