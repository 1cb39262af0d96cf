//! The revocation feed and the purge of expired rows.

use std::time::Duration;

use tessera_core::Store;
use tessera_core::model::Session;

use crate::fixtures::{NOW, at, open_session, refresh, seed, session, successor};

pub async fn revoke_jti_is_idempotent_with_rising_cursors<S: Store>(store: S) {
    let a = store.revoke_jti(&"a".into(), at(100)).await.unwrap();
    let b = store.revoke_jti(&"b".into(), at(100)).await.unwrap();
    let c = store.revoke_jti(&"c".into(), at(50)).await.unwrap();
    assert!(a < b && b < c, "cursors rise: {a} {b} {c}");
    assert_eq!(
        store.revoke_jti(&"a".into(), at(100)).await.unwrap(),
        a,
        "same jti, same cursor"
    );
    assert_eq!(store.revoke_jti(&"a".into(), at(10)).await.unwrap(), a);
    let feed = store.revocations_since(0, NOW, 100).await.unwrap();
    assert_eq!(
        feed.iter().map(|r| r.jti.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(feed[0].exp, at(100), "a revocation is never shortened");

    assert!(store.is_revoked(&"a".into()).await.unwrap());
    assert!(!store.is_revoked(&"z".into()).await.unwrap());
    store.purge_expired(at(1_000)).await.unwrap();
    let d = store.revoke_jti(&"d".into(), at(2_000)).await.unwrap();
    assert!(d > c, "cursors are never reused after a purge");
}

pub async fn revocations_since_pages_and_skips_expired<S: Store>(store: S) {
    let mut cursors = Vec::new();
    for (jti, exp) in [("j1", at(10)), ("j2", NOW), ("j3", at(10)), ("j4", at(10))] {
        cursors.push(store.revoke_jti(&jti.into(), exp).await.unwrap());
    }
    let jtis = |feed: Vec<tessera_core::model::Revocation>| {
        feed.into_iter().map(|r| r.jti).collect::<Vec<_>>()
    };
    let page = store.revocations_since(0, NOW, 2).await.unwrap();
    assert_eq!(page[0].cursor, cursors[0]);
    let next = page[1].cursor;
    assert_eq!(jtis(page), ["j1", "j3"], "j2 expired at NOW is skipped");
    assert_eq!(
        jtis(store.revocations_since(next, NOW, 2).await.unwrap()),
        ["j4"]
    );
    assert!(
        store
            .revocations_since(cursors[3], NOW, 2)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .revocations_since(0, at(10), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.revocations_since(0, NOW, 0).await.unwrap().is_empty());
}

pub async fn purge_expired_deletes_what_is_over<S: Store>(store: S) {
    seed(&store).await;
    store.revoke_jti(&"j1".into(), NOW).await.unwrap();
    store.revoke_jti(&"j2".into(), at(100)).await.unwrap();
    store.revoke_jti(&"j3".into(), at(1_000)).await.unwrap();
    open_session(&store, "s1", "u1", b"t1").await;
    store
        .rotate_refresh(b"t1", &successor(b"t2", "s1", NOW), NOW, Duration::ZERO)
        .await
        .unwrap();
    let short = Session {
        expires_at: at(50),
        ..session("s2", "u1", "c1")
    };
    store
        .create_session(&short, &refresh(b"t3", "s2", NOW))
        .await
        .unwrap();
    store
        .rotate_refresh(b"t3", &successor(b"t4", "s2", NOW), NOW, Duration::ZERO)
        .await
        .unwrap();

    // j1, j2; s2 and its t3, t4.
    assert_eq!(store.purge_expired(at(100)).await.unwrap(), 5);
    assert!(
        !store.is_revoked(&"j1".into()).await.unwrap()
            && !store.is_revoked(&"j2".into()).await.unwrap()
    );
    assert!(store.is_revoked(&"j3".into()).await.unwrap());
    assert_eq!(store.session_by_id(&"s2".into()).await.unwrap(), None);
    assert_eq!(store.refresh_record(b"t3").await.unwrap(), None);
    assert!(store.refresh_record(b"t1").await.unwrap().is_some());

    // t1, t2 idle-expired; s1 lives on until its absolute expiry.
    assert_eq!(store.purge_expired(at(600)).await.unwrap(), 2);
    assert_eq!(store.refresh_record(b"t2").await.unwrap(), None);
    assert!(store.session_by_id(&"s1".into()).await.unwrap().is_some());
    assert_eq!(store.purge_expired(at(600)).await.unwrap(), 0);
}

/// A `jti` revoked again with a later `exp` keeps its entry and cursor, and lasts as long as
/// the later revocation.
pub async fn revoking_again_later_lengthens_the_entry<S: Store>(store: S) {
    let jti = "a".into();
    let cursor = store.revoke_jti(&jti, at(10)).await.unwrap();
    assert_eq!(store.revoke_jti(&jti, at(500)).await.unwrap(), cursor);
    let feed = store.revocations_since(0, at(100), 10).await.unwrap();
    assert_eq!(
        feed.iter().map(|r| (r.cursor, r.exp)).collect::<Vec<_>>(),
        [(cursor, at(500))]
    );
    assert_eq!(store.purge_expired(at(100)).await.unwrap(), 0);
    assert!(store.is_revoked(&jti).await.unwrap());
}
