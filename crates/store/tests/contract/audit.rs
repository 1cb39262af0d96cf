//! The audit trail: events come back oldest first with rising ids, every filter narrows,
//! pages follow the cursor, concurrent appends lose nothing, and the purge keeps the
//! retention and the cap.

use std::net::IpAddr;
use std::sync::Arc;

use tessera_core::Store;
use tessera_core::model::{Actor, ClientId, EventKind, EventQuery, NewEvent, UnixMillis, UserId};

use crate::fixtures::{NOW, at};

fn ms(secs: i64) -> UnixMillis {
    at(secs).to_millis()
}

fn alice() -> UserId {
    UserId::new("u_alice")
}

async fn append<S: Store>(store: &S, event: NewEvent, secs: i64) -> i64 {
    store.append_event(&event, ms(secs)).await.unwrap()
}

pub async fn events_round_trip_oldest_first<S: Store>(store: S) {
    let ip: IpAddr = "2001:db8::7".parse().unwrap();
    let full = NewEvent::new(EventKind::LoginFailed)
        .user(&alice())
        .client(&ClientId::new("c_web"))
        .ip(Some(ip))
        .by(&Actor::Operator)
        .detail("wrong_password");
    let first = append(&store, full.clone(), 0).await;
    let second = append(&store, NewEvent::new(EventKind::KeysRotated), 1).await;
    assert!(second > first, "ids rise");
    let events = store.audit_events(&EventQuery::default()).await.unwrap();
    assert_eq!(events.len(), 2);
    let got = &events[0];
    assert_eq!(got.id, first);
    assert_eq!(got.kind, EventKind::LoginFailed);
    assert_eq!(got.at, ms(0));
    assert_eq!(got.user, Some(alice()));
    assert_eq!(got.client, Some(ClientId::new("c_web")));
    assert_eq!(got.ip, Some(ip));
    assert_eq!(got.actor, Some(Actor::Operator));
    assert_eq!(got.detail.as_deref(), Some("wrong_password"));
    let bare = &events[1];
    assert_eq!(
        (bare.kind, bare.user.clone(), bare.ip),
        (EventKind::KeysRotated, None, None)
    );
    assert_eq!(bare.actor, None);
}

pub async fn every_filter_narrows_and_pages_follow_the_cursor<S: Store>(store: S) {
    let bob = UserId::new("u_bob");
    let web = ClientId::new("c_web");
    append(
        &store,
        NewEvent::new(EventKind::LoginSucceeded)
            .user(&alice())
            .client(&web),
        0,
    )
    .await;
    append(&store, NewEvent::new(EventKind::LoginFailed).user(&bob), 10).await;
    append(&store, NewEvent::new(EventKind::Logout).user(&alice()), 20).await;
    append(
        &store,
        NewEvent::new(EventKind::UserCreated)
            .user(&bob)
            .by(&Actor::System),
        30,
    )
    .await;
    let kinds = |query: EventQuery| {
        let store = &store;
        async move {
            let events = store.audit_events(&query).await.unwrap();
            events.into_iter().map(|e| e.kind).collect::<Vec<_>>()
        }
    };
    let by_user = EventQuery {
        user: Some(alice()),
        ..EventQuery::default()
    };
    assert_eq!(
        kinds(by_user).await,
        [EventKind::LoginSucceeded, EventKind::Logout]
    );
    let by_client = EventQuery {
        client: Some(web),
        ..EventQuery::default()
    };
    assert_eq!(kinds(by_client).await, [EventKind::LoginSucceeded]);
    let by_kind = EventQuery {
        kinds: vec![EventKind::LoginFailed, EventKind::UserCreated],
        ..EventQuery::default()
    };
    assert_eq!(
        kinds(by_kind).await,
        [EventKind::LoginFailed, EventKind::UserCreated]
    );
    let by_time = EventQuery {
        since: Some(ms(10)),
        until: Some(ms(30)),
        ..EventQuery::default()
    };
    assert_eq!(
        kinds(by_time).await,
        [EventKind::LoginFailed, EventKind::Logout]
    );
    let nul = EventQuery {
        user: Some(UserId::new("u_\0")),
        ..EventQuery::default()
    };
    assert!(
        kinds(nul).await.is_empty(),
        "a NUL in a filter matches nothing"
    );
    let both = EventQuery {
        user: Some(bob),
        kinds: vec![EventKind::UserCreated],
        ..EventQuery::default()
    };
    assert_eq!(kinds(both).await, [EventKind::UserCreated]);

    let mut query = EventQuery {
        limit: 3,
        ..EventQuery::default()
    };
    let page = store.audit_events(&query).await.unwrap();
    assert_eq!(page.len(), 3);
    query.after = page[2].id;
    let rest = store.audit_events(&query).await.unwrap();
    assert_eq!(
        rest.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [EventKind::UserCreated]
    );
    query.after = rest[0].id;
    assert!(store.audit_events(&query).await.unwrap().is_empty());
}

pub async fn concurrent_appends_lose_nothing<S: Store>(store: S) {
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for n in 0..10 {
                let event =
                    NewEvent::new(EventKind::LoginSucceeded).detail(format!("{writer}/{n}"));
                store.append_event(&event, ms(n)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut seen = Vec::new();
    let mut query = EventQuery {
        limit: 7,
        ..EventQuery::default()
    };
    loop {
        let page = store.audit_events(&query).await.unwrap();
        let Some(last) = page.last() else { break };
        query.after = last.id;
        seen.extend(page.into_iter().map(|e| e.id));
    }
    assert_eq!(seen.len(), 80, "every append is read once");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "ids rise: {seen:?}");
}

pub async fn purge_keeps_the_retention_and_the_cap<S: Store>(store: S) {
    for secs in 0..10 {
        append(&store, NewEvent::new(EventKind::Logout), secs * 100).await;
    }
    // Older than 300 s after NOW: three events; at most two per batch.
    assert_eq!(store.purge_events(ms(300), 1_000, 2).await.unwrap(), 2);
    assert_eq!(store.purge_events(ms(300), 1_000, 2).await.unwrap(), 1);
    assert_eq!(store.purge_events(ms(300), 1_000, 2).await.unwrap(), 0);
    let left = store.audit_events(&EventQuery::default()).await.unwrap();
    assert_eq!(left.len(), 7);
    assert!(left.iter().all(|e| e.at >= ms(300)));
    // Keep the newest four.
    let mut purged = 0;
    loop {
        let rows = store.purge_events(NOW.to_millis(), 4, 2).await.unwrap();
        purged += rows;
        if rows == 0 {
            break;
        }
    }
    assert_eq!(purged, 3);
    let kept = store.audit_events(&EventQuery::default()).await.unwrap();
    assert_eq!(
        kept.iter().map(|e| e.at).collect::<Vec<_>>(),
        [600, 700, 800, 900].map(ms)
    );
}
