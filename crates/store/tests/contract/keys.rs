//! Signing keys, and the health check.

use tessera_core::model::{KeyRecord, KeyState};
use tessera_core::{Store, StoreError};

use crate::fixtures::{NOW, is_conflict, key};

pub async fn keys_list_oldest_first<S: Store>(store: S) {
    assert!(store.all_keys().await.unwrap().is_empty());
    let newer = key("k2", KeyState::Published, NOW + 10);
    let older = key("k1", KeyState::Active, NOW);
    let retired = KeyRecord {
        retired_at: Some(NOW - 5),
        ..key("k0", KeyState::Retired, NOW - 10)
    };
    for record in [&newer, &older, &retired] {
        store.insert_key(record).await.unwrap();
    }
    assert_eq!(
        store.all_keys().await.unwrap(),
        [retired, older.clone(), newer.clone()]
    );
    assert_eq!(store.live_keys().await.unwrap(), [older.clone(), newer]);
    assert!(is_conflict(store.insert_key(&older).await));
}

/// The compare-and-set behind rotation on several instances: a key goes in only while the
/// newest key is the one the caller saw.
pub async fn insert_key_after_compares_the_newest<S: Store>(store: S) {
    let first = key("k1", KeyState::Active, NOW);
    assert!(store.insert_key_after(&first, None).await.unwrap());
    let late = key("k1b", KeyState::Active, NOW);
    assert!(
        !store.insert_key_after(&late, None).await.unwrap(),
        "another key went in since the caller saw an empty store"
    );
    let second = key("k2", KeyState::Published, NOW + 10);
    assert!(store.insert_key_after(&second, Some("k1")).await.unwrap());
    let stale = key("k3", KeyState::Published, NOW + 10);
    assert!(!store.insert_key_after(&stale, Some("k1")).await.unwrap());
    let kids: Vec<String> = store
        .all_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, ["k1", "k2"]);
}

pub async fn set_key_state_stamps_retirement<S: Store>(store: S) {
    store
        .insert_key(&key("k1", KeyState::Published, NOW))
        .await
        .unwrap();
    let state = |kid: &'static str| {
        let store = &store;
        async move {
            let all = store.all_keys().await.unwrap();
            let found = all.into_iter().find(|k| k.kid == kid).unwrap();
            (found.state, found.retired_at)
        }
    };
    store
        .set_key_state("k1", KeyState::Active, NOW + 1)
        .await
        .unwrap();
    assert_eq!(state("k1").await, (KeyState::Active, None));
    store
        .set_key_state("k1", KeyState::Retiring, NOW + 2)
        .await
        .unwrap();
    assert_eq!(state("k1").await, (KeyState::Retiring, Some(NOW + 2)));
    store
        .set_key_state("k1", KeyState::Retired, NOW + 3)
        .await
        .unwrap();
    assert_eq!(
        state("k1").await,
        (KeyState::Retired, Some(NOW + 2)),
        "stopped signing at +2"
    );
    assert!(store.live_keys().await.unwrap().is_empty());
    let missing = store.set_key_state("k9", KeyState::Retired, NOW).await;
    assert_eq!(missing, Err(StoreError::NotFound));
}

pub async fn ping_answers<S: Store>(store: S) {
    store.ping().await.unwrap();
}
