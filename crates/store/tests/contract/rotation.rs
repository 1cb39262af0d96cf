//! Refresh-token rotation, retries within the grace window, replay detection.

use std::sync::Arc;
use std::time::Duration;

use tessera_core::Store;
use tessera_core::model::{RotateOutcome, Session};

use crate::fixtures::{NOW, at, open_session, refresh, sealed, seed, session, successor};

const GRACE: Duration = Duration::from_secs(30);

pub async fn rotation_marks_used_and_stores_successor<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    let next = successor(b"t2", "s1", at(5));
    let outcome = store
        .rotate_refresh(b"t1", &next, at(5), GRACE)
        .await
        .unwrap();
    let expected = Session {
        last_used_at: at(5),
        ..session("s1", "u1", "c1")
    };
    assert_eq!(outcome, RotateOutcome::Rotated(expected.clone()));

    let old = store.refresh_record(b"t1").await.unwrap().unwrap();
    assert_eq!(
        (old.used_at, old.successor_sealed),
        (Some(at(5)), Some(sealed(b"t2")))
    );
    let new = store.refresh_record(b"t2").await.unwrap().unwrap();
    assert_eq!((new.session_id.as_str(), new.used_at), ("s1", None));
    assert_eq!((new.created_at, new.expires_at), (at(5), at(605)));
    assert_eq!(
        store.session_by_id(&"s1".into()).await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(
        store.session_by_refresh(b"t2").await.unwrap(),
        Some(expected)
    );

    let next = successor(b"t3", "s1", at(9));
    let again = store
        .rotate_refresh(b"t2", &next, at(9), GRACE)
        .await
        .unwrap();
    assert!(matches!(again, RotateOutcome::Rotated(s) if s.last_used_at == at(9)));
}

pub async fn unknown_expired_or_ended_is_invalid<S: Store>(store: S) {
    seed(&store).await;
    let next = successor(b"n", "s1", NOW);
    let rotate = |hash: &'static [u8], now| store.rotate_refresh(hash, &next, now, GRACE);
    assert_eq!(
        rotate(b"unknown", NOW).await.unwrap(),
        RotateOutcome::Invalid
    );

    open_session(&store, "s1", "u1", b"t1").await;
    assert_eq!(
        rotate(b"t1", at(600)).await.unwrap(),
        RotateOutcome::Invalid,
        "token expired"
    );
    assert_eq!(
        store.refresh_record(b"t1").await.unwrap().unwrap().used_at,
        None
    );

    let short = Session {
        expires_at: at(100),
        ..session("s2", "u1", "c1")
    };
    store
        .create_session(&short, &refresh(b"t2", "s2", NOW))
        .await
        .unwrap();
    assert_eq!(
        rotate(b"t2", at(100)).await.unwrap(),
        RotateOutcome::Invalid,
        "session over"
    );

    open_session(&store, "s3", "u1", b"t3").await;
    store.revoke_session(&"s3".into(), at(1)).await.unwrap();
    assert_eq!(
        rotate(b"t3", at(2)).await.unwrap(),
        RotateOutcome::Invalid,
        "session revoked"
    );
    assert_eq!(
        store.refresh_record(b"n").await.unwrap(),
        None,
        "nothing was stored"
    );
}

pub async fn retry_within_grace_returns_same_successor<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    let first = store
        .rotate_refresh(b"t1", &successor(b"t2", "s1", NOW), NOW, GRACE)
        .await;
    assert!(matches!(first.unwrap(), RotateOutcome::Rotated(_)));

    let next = successor(b"t3", "s1", NOW);
    let retry = store
        .rotate_refresh(b"t1", &next, NOW.plus(GRACE), GRACE)
        .await
        .unwrap();
    let expected = Session {
        last_used_at: NOW,
        ..session("s1", "u1", "c1")
    };
    let outcome = RotateOutcome::Retried {
        session: expected,
        successor_sealed: sealed(b"t2"),
    };
    assert_eq!(retry, outcome);
    assert_eq!(
        store.refresh_record(b"t3").await.unwrap(),
        None,
        "no second successor"
    );
    assert_eq!(
        store.refresh_record(b"t1").await.unwrap().unwrap().used_at,
        Some(NOW)
    );
}

