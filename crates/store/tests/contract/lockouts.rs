//! Failed-login counters and lock-outs (times in milliseconds).

use tessera_core::Store;
use tessera_core::model::UnixMillis;

use crate::fixtures::{NOW, at};

/// [`NOW`] in milliseconds.
const MS: i64 = NOW.secs() * 1000;

/// `offset` milliseconds after [`NOW`].
fn ms(offset: i64) -> UnixMillis {
    UnixMillis::from_millis(MS + offset)
}

pub async fn failures_count_up_and_start_over_after_expiry<S: Store>(store: S) {
    let expires = ms(60_000);
    assert_eq!(
        store
            .count_login_failure(&"alice".into(), ms(0), expires)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count_login_failure(&"alice".into(), ms(1), expires)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .count_login_failure(&"bob".into(), ms(0), expires)
            .await
            .unwrap(),
        1
    );
    store.lock_login(&"alice".into(), ms(5_000)).await.unwrap();
    assert_eq!(
        store.login_locked_until(&"alice".into()).await.unwrap(),
        Some(ms(5_000))
    );
    // Past its expiry the counter starts over, without its old lock.
    let later = ms(60_001);
    assert_eq!(
        store
            .count_login_failure(&"alice".into(), later, ms(120_001))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.login_locked_until(&"alice".into()).await.unwrap(),
        None
    );
}

pub async fn locks_only_lengthen_and_clear_forgets<S: Store>(store: S) {
    assert_eq!(
        store.login_locked_until(&"carol".into()).await.unwrap(),
        None
    );
    store.lock_login(&"carol".into(), ms(1_000)).await.unwrap();
    assert_eq!(
        store.login_locked_until(&"carol".into()).await.unwrap(),
        None,
        "no counter"
    );
    store
        .count_login_failure(&"carol".into(), ms(0), ms(60_000))
        .await
        .unwrap();
    store.lock_login(&"carol".into(), ms(9_000)).await.unwrap();
    store.lock_login(&"carol".into(), ms(2_000)).await.unwrap();
    assert_eq!(
        store.login_locked_until(&"carol".into()).await.unwrap(),
        Some(ms(9_000))
    );
    assert!(store.clear_login_failures(&"carol".into()).await.unwrap());
    assert!(!store.clear_login_failures(&"carol".into()).await.unwrap());
    assert_eq!(
        store.login_locked_until(&"carol".into()).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .count_login_failure(&"carol".into(), ms(0), ms(60_000))
            .await
            .unwrap(),
        1
    );
}

pub async fn purge_forgets_expired_counters<S: Store>(store: S) {
    store
        .count_login_failure(&"old".into(), ms(0), ms(1_000))
        .await
        .unwrap();
    store
        .count_login_failure(&"locked".into(), ms(0), ms(1_000))
        .await
        .unwrap();
    store
        .lock_login(&"locked".into(), ms(600_000))
        .await
        .unwrap();
    assert_eq!(store.purge_expired(at(1)).await.unwrap(), 1);
    assert!(!store.clear_login_failures(&"old".into()).await.unwrap());
    assert_eq!(
        store.login_locked_until(&"locked".into()).await.unwrap(),
        Some(ms(600_000)),
        "a lock outlives the counter's own expiry"
    );
}

/// A username typed with a NUL is counted and locked like any other, apart from the name
/// without it.
pub async fn nul_in_account_is_counted_apart<S: Store>(store: S) {
    let expires = ms(60_000);
    for expected in 1..=2 {
        let count = store
            .count_login_failure(&"eve\0".into(), ms(0), expires)
            .await
            .unwrap();
        assert_eq!(count, expected);
    }
    assert_eq!(
        store
            .count_login_failure(&"eve".into(), ms(0), expires)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count_login_failure(&"eve\\0".into(), ms(0), expires)
            .await
            .unwrap(),
        1
    );
    store.lock_login(&"eve\0".into(), ms(5_000)).await.unwrap();
    assert_eq!(
        store.login_locked_until(&"eve\0".into()).await.unwrap(),
        Some(ms(5_000))
    );
    assert_eq!(store.login_locked_until(&"eve".into()).await.unwrap(), None);
    assert!(store.clear_login_failures(&"eve\0".into()).await.unwrap());
    assert!(store.clear_login_failures(&"eve".into()).await.unwrap());
}
