//! Sessions and their refresh records, apart from rotation.

use std::time::Duration;

use tessera_core::model::RefreshRecord;
use tessera_core::{Store, StoreError};

use crate::fixtures::{
    NOW, at, is_conflict, open_session, refresh, sealed, seed, session, successor, user,
};

pub async fn create_session_stores_first_token<S: Store>(store: S) {
    seed(&store).await;
    let created = open_session(&store, "s1", "u1", b"t1").await;
    assert_eq!(
        store.session_by_id(&"s1".into()).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        store.session_by_refresh(b"t1").await.unwrap(),
        Some(created)
    );
    assert_eq!(
        store.refresh_record(b"t1").await.unwrap(),
        Some(refresh(b"t1", "s1", NOW))
    );
    assert_eq!(store.session_by_id(&"s2".into()).await.unwrap(), None);
    assert_eq!(store.session_by_refresh(b"t2").await.unwrap(), None);
    assert_eq!(store.refresh_record(b"t2").await.unwrap(), None);
}

pub async fn create_session_is_atomic<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    let clash = store
        .create_session(&session("s2", "u1", "c1"), &refresh(b"t1", "s2", NOW))
        .await;
    assert!(is_conflict(clash), "a taken token hash conflicts");
    assert_eq!(
        store.session_by_id(&"s2".into()).await.unwrap(),
        None,
        "and leaves no session behind"
    );
    let again = store
        .create_session(&session("s1", "u1", "c1"), &refresh(b"t9", "s1", NOW))
        .await;
    assert!(is_conflict(again), "a taken session id conflicts");
    assert_eq!(store.refresh_record(b"t9").await.unwrap(), None);
}

pub async fn session_needs_known_user_and_client<S: Store>(store: S) {
    seed(&store).await;
    let orphan = session("s1", "nobody", "c1");
    let result = store
        .create_session(&orphan, &refresh(b"t1", "s1", NOW))
        .await;
    assert_eq!(result, Err(StoreError::NotFound));
    let orphan = session("s1", "u1", "no-client");
    let result = store
        .create_session(&orphan, &refresh(b"t1", "s1", NOW))
        .await;
    assert_eq!(result, Err(StoreError::NotFound));
}

pub async fn sessions_of_lists_only_live_ones<S: Store>(store: S) {
    seed(&store).await;
    store.create_user(&user("u2", "bob")).await.unwrap();
    open_session(&store, "live", "u1", b"t1").await;
    open_session(&store, "revoked", "u1", b"t2").await;
    store
        .revoke_session(&"revoked".into(), at(1))
        .await
        .unwrap();
    let short = tessera_core::model::Session {
        expires_at: at(10),
        ..session("short", "u1", "c1")
    };
    store
        .create_session(&short, &refresh(b"t3", "short", NOW))
        .await
        .unwrap();
    open_session(&store, "bobs", "u2", b"t4").await;

    let ids = |sessions: Vec<tessera_core::model::Session>| {
        sessions.into_iter().map(|s| s.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.sessions_of(&"u1".into(), at(9)).await.unwrap()),
        ["live", "short"]
    );
    assert_eq!(
        ids(store.sessions_of(&"u1".into(), at(10)).await.unwrap()),
        ["live"]
    );
    assert!(
        store
            .sessions_of(&"nobody".into(), NOW)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn revoke_session_reports_liveness<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    assert!(store.revoke_session(&"s1".into(), at(1)).await.unwrap());
    assert!(
        !store.revoke_session(&"s1".into(), at(2)).await.unwrap(),
        "already ended"
    );
    assert_eq!(
        store
            .session_by_id(&"s1".into())
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(at(1))
    );
    open_session(&store, "s2", "u1", b"t2").await;
    assert!(
        !store.revoke_session(&"s2".into(), at(3_600)).await.unwrap(),
        "already expired"
    );
    assert!(!store.revoke_session(&"nobody".into(), NOW).await.unwrap());
}

/// Introspection reads a refresh token's record, used or not, as it is stored.
pub async fn refresh_record_answers_the_record<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    let next = successor(b"t2", "s1", at(5));
    store
        .rotate_refresh(b"t1", &next, at(5), Duration::from_secs(30))
        .await
        .unwrap();
    let used = RefreshRecord {
        used_at: Some(at(5)),
        successor_sealed: Some(sealed(b"t2")),
        ..refresh(b"t1", "s1", NOW)
    };
    assert_eq!(store.refresh_record(b"t1").await.unwrap(), Some(used));
    assert_eq!(
        store.refresh_record(b"t2").await.unwrap(),
        Some(refresh(b"t2", "s1", at(5))),
        "stored unused, without its own sealed copy"
    );
    assert_eq!(store.refresh_record(b"t3").await.unwrap(), None);
}
