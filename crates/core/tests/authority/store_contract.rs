//! The refresh rotation contract of `Store::rotate_refresh`, checked on the in-memory store.
//! Written against the trait only, so that other implementations can mount it.

use std::sync::Arc;
use std::thread;

use tessera_core::Store;
use tessera_core::model::{RefreshRecord, RotateOutcome, Session};

use crate::support::{MemoryStore, T0, block_on};

fn session(id: &str) -> Session {
    Session {
        id: id.into(),
        user_id: "u_1".into(),
        client_id: "c_1".into(),
        scope: String::new(),
        created_at: T0,
        expires_at: T0 + 10_000,
        last_used_at: T0,
        revoked_at: None,
    }
}

fn record(hash: &[u8], session_id: &str, sealed: Option<&[u8]>) -> RefreshRecord {
    RefreshRecord {
        hash: hash.to_vec(),
        session_id: session_id.into(),
        created_at: T0,
        expires_at: T0 + 1_000,
        used_at: None,
        successor_sealed: sealed.map(<[u8]>::to_vec),
    }
}

/// Rotation, retry within grace, replay outside it, and what comes after.
pub(crate) fn rotation_contract<S: Store>(store: &S) {
    block_on(store.create_session(&session("s_1"), &record(b"one", "s_1", None))).expect("created");
    let next = record(b"two", "s_1", Some(b"sealed-two"));
    let outcome = block_on(store.rotate_refresh(b"one", &next, T0 + 10, 30)).expect("store");
    assert!(
        matches!(&outcome, RotateOutcome::Rotated(s) if s.id == "s_1" && s.last_used_at == T0 + 10)
    );
    let used = block_on(store.refresh_record(b"one"))
        .expect("store")
        .expect("kept");
    assert_eq!(used.used_at, Some(T0 + 10));
    let third = record(b"three", "s_1", Some(b"sealed-three"));
    let outcome = block_on(store.rotate_refresh(b"one", &third, T0 + 40, 30)).expect("store");
    assert_eq!(
        outcome,
        RotateOutcome::Retried {
            session: block_on(store.session_by_id("s_1"))
                .expect("store")
                .expect("session"),
            successor_sealed: b"sealed-two".to_vec(),
        }
    );
    let outcome = block_on(store.rotate_refresh(b"one", &third, T0 + 41, 30)).expect("store");
    assert_eq!(
        outcome,
        RotateOutcome::Replayed {
            session_id: "s_1".into(),
            user_id: "u_1".into()
        }
    );
    let revoked = block_on(store.session_by_id("s_1"))
        .expect("store")
        .expect("session");
    assert_eq!(revoked.revoked_at, Some(T0 + 41));
    // The successor died with its session; unknown hashes are invalid.
    for hash in [b"two".as_slice(), b"nope".as_slice()] {
        let outcome = block_on(store.rotate_refresh(hash, &third, T0 + 42, 30)).expect("store");
        assert_eq!(outcome, RotateOutcome::Invalid);
    }
}

/// Expired tokens are invalid, and a zero grace turns every reuse into a replay.
pub(crate) fn expiry_and_zero_grace_contract<S: Store>(store: &S) {
    block_on(store.create_session(&session("s_2"), &record(b"a", "s_2", None))).expect("created");
    let late = block_on(store.rotate_refresh(b"a", &record(b"b", "s_2", None), T0 + 1_000, 0));
    assert_eq!(late.expect("store"), RotateOutcome::Invalid);
    block_on(store.create_session(&session("s_3"), &record(b"c", "s_3", None))).expect("created");
    let next = record(b"d", "s_3", Some(b"sealed-d"));
    block_on(store.rotate_refresh(b"c", &next, T0 + 1, 0)).expect("store");
    let again = block_on(store.rotate_refresh(b"c", &next, T0 + 1, 0)).expect("store");
    assert!(matches!(again, RotateOutcome::Replayed { .. }));
}

#[test]
fn memory_store_rotation() {
    rotation_contract(&MemoryStore::new());
    expiry_and_zero_grace_contract(&MemoryStore::new());
}

#[test]
fn concurrent_rotations_of_one_token_rotate_it_once() {
    let store = Arc::new(MemoryStore::new());
    block_on(store.create_session(&session("s_1"), &record(b"one", "s_1", None))).expect("created");
    let outcomes: Vec<RotateOutcome> = (0..8u8)
        .map(|i| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                let next = record(&[b'n', i], "s_1", Some(&[i]));
                block_on(store.rotate_refresh(b"one", &next, T0 + 1, 0)).expect("store")
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, RotateOutcome::Rotated(_)))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
}
