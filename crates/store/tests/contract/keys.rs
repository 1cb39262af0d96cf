//! Signing keys, and the health check.

use std::sync::Arc;

use tessera_core::model::{KeyId, KeyRecord, KeyState};
use tessera_core::{Store, StoreError};

use crate::fixtures::{NOW, at, is_conflict, key};

pub async fn keys_list_oldest_first<S: Store>(store: S) {
    assert!(store.all_keys().await.unwrap().is_empty());
    let newer = key("k2", KeyState::Published, at(10));
    let older = key("k1", KeyState::Active, NOW);
    let retired = KeyRecord {
        retired_at: Some(at(-5)),
        ..key("k0", KeyState::Retired, at(-10))
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
    let second = key("k2", KeyState::Published, at(10));
    assert!(
        store
            .insert_key_after(&second, Some(&"k1".into()))
            .await
            .unwrap()
    );
    let stale = key("k3", KeyState::Published, at(10));
    assert!(
        !store
            .insert_key_after(&stale, Some(&"k1".into()))
            .await
            .unwrap()
    );
    let kids: Vec<KeyId> = store
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
        .set_key_state(&"k1".into(), KeyState::Active, at(1))
        .await
        .unwrap();
    assert_eq!(state("k1").await, (KeyState::Active, None));
    store
        .set_key_state(&"k1".into(), KeyState::Retiring, at(2))
        .await
        .unwrap();
    assert_eq!(state("k1").await, (KeyState::Retiring, Some(at(2))));
    store
        .set_key_state(&"k1".into(), KeyState::Retired, at(3))
        .await
        .unwrap();
    assert_eq!(
        state("k1").await,
        (KeyState::Retired, Some(at(2))),
        "stopped signing at +2"
    );
    assert!(store.live_keys().await.unwrap().is_empty());
    let missing = store
        .set_key_state(&"k9".into(), KeyState::Retired, NOW)
        .await;
    assert_eq!(missing, Err(StoreError::NotFound));
}

pub async fn ping_answers<S: Store>(store: S) {
    store.ping().await.unwrap();
}

/// "Newest" is by creation time, whatever order the keys went in and whatever their state.
pub async fn insert_key_after_goes_by_creation<S: Store>(store: S) {
    store
        .insert_key(&key("k2", KeyState::Retired, at(10)))
        .await
        .unwrap();
    store
        .insert_key(&key("k1", KeyState::Active, NOW))
        .await
        .unwrap();
    let next = key("k3", KeyState::Published, at(20));
    assert!(
        !store
            .insert_key_after(&next, Some(&"k1".into()))
            .await
            .unwrap(),
        "k1 went in last but is not the newest"
    );
    assert!(
        store
            .insert_key_after(&next, Some(&"k2".into()))
            .await
            .unwrap()
    );
    assert_eq!(store.all_keys().await.unwrap().len(), 3);
}

/// Eight callers that saw the same newest key race to add its successor: one wins.
pub async fn insert_key_after_has_one_winner<S: Store>(store: S) {
    store
        .insert_key(&key("k0", KeyState::Active, NOW))
        .await
        .unwrap();
    let store = Arc::new(store);
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            tokio::spawn(async move {
                let record = key(&format!("k{}", i + 1), KeyState::Published, at(10));
                start.wait().await;
                store.insert_key_after(&record, Some(&"k0".into())).await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(store.all_keys().await.unwrap().len(), 2);
}

/// A key put back to signing (a rotation undone) loses its retirement stamp.
pub async fn a_key_that_signs_again_loses_its_retirement<S: Store>(store: S) {
    store
        .insert_key(&key("k1", KeyState::Active, NOW))
        .await
        .unwrap();
    let kid = KeyId::from("k1");
    store
        .set_key_state(&kid, KeyState::Retiring, at(1))
        .await
        .unwrap();
    store
        .set_key_state(&kid, KeyState::Active, at(2))
        .await
        .unwrap();
    let keys = store.live_keys().await.unwrap();
    assert_eq!(
        (keys[0].state, keys[0].retired_at),
        (KeyState::Active, None)
    );
}
