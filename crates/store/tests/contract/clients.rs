//! OAuth clients.

use tessera_core::model::Grant;
use tessera_core::{Store, StoreError};

use crate::fixtures::{NOW, client, is_conflict, is_live, open_session, seed};

pub async fn create_then_find_client<S: Store>(store: S) {
    let confidential = client("c1");
    store.create_client(&confidential).await.unwrap();
    assert_eq!(
        store.client_by_id(&"c1".into()).await.unwrap(),
        Some(confidential)
    );

    let public = tessera_core::model::Client {
        secret_hash: None,
        grants: vec![Grant::ClientCredentials],
        scopes: vec![],
        audiences: vec!["a".into(), "b".into()],
        ..client("c2")
    };
    store.create_client(&public).await.unwrap();
    let found = store.client_by_id(&"c2".into()).await.unwrap().unwrap();
    assert!(found.is_public());
    assert_eq!(found, public);
    assert_eq!(store.client_by_id(&"c3".into()).await.unwrap(), None);
}

pub async fn duplicate_client_conflicts<S: Store>(store: S) {
    store.create_client(&client("c1")).await.unwrap();
    assert!(is_conflict(store.create_client(&client("c1")).await));
}

pub async fn list_clients_returns_all<S: Store>(store: S) {
    assert!(store.list_clients().await.unwrap().is_empty());
    for id in ["c2", "c1", "c3"] {
        store.create_client(&client(id)).await.unwrap();
    }
    let mut ids: Vec<_> = store
        .list_clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["c1", "c2", "c3"]);
}

pub async fn delete_client_ends_its_sessions<S: Store>(store: S) {
    seed(&store).await;
    store.create_client(&client("c2")).await.unwrap();
    open_session(&store, "s1", "u1", b"t1").await;
    let other = crate::fixtures::session("s2", "u1", "c2");
    store
        .create_session(&other, &crate::fixtures::refresh(b"t2", "s2", NOW))
        .await
        .unwrap();

    store.delete_client(&"c1".into()).await.unwrap();
    assert_eq!(store.client_by_id(&"c1".into()).await.unwrap(), None);
    assert!(!is_live(&store, "s1", NOW).await);
    let live = store.sessions_of(&"u1".into(), NOW).await.unwrap();
    assert_eq!(
        live.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["s2"]
    );
    assert_eq!(
        store.delete_client(&"c1".into()).await,
        Err(StoreError::NotFound)
    );
}
