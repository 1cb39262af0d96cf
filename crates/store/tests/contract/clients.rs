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

pub async fn update_client_replaces_settings_not_identity<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    let mut changed = tessera_core::model::Client {
        name: "renamed".into(),
        secret_hash: Some(vec![9; 32]),
        grants: vec![Grant::AuthorizationCode, Grant::RefreshToken],
        scopes: vec!["profile".into()],
        audiences: vec!["https://other.example.test".into()],
        created_at: crate::fixtures::at(99),
        ..client("c1")
    };
    changed.web.redirect_uris = vec!["https://app.example.test/cb".into()];
    store.update_client(&changed).await.unwrap();

    // Read twice: a cache in front of the table must not answer the old client.
    for _ in 0..2 {
        let found = store.client_by_id(&"c1".into()).await.unwrap().unwrap();
        assert_eq!(found.name, "renamed");
        assert_eq!(found.secret_hash, Some(vec![9; 32]));
        assert_eq!(found.grants, changed.grants);
        assert_eq!(found.scopes, ["profile"]);
        assert_eq!(found.audiences, ["https://other.example.test"]);
        assert_eq!(found.web.redirect_uris, ["https://app.example.test/cb"]);
        assert_eq!(found.created_at, NOW, "the creation time is kept");
    }
    assert!(is_live(&store, "s1", NOW).await, "its sessions go on");
    assert_eq!(
        store.update_client(&client("nobody")).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.update_client(&client("c1\0")).await,
        Err(StoreError::NotFound)
    );
}
