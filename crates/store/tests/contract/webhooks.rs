//! Security-event receivers: created and listed, claimed by one deliverer at a time under a
//! lease, updated only from the cursor the deliverer read, and deleted.

use std::sync::Arc;

use tessera_core::Store;
use tessera_core::model::{EventKind, UnixMillis, Webhook, WebhookId};

use crate::fixtures::NOW;

fn ms(offset: i64) -> UnixMillis {
    UnixMillis::from_millis(NOW.to_millis().millis() + offset)
}

fn webhook(id: &str, due: i64) -> Webhook {
    Webhook {
        id: WebhookId::new(id),
        url: format!("https://receiver.example/{id}"),
        kinds: vec![EventKind::LoginFailed, EventKind::Logout],
        created_at: NOW,
        cursor: 7,
        attempts: 0,
        next_attempt_at: ms(due),
        last_error: None,
        dead_letters: Vec::new(),
    }
}

pub async fn webhooks_round_trip_and_delete<S: Store>(store: S) {
    store.create_webhook(&webhook("wh_a", 0)).await.unwrap();
    store.create_webhook(&webhook("wh_b", 0)).await.unwrap();
    assert!(
        store.create_webhook(&webhook("wh_a", 0)).await.is_err(),
        "the same id"
    );
    let all = store.webhooks().await.unwrap();
    assert_eq!(all, vec![webhook("wh_a", 0), webhook("wh_b", 0)]);
    assert!(store.delete_webhook(&WebhookId::new("wh_a")).await.unwrap());
    assert!(!store.delete_webhook(&WebhookId::new("wh_a")).await.unwrap());
    assert_eq!(store.webhooks().await.unwrap().len(), 1);
}

pub async fn a_claim_leases_due_receivers_until_they_are_updated<S: Store>(store: S) {
    store.create_webhook(&webhook("wh_now", 0)).await.unwrap();
    store
        .create_webhook(&webhook("wh_later", 5_000))
        .await
        .unwrap();
    let claimed = store.claim_webhooks(ms(0), ms(60_000), 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(),
        ["wh_now"]
    );
    assert!(
        store
            .claim_webhooks(ms(1), ms(60_000), 10)
            .await
            .unwrap()
            .is_empty(),
        "leased, and the other not due"
    );
    // The deliverer moves it on; the lease ends with the update.
    let mut moved = claimed[0].clone();
    moved.cursor = 9;
    moved.attempts = 2;
    moved.last_error = Some("HTTP 503".into());
    moved.dead_letters = vec![8];
    assert!(store.update_webhook(&moved, 7, None).await.unwrap());
    assert!(
        !store.update_webhook(&moved, 7, None).await.unwrap(),
        "the cursor moved on"
    );
    let again = store.claim_webhooks(ms(2), ms(60_000), 10).await.unwrap();
    assert_eq!(again, vec![moved.clone()]);
    // An update may keep the lease: nobody else claims it meanwhile.
    moved.cursor = 10;
    assert!(
        store
            .update_webhook(&moved, 9, Some(ms(60_000)))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_webhooks(ms(3), ms(60_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A lease that ran out lets another deliverer take over.
    let later = store
        .claim_webhooks(ms(60_000), ms(120_000), 10)
        .await
        .unwrap();
    let mut ids: Vec<&str> = later.iter().map(|w| w.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["wh_later", "wh_now"]);
    assert!(
        !store
            .update_webhook(&webhook("wh_gone", 0), 7, None)
            .await
            .unwrap()
    );
}

pub async fn concurrent_webhook_claims_are_disjoint<S: Store>(store: S) {
    for n in 0..12 {
        store
            .create_webhook(&webhook(&format!("wh_{n:02}"), 0))
            .await
            .unwrap();
    }
    let store = Arc::new(store);
    let claimers: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.claim_webhooks(ms(0), ms(60_000), 5).await.unwrap() })
        })
        .collect();
    let mut ids = Vec::new();
    for claimer in claimers {
        ids.extend(claimer.await.unwrap().into_iter().map(|w| w.id));
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "no receiver claimed twice");
    assert_eq!(count, 12, "every due receiver claimed once");
}

pub async fn the_latest_event_id_follows_the_trail<S: Store>(store: S) {
    use tessera_core::model::NewEvent;
    assert_eq!(store.latest_event_id().await.unwrap(), 0);
    let first = store
        .append_event(&NewEvent::new(EventKind::Logout), ms(0))
        .await
        .unwrap();
    let second = store
        .append_event(&NewEvent::new(EventKind::Logout), ms(1))
        .await
        .unwrap();
    assert!(second > first);
    assert_eq!(store.latest_event_id().await.unwrap(), second);
}
