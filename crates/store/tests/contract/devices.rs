//! Device authorization requests (RFC 8628): a user code is unique among live requests; a
//! pending request is decided once, before it expires; a poll answers the request as it
//! was before it and records itself; an approved request is redeemed once, whatever the
//! concurrency; the purge keeps a request an hour past its expiry; deleting the client, or
//! the user who approved, takes the request.

use std::sync::Arc;

use tessera_core::model::{DeviceApproval, DeviceAuthorization, DeviceState, Timestamp, UserId};
use tessera_core::scope::Scope;
use tessera_core::{Store, StoreError};

use crate::fixtures::{NOW, at, client, is_conflict, seed, user};

/// The user code of most tests (normalized: eight letters without vowels).
const CODE: &str = "BCDFGHJK";

/// A pending request of client `c1` for device code digest `hash` and user code `code`,
/// made at `created`, living ten minutes, polled every five seconds at most.
fn request(hash: &[u8], code: &str, created: Timestamp) -> DeviceAuthorization {
    request_of(hash, code, "c1", created)
}

/// As [`request`], for client `client`.
fn request_of(hash: &[u8], code: &str, client: &str, created: Timestamp) -> DeviceAuthorization {
    DeviceAuthorization::pending(
        hash.to_vec(),
        code.into(),
        client.into(),
        Scope::parse("openid orders:read").unwrap(),
        created,
        created.plus_secs(600),
        5,
    )
}

/// User `user`'s approval, signed in with a password and a second factor.
fn approval(user: &str) -> DeviceApproval {
    DeviceApproval {
        user_id: UserId::from(user),
        auth_time: at(-30),
        amr: vec!["pwd".into(), "otp".into()],
        acr: Some("urn:tessera:acr:2fa".into()),
    }
}

/// User `u1`, client `c1`, and request `d1` (user code [`CODE`]) made at [`NOW`].
async fn started<S: Store>(store: &S) -> DeviceAuthorization {
    seed(store).await;
    let made = request(b"d1", CODE, NOW);
    store.create_device_authorization(&made).await.unwrap();
    made
}

/// The request `hash` as stored, read by a poll (which also records itself at `now`).
async fn polled<S: Store>(store: &S, hash: &[u8], now: Timestamp) -> Option<DeviceAuthorization> {
    store.poll_device(hash, now).await.unwrap()
}