pub async fn reuse_after_grace_revokes_family<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    store
        .rotate_refresh(b"t1", &successor(b"t2", "s1", NOW), NOW, GRACE)
        .await
        .unwrap();

    let late = NOW.plus(GRACE).plus_secs(1);
    let replay = store
        .rotate_refresh(b"t1", &successor(b"t3", "s1", late), late, GRACE)
        .await;
    let expected = RotateOutcome::Replayed {
        session_id: "s1".into(),
        user_id: "u1".into(),
    };
    assert_eq!(replay.unwrap(), expected);
    assert_eq!(
        store
            .session_by_id(&"s1".into())
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(late)
    );
    let current = store
        .rotate_refresh(b"t2", &successor(b"t4", "s1", late), late, GRACE)
        .await;
    assert_eq!(
        current.unwrap(),
        RotateOutcome::Invalid,
        "the whole family is over"
    );
}

pub async fn zero_grace_makes_any_reuse_a_replay<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    store
        .rotate_refresh(b"t1", &successor(b"t2", "s1", NOW), NOW, Duration::ZERO)
        .await
        .unwrap();
    let replay = store
        .rotate_refresh(b"t1", &successor(b"t3", "s1", NOW), NOW, Duration::ZERO)
        .await;
    assert!(matches!(replay.unwrap(), RotateOutcome::Replayed { .. }));
}

/// 16 tasks present the same token at once: exactly one rotates it.
pub async fn concurrent_rotation_has_one_winner<S: Store>(store: S) {
    let outcomes = race(store, Duration::ZERO).await;
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, RotateOutcome::Rotated(_)))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    let others_lose = outcomes.iter().all(|o| {
        matches!(
            o,
            RotateOutcome::Rotated(_) | RotateOutcome::Replayed { .. } | RotateOutcome::Invalid
        )
    });
    assert!(others_lose, "{outcomes:?}");
}

/// With a grace window, the losers of the race all get the winner's successor.
pub async fn concurrent_retries_share_one_successor<S: Store>(store: S) {
    let outcomes = race(store, GRACE).await;
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, RotateOutcome::Rotated(_)))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    let mut successors = outcomes.iter().filter_map(|o| match o {
        RotateOutcome::Retried {
            successor_sealed, ..
        } => Some(successor_sealed.clone()),
        _ => None,
    });
    let first = successors.next().unwrap();
    assert!(successors.all(|s| s == first), "{outcomes:?}");
    assert_eq!(outcomes.len(), 16);
}

/// Presents token `t0` from 16 tasks at once, each with its own successor.
async fn race<S: Store>(store: S, grace: Duration) -> Vec<RotateOutcome> {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t0").await;
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..16u8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let next = successor(&[b'n', i], "s1", at(1));
                store.rotate_refresh(b"t0", &next, at(1), grace).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }
    outcomes
}

/// A successor whose digest is taken (by any token) fails the rotation as a whole: the
/// presented token stays unused and the session untouched.
pub async fn a_taken_successor_digest_changes_nothing<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    open_session(&store, "s2", "u1", b"t2").await;
    let clash = store
        .rotate_refresh(b"t1", &successor(b"t2", "s1", at(5)), at(5), GRACE)
        .await;
    assert!(
        matches!(clash, Err(tessera_core::StoreError::Conflict(_))),
        "{clash:?}"
    );
    assert_eq!(
        store.refresh_record(b"t1").await.unwrap(),
        Some(refresh(b"t1", "s1", NOW))
    );
    assert_eq!(
        store
            .refresh_record(b"t2")
            .await
            .unwrap()
            .unwrap()
            .session_id,
        "s2"
    );
    let s1 = store.session_by_id(&"s1".into()).await.unwrap().unwrap();
    assert_eq!(s1.last_used_at, NOW);
}
