//! Bulk import (`tessera import`): a whole snapshot in one transaction, the keys it retires
//! included.

use tessera_core::model::{KeyId, KeyRecord, KeyState, Revocation, Timestamp};
use tessera_core::transfer::Snapshot;
use tessera_core::{Store, StoreError};

use crate::fixtures::{NOW, at, client, key, user};

/// Two users, two clients, two keys (one active) and two revocations.
fn snapshot() -> Snapshot {
    let revocation = |jti: &str, exp: Timestamp| Revocation {
        cursor: 0,
        jti: jti.into(),
        exp,
    };
    Snapshot::new(
        at(0),
        vec![user("u1", "alice"), user("u2", "bob")],
        vec![client("c1"), client("c2")],
        vec![
            key("k1", KeyState::Retiring, at(-100)),
            key("k2", KeyState::Active, at(-50)),
        ],
        vec![revocation("j1", at(100)), revocation("j2", at(200))],
    )
}

/// What a store holds, to compare before and after a failed import.
async fn contents<S: Store>(store: &S) -> (Vec<String>, Vec<String>, Vec<KeyRecord>, usize) {
    let users = store.list_users().await.unwrap();
    let mut clients: Vec<_> = store
        .list_clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.into_string())
        .collect();
    clients.sort();
    let keys = store.all_keys().await.unwrap();
    let revocations = store.revocations_since(0, NOW, 100).await.unwrap();
    (
        users.into_iter().map(|u| u.username).collect(),
        clients,
        keys,
        revocations.len(),
    )
}

/// The key the target made at its first start: live, and not in the snapshot.
async fn first_key<S: Store>(store: &S) -> KeyRecord {
    let first = key("k0", KeyState::Active, at(-10));
    store.insert_key(&first).await.unwrap();
    first
}

pub async fn import_writes_every_record_and_retires_in_one_go<S: Store>(store: S) {
    first_key(&store).await;
    let snapshot = snapshot();
    store
        .import(&snapshot, &[KeyId::from("k0")], at(5))
        .await
        .unwrap();

    for imported in &snapshot.users {
        let found = store.user_by_id(&imported.id).await.unwrap();
        assert_eq!(found.as_ref(), Some(imported));
    }
    for imported in &snapshot.clients {
        let found = store.client_by_id(&imported.id).await.unwrap();
        assert_eq!(found.as_ref(), Some(imported));
    }
    let keys = store.all_keys().await.unwrap();
    let kids: Vec<_> = keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, ["k1", "k2", "k0"], "oldest first");
    assert_eq!(&keys[..2], &snapshot.keys[..], "stored as they came");
    assert_eq!(
        (keys[2].state, keys[2].retired_at),
        (KeyState::Retired, Some(at(5))),
        "the first key is retired"
    );
    let feed = store.revocations_since(0, NOW, 100).await.unwrap();
    let revoked: Vec<_> = feed.iter().map(|r| (r.jti.as_str(), r.exp)).collect();
    assert_eq!(revoked, [("j1", at(100)), ("j2", at(200))]);
    assert!(feed[0].cursor < feed[1].cursor);
}

/// A key that clashes, the last record that can: the users, clients and keys before it, the
/// revocations and the retirement are all undone, and the conflict names the key.
pub async fn a_clash_on_the_last_record_leaves_the_store_unchanged<S: Store>(store: S) {
    first_key(&store).await;
    store.revoke_jti(&"j0".into(), at(300)).await.unwrap();
    let before = contents(&store).await;
    let mut snapshot = snapshot();
    snapshot.keys.push(key("k0", KeyState::Published, at(-1)));

    let clash = store.import(&snapshot, &[KeyId::from("k0")], at(5)).await;
    match clash {
        Err(StoreError::Conflict(what)) => assert!(what.contains("k0"), "{what}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(contents(&store).await, before);
    assert!(!store.is_revoked(&"j1".into()).await.unwrap());
    assert_eq!(store.user_by_name("alice").await.unwrap(), None);
}

/// A username that differs only in case clashes; the conflict names the user.
pub async fn a_clashing_username_names_the_user<S: Store>(store: S) {
    store.create_user(&user("u9", "BOB")).await.unwrap();
    let before = contents(&store).await;
    match store.import(&snapshot(), &[], NOW).await {
        Err(StoreError::Conflict(what)) => assert!(what.contains("bob"), "{what}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(contents(&store).await, before);
}

/// Retiring is part of the transaction: a kid the store does not know fails the import, and
/// every record written before it is undone.
pub async fn an_unknown_key_to_retire_undoes_the_import<S: Store>(store: S) {
    let first = first_key(&store).await;
    let before = contents(&store).await;
    let retire = [KeyId::from("k0"), KeyId::from("k-unknown")];
    let failed = store.import(&snapshot(), &retire, at(5)).await;
    assert_eq!(failed, Err(StoreError::NotFound));
    assert_eq!(contents(&store).await, before);
    assert_eq!(store.live_keys().await.unwrap(), [first], "k0 still signs");
}

/// An empty snapshot with nothing to retire changes nothing and succeeds.
pub async fn an_empty_import_changes_nothing<S: Store>(store: S) {
    first_key(&store).await;
    let before = contents(&store).await;
    store.import(&Snapshot::default(), &[], NOW).await.unwrap();
    assert_eq!(contents(&store).await, before);
}