pub async fn a_request_is_found_by_its_user_code_while_pending<S: Store>(store: S) {
    let made = started(&store).await;
    assert_eq!(
        store
            .pending_device_by_user_code(CODE, at(1))
            .await
            .unwrap(),
        Some(made.clone())
    );
    assert_eq!(
        store
            .pending_device_by_user_code(CODE, at(599))
            .await
            .unwrap(),
        Some(made)
    );
    assert_eq!(
        store
            .pending_device_by_user_code(CODE, at(600))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store
            .pending_device_by_user_code("BCDFGHJL", at(1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .pending_device_by_user_code("BCDFGHJK\0", at(1))
            .await
            .unwrap(),
        None
    );
}

/// What `create_device_authorization` is given beyond the request itself is not stored: a
/// request always starts pending, unpolled and undecided.
pub async fn a_request_is_stored_pending_whatever_it_says<S: Store>(store: S) {
    seed(&store).await;
    let mut claimed = request(b"d1", CODE, NOW);
    claimed.state = DeviceState::Approved;
    claimed.approval = Some(approval("u1"));
    claimed.last_polled_at = Some(NOW);
    store.create_device_authorization(&claimed).await.unwrap();
    assert_eq!(
        polled(&store, b"d1", at(1)).await,
        Some(request(b"d1", CODE, NOW))
    );
    assert!(!store.redeem_device(b"d1").await.unwrap());
}

pub async fn a_live_user_code_conflicts<S: Store>(store: S) {
    started(&store).await;
    match store
        .create_device_authorization(&request(b"d2", CODE, at(10)))
        .await
    {
        Err(StoreError::Conflict(what)) => assert!(what.contains(CODE), "{what}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(polled(&store, b"d2", at(11)).await, None, "nothing written");
    // The same device code digest is taken too.
    assert!(is_conflict(
        store
            .create_device_authorization(&request(b"d1", "BCDFGHJL", at(10)))
            .await
    ));
    assert_eq!(
        store
            .pending_device_by_user_code("BCDFGHJL", at(11))
            .await
            .unwrap(),
        None
    );
}

pub async fn a_user_code_is_free_again_once_expired<S: Store>(store: S) {
    started(&store).await;
    assert!(is_conflict(
        store
            .create_device_authorization(&request(b"d2", CODE, at(599)))
            .await
    ));
    let again = request(b"d2", CODE, at(600));
    store.create_device_authorization(&again).await.unwrap();
    assert_eq!(
        store
            .pending_device_by_user_code(CODE, at(601))
            .await
            .unwrap(),
        Some(again)
    );
    // Its approval is the new request's, not the expired one's.
    assert!(
        store
            .decide_device(CODE, Some(&approval("u1")), at(602))
            .await
            .unwrap()
    );
    assert_eq!(
        polled(&store, b"d1", at(603)).await.unwrap().state,
        DeviceState::Pending
    );
    assert_eq!(
        polled(&store, b"d2", at(603)).await.unwrap().state,
        DeviceState::Approved
    );
}

pub async fn an_approval_is_decided_once<S: Store>(store: S) {
    started(&store).await;
    assert!(
        store
            .decide_device(CODE, Some(&approval("u1")), at(10))
            .await
            .unwrap()
    );
    assert!(
        !store
            .decide_device(CODE, Some(&approval("u1")), at(11))
            .await
            .unwrap()
    );
    assert!(!store.decide_device(CODE, None, at(12)).await.unwrap());
    assert_eq!(
        store
            .pending_device_by_user_code(CODE, at(13))
            .await
            .unwrap(),
        None
    );
    let decided = polled(&store, b"d1", at(14)).await.unwrap();
    assert_eq!(decided.state, DeviceState::Approved);
    assert_eq!(decided.approval, Some(approval("u1")));
}

pub async fn a_denial_is_decided_once<S: Store>(store: S) {
    started(&store).await;
    assert!(store.decide_device(CODE, None, at(10)).await.unwrap());
    assert!(
        !store
            .decide_device(CODE, Some(&approval("u1")), at(11))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .pending_device_by_user_code(CODE, at(12))
            .await
            .unwrap(),
        None
    );
    let denied = polled(&store, b"d1", at(13)).await.unwrap();
    assert_eq!(denied.state, DeviceState::Denied);
    assert_eq!(denied.approval, None);
    assert!(!store.redeem_device(b"d1").await.unwrap());
}

pub async fn an_expired_request_cannot_be_decided<S: Store>(store: S) {
    started(&store).await;
    assert!(
        !store
            .decide_device(CODE, Some(&approval("u1")), at(600))
            .await
            .unwrap()
    );
    assert!(!store.decide_device(CODE, None, at(601)).await.unwrap());
    assert!(
        !store.decide_device("BCDFGHJL", None, at(1)).await.unwrap(),
        "unknown code"
    );
    assert!(!store.decide_device("BCDF\0", None, at(1)).await.unwrap());
    let stored = polled(&store, b"d1", at(602)).await.unwrap();
    assert_eq!(stored.state, DeviceState::Pending);
    assert_eq!(stored.approval, None);
}

/// The approval's fields come back as given, an empty `amr` and no `acr` included.
pub async fn approval_fields_round_trip<S: Store>(store: S) {
    started(&store).await;
    store.create_user(&user("u2", "bob")).await.unwrap();
    store
        .create_device_authorization(&request(b"d2", "BCDFGHJL", NOW))
        .await
        .unwrap();
    let bare = DeviceApproval {
        user_id: "u2".into(),
        auth_time: at(-7),
        amr: Vec::new(),
        acr: None,
    };
    assert!(
        store
            .decide_device(CODE, Some(&approval("u1")), at(1))
            .await
            .unwrap()
    );
    assert!(
        store
            .decide_device("BCDFGHJL", Some(&bare), at(1))
            .await
            .unwrap()
    );
    let mut full = request(b"d1", CODE, NOW);
    full.state = DeviceState::Approved;
    full.approval = Some(approval("u1"));
    assert_eq!(polled(&store, b"d1", at(2)).await, Some(full));
    let mut plain = request(b"d2", "BCDFGHJL", NOW);
    plain.state = DeviceState::Approved;
    plain.approval = Some(bare);
    assert_eq!(polled(&store, b"d2", at(2)).await, Some(plain));
}

pub async fn an_unknown_client_or_user_is_not_found<S: Store>(store: S) {
    started(&store).await;
    assert_eq!(
        store
            .create_device_authorization(&request_of(b"d2", "BCDFGHJL", "nope", NOW))
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(polled(&store, b"d2", at(1)).await, None);
    assert_eq!(
        store
            .decide_device(CODE, Some(&approval("nobody")), at(1))
            .await,
        Err(StoreError::NotFound)
    );
    assert!(
        store
            .pending_device_by_user_code(CODE, at(2))
            .await
            .unwrap()
            .is_some(),
        "still pending"
    );
}

pub async fn a_poll_answers_the_request_as_it_was_before<S: Store>(store: S) {
    let made = started(&store).await;
    assert_eq!(polled(&store, b"d1", at(5)).await, Some(made.clone()));
    assert_eq!(
        polled(&store, b"d1", at(10)).await.unwrap().last_polled_at,
        Some(at(5))
    );
    assert_eq!(
        polled(&store, b"d1", at(20)).await.unwrap().last_polled_at,
        Some(at(10))
    );
    assert_eq!(polled(&store, b"unknown", at(21)).await, None);
    // Expired, it is still answered (the caller tells the device so), and still recorded.
    let late = polled(&store, b"d1", at(4_000)).await.unwrap();
    assert_eq!(late.last_polled_at, Some(at(20)));
    assert_eq!(late.expires_at, made.expires_at);
    assert_eq!(
        polled(&store, b"d1", at(4_001))
            .await
            .unwrap()
            .last_polled_at,
        Some(at(4_000))
    );
}

/// Polls at once (a device in a loop, a retried request): each sees the poll before it, so
/// exactly one sees none.
pub async fn concurrent_polls_each_see_the_one_before<S: Store>(store: S) {
    started(&store).await;
    let store = Arc::new(store);
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                store.poll_device(b"d1", at(10)).await
            })
        })
        .collect();
    let mut first = 0;
    for task in tasks {
        let seen = task.await.unwrap().unwrap().unwrap();
        match seen.last_polled_at {
            None => first += 1,
            Some(last) => assert_eq!(last, at(10)),
        }
    }
    assert_eq!(first, 1);
}

pub async fn slow_downs_add_up<S: Store>(store: S) {
    started(&store).await;
    store.slow_device_down(b"d1", 5).await.unwrap();
    store.slow_device_down(b"d1", 5).await.unwrap();
    assert_eq!(
        polled(&store, b"d1", at(1)).await.unwrap().interval_secs,
        15
    );
    store.slow_device_down(b"unknown", 5).await.unwrap();
    assert_eq!(polled(&store, b"unknown", at(2)).await, None);
}

pub async fn a_request_is_redeemed_once_after_approval<S: Store>(store: S) {
    started(&store).await;
    assert!(!store.redeem_device(b"d1").await.unwrap(), "pending");
    assert!(!store.redeem_device(b"unknown").await.unwrap());
    assert!(
        store
            .decide_device(CODE, Some(&approval("u1")), at(10))
            .await
            .unwrap()
    );
    assert!(store.redeem_device(b"d1").await.unwrap());
    assert!(!store.redeem_device(b"d1").await.unwrap());
    let redeemed = polled(&store, b"d1", at(11)).await.unwrap();
    assert_eq!(redeemed.state, DeviceState::Redeemed);
    assert_eq!(redeemed.approval, Some(approval("u1")), "kept");
    assert!(!store.decide_device(CODE, None, at(12)).await.unwrap());
}

/// The device polling from several places at once once the user approved: one redemption.
pub async fn concurrent_redeems_have_one_winner<S: Store>(store: S) {
    started(&store).await;
    assert!(
        store
            .decide_device(CODE, Some(&approval("u1")), at(10))
            .await
            .unwrap()
    );
    let store = Arc::new(store);
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                store.redeem_device(b"d1").await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(won, 1);
}

/// Creators drawing the same user code at once: one gets it, the others hear a conflict.
pub async fn concurrent_creators_of_one_user_code_have_one_winner<S: Store>(store: S) {
    seed(&store).await;
    let store = Arc::new(store);
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            tokio::spawn(async move {
                let made = request(&[b'd', i], CODE, NOW);
                start.wait().await;
                store.create_device_authorization(&made).await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert!(
        store
            .pending_device_by_user_code(CODE, at(1))
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn purge_keeps_a_request_an_hour_past_its_expiry<S: Store>(store: S) {
    started(&store).await;
    // Expires at NOW + 600, and NOW + 900.
    store
        .create_device_authorization(&request(b"d2", "BCDFGHJL", at(300)))
        .await
        .unwrap();
    assert_eq!(store.purge_expired(at(4_199)).await.unwrap(), 0);
    assert!(polled(&store, b"d1", at(4_199)).await.is_some());
    assert_eq!(store.purge_expired(at(4_200)).await.unwrap(), 1);
    assert_eq!(polled(&store, b"d1", at(4_200)).await, None);
    assert!(
        polled(&store, b"d2", at(4_200)).await.is_some(),
        "within the hour"
    );
    assert_eq!(store.purge_expired(at(4_500)).await.unwrap(), 1);
    assert_eq!(polled(&store, b"d2", at(4_500)).await, None);
}

pub async fn deleting_the_client_removes_its_requests<S: Store>(store: S) {
    started(&store).await;
    store.create_client(&client("c2")).await.unwrap();
    store
        .create_device_authorization(&request_of(b"d2", "BCDFGHJL", "c2", NOW))
        .await
        .unwrap();
    store.delete_client(&"c1".into()).await.unwrap();
    assert_eq!(polled(&store, b"d1", at(1)).await, None);
    assert_eq!(
        store
            .pending_device_by_user_code(CODE, at(1))
            .await
            .unwrap(),
        None
    );
    assert!(polled(&store, b"d2", at(1)).await.is_some());
}

pub async fn deleting_the_user_removes_the_requests_they_approved<S: Store>(store: S) {
    started(&store).await;
    store.create_user(&user("u2", "bob")).await.unwrap();
    for (hash, code) in [(b"d2", "BCDFGHJL"), (b"d3", "BCDFGHJM")] {
        store
            .create_device_authorization(&request(hash, code, NOW))
            .await
            .unwrap();
    }
    assert!(
        store
            .decide_device(CODE, Some(&approval("u1")), at(1))
            .await
            .unwrap()
    );
    assert!(
        store
            .decide_device("BCDFGHJL", Some(&approval("u2")), at(1))
            .await
            .unwrap()
    );
    store.delete_user(&"u1".into()).await.unwrap();
    assert_eq!(polled(&store, b"d1", at(2)).await, None);
    assert_eq!(
        polled(&store, b"d2", at(2)).await.unwrap().state,
        DeviceState::Approved
    );
    assert!(
        store
            .pending_device_by_user_code("BCDFGHJM", at(3))
            .await
            .unwrap()
            .is_some(),
        "an undecided request has no user yet"
    );
}
