//! The record of accepted DPoP proofs: a `jti` digest is accepted once inside its window,
//! whatever the concurrency, and the purge removes records whose window has closed.

use std::sync::Arc;
use std::time::Duration;

use tessera_core::Store;
use tessera_core::model::{RotateOutcome, Session};

use crate::fixtures::{NOW, at, refresh, seed, session, successor};

pub async fn a_proof_is_recorded_once_until_it_expires<S: Store>(store: S) {
    assert!(store.record_dpop_jti(b"jti-1", at(60), NOW).await.unwrap());
    assert!(
        !store
            .record_dpop_jti(b"jti-1", at(60), at(30))
            .await
            .unwrap(),
        "a replay inside the window"
    );
    assert!(
        !store
            .record_dpop_jti(b"jti-1", at(90), at(59))
            .await
            .unwrap(),
        "a replay at the last second of the window"
    );
    assert!(store.record_dpop_jti(b"jti-2", at(60), NOW).await.unwrap());
    // Past its window (a proof that old fails its iat check anyway) the digest may be
    // recorded again, before or after the purge.
    assert!(
        store
            .record_dpop_jti(b"jti-1", at(200), at(60))
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_dpop_jti(b"jti-1", at(200), at(100))
            .await
            .unwrap()
    );
}

pub async fn purge_removes_proofs_past_their_window<S: Store>(store: S) {
    for (jti, until) in [
        (&b"old-1"[..], at(10)),
        (b"old-2", at(20)),
        (b"live", at(100)),
    ] {
        assert!(store.record_dpop_jti(jti, until, NOW).await.unwrap());
    }
    let deleted = store.purge_expired(at(20)).await.unwrap();
    assert_eq!(deleted, 2);
    assert!(
        !store
            .record_dpop_jti(b"live", at(100), at(20))
            .await
            .unwrap()
    );
    assert_eq!(store.purge_expired(at(20)).await.unwrap(), 0);
    assert!(
        store
            .record_dpop_jti(b"old-1", at(80), at(20))
            .await
            .unwrap()
    );
}

pub async fn concurrent_records_of_one_proof_have_one_winner<S: Store>(store: S) {
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.record_dpop_jti(b"raced", at(60), NOW).await })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        if task.await.unwrap().unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
}

/// The key a refresh family is bound to comes back with the session whichever way it is
/// read, and a rotation keeps it.
pub async fn a_bound_family_keeps_its_key<S: Store>(store: S) {
    seed(&store).await;
    let bound = Session {
        dpop_jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".into()),
        ..session("s1", "u1", "c1")
    };
    store
        .create_session(&bound, &refresh(b"t1", "s1", NOW))
        .await
        .unwrap();
    assert_eq!(
        store.session_by_id(&"s1".into()).await.unwrap(),
        Some(bound.clone())
    );
    assert_eq!(
        store.session_by_refresh(b"t1").await.unwrap(),
        Some(bound.clone())
    );
    let next = successor(b"t2", "s1", at(1));
    match store
        .rotate_refresh(b"t1", &next, at(1), Duration::ZERO)
        .await
        .unwrap()
    {
        RotateOutcome::Rotated(session) => assert_eq!(session.dpop_jkt, bound.dpop_jkt),
        other => panic!("{other:?}"),
    }
    let unbound = session("s2", "u1", "c1");
    store
        .create_session(&unbound, &refresh(b"t3", "s2", NOW))
        .await
        .unwrap();
    assert_eq!(
        store
            .session_by_refresh(b"t3")
            .await
            .unwrap()
            .unwrap()
            .dpop_jkt,
        None
    );
}
