//! What only the PostgreSQL backend can show: several stores (instances) on one database,
//! migrations under a lock, and how a database that goes away reaches callers. Every test
//! but the first passes without doing anything when TESSERA_TEST_DATABASE_URL is unset.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use tessera_core::StoreError;
use tessera_core::model::{Jti, KeyState, RotateOutcome, TotpFactor};
use tessera_core::store::{
    AccountStore, FactorStore, KeyStore, MaintenanceStore, ReplayStore, RevocationStore,
    SessionStore,
};
use tessera_store::{PgOptions, PgStore};

use crate::fixtures::{NOW, at, chain, is_live, key, open_session, seed, successor};
use crate::pgschema::{Schema, URL_VAR, server_url};
use crate::relay::Relay;

fn options() -> PgOptions {
    PgOptions::default()
        .max_connections(4)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
}

/// A fresh schema, or `None` (skip) without a server.
async fn schema() -> Option<Schema> {
    Some(Schema::create(&server_url()?).await)
}

/// Fails when no server is configured, so that a run with `--include-ignored` cannot pass
/// without having run the PostgreSQL tests.
#[tokio::test]
#[ignore = "needs PostgreSQL: set TESSERA_TEST_DATABASE_URL"]
async fn server_is_configured() {
    let Some(schema) = schema().await else {
        panic!("{URL_VAR} is not set: the PostgreSQL tests did not run");
    };
    let store = PgStore::open(&schema.url(), options()).await.unwrap();
    store.ping().await.unwrap();
    store.close().await;
}

/// Two stores on one schema, as two instances would be: 16 requests present the same token
/// at once; one rotates it, the next sees a replay and ends the family, the rest find it over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_rotate_a_token_once() {
    let Some(schema) = schema().await else { return };
    let first = Arc::new(PgStore::open(&schema.url(), options()).await.unwrap());
    let second = Arc::new(PgStore::open(&schema.url(), options()).await.unwrap());
    seed(first.as_ref()).await;
    open_session(first.as_ref(), "s1", "u1", b"t0").await;
    let tasks: Vec<_> = (0..16u8)
        .map(|i| {
            let store = Arc::clone(if i % 2 == 0 { &first } else { &second });
            tokio::spawn(async move {
                let next = successor(&[b'n', i], "s1", at(1));
                store
                    .rotate_refresh(b"t0", &next, at(1), Duration::ZERO)
                    .await
            })
        })
        .collect();
    let (mut rotated, mut replayed, mut invalid) = (0, 0, 0);
    for task in tasks {
        match task.await.unwrap().unwrap() {
            RotateOutcome::Rotated(_) => rotated += 1,
            RotateOutcome::Replayed { .. } => replayed += 1,
            RotateOutcome::Invalid => invalid += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((rotated, replayed, invalid), (1, 1, 14));
    assert!(
        !is_live(second.as_ref(), "s1", at(1)).await,
        "family revoked"
    );
}

/// A DPoP proof accepted at one instance is refused at the other, and a proof sent to both
/// at once is accepted by exactly one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_accept_a_dpop_proof_once() {
    let Some(schema) = schema().await else { return };
    let first = Arc::new(PgStore::open(&schema.url(), options()).await.unwrap());
    let second = Arc::new(PgStore::open(&schema.url(), options()).await.unwrap());
    assert!(first.record_dpop_jti(b"seen", at(60), NOW).await.unwrap());
    assert!(
        !second
            .record_dpop_jti(b"seen", at(60), at(1))
            .await
            .unwrap()
    );
    for round in 0..5u8 {
        let start = Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8u8)
            .map(|i| {
                let store = Arc::clone(if i % 2 == 0 { &first } else { &second });
                let start = Arc::clone(&start);
                tokio::spawn(async move {
                    store.ping().await.unwrap();
                    start.wait().await;
                    store.record_dpop_jti(&[b'r', round], at(60), NOW).await
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            won += usize::from(task.await.unwrap().unwrap());
        }
        assert_eq!(won, 1, "round {round}: one instance accepts the proof");
    }
}

/// A TOTP code accepted at one instance is refused at the other, a code sent to both at once
/// is accepted by exactly one, and a recovery code spent at one is spent for both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_accept_a_totp_code_once() {
    let Some(schema) = schema().await else { return };
    let first = Arc::new(PgStore::open(&schema.url(), options()).await.unwrap());
    let second = Arc::new(PgStore::open(&schema.url(), options()).await.unwrap());
    seed(first.as_ref()).await;
    let user = "u1".into();
    let factor = TotpFactor::pending("u1".into(), b"sealed".to_vec(), NOW);
    assert!(first.begin_totp(&factor).await.unwrap());
    let codes = [b"mac:a".to_vec(), b"mac:b".to_vec()];
    assert!(second.confirm_totp(&user, 100, NOW, &codes).await.unwrap());
    assert!(
        !first.begin_totp(&factor).await.unwrap(),
        "confirmed at the other"
    );
    assert!(first.use_totp_step(&user, 101, at(30)).await.unwrap());
    assert!(!second.use_totp_step(&user, 101, at(31)).await.unwrap());
    for round in 2..7u64 {
        let start = Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8u8)
            .map(|i| {
                let store = Arc::clone(if i % 2 == 0 { &first } else { &second });
                let (start, user) = (Arc::clone(&start), user.clone());
                tokio::spawn(async move {
                    store.ping().await.unwrap();
                    start.wait().await;
                    store.use_totp_step(&user, 100 + round, at(60)).await
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            won += usize::from(task.await.unwrap().unwrap());
        }
        assert_eq!(won, 1, "round {round}: one instance accepts the code");
    }
    assert!(first.use_recovery_code(&user, b"mac:a").await.unwrap());
    assert!(!second.use_recovery_code(&user, b"mac:a").await.unwrap());
    assert_eq!(second.recovery_codes_left(&user).await.unwrap(), 1);
}

/// Two instances planning a rotation at once from the same view: one new key, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_create_one_successor_key() {
    let Some(schema) = schema().await else { return };
    let first = Arc::new(PgStore::open(&schema.url(), options()).await.unwrap());
    let second = Arc::new(PgStore::open(&schema.url(), options()).await.unwrap());
    first
        .insert_key(&key("k0", KeyState::Active, NOW))
        .await
        .unwrap();
    // Every task has its connection and waits at the barrier first, so that the compares
    // really overlap.
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let store = Arc::clone(if i % 2 == 0 { &first } else { &second });
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                store.ping().await.unwrap();
                let record = key(&format!("k{}", i + 1), KeyState::Published, at(10));
                start.wait().await;
                store.insert_key_after(&record, Some(&"k0".into())).await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(won, 1, "exactly one instance creates the successor");
    assert_eq!(second.all_keys().await.unwrap().len(), 2);
}

/// A caller dropped while its transaction starts (a client that hangs up) must not leave the
/// pooled connection inside that transaction: with one connection in the pool, every later
/// write must be committed and seen from another instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_leaves_no_transaction_behind() {
    let Some(schema) = schema().await else { return };
    let store = PgStore::open(&schema.url(), options().max_connections(1))
        .await
        .unwrap();
    let other = PgStore::open(&schema.url(), options()).await.unwrap();
    for round in 0..60u64 {
        // Dropped after 0 to ~1 ms: somewhere between acquiring, BEGIN and COMMIT.
        let gone: Jti = format!("gone-{round}").into();
        let abandoned = store.revoke_jti(&gone, at(3600));
        let _ = tokio::time::timeout(Duration::from_micros(round * 17), abandoned).await;
        // A write outside any transaction of ours: inside a stale one it would never commit.
        let kid = format!("kept-{round}");
        store
            .insert_key(&key(&kid, KeyState::Published, NOW))
            .await
            .unwrap();
        let seen = other.all_keys().await.unwrap();
        assert!(
            seen.iter().any(|k| k.kid == *kid),
            "round {round}: an acknowledged write is not visible to another instance"
        );
    }
}

/// A revocation at one instance wakes the other's feed at once (NOTIFY), and one in another
/// schema of the same database does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_at_one_instance_hints_the_other() {
    let Some(schema) = schema().await else { return };
    let Some(elsewhere) = self::schema().await else {
        return;
    };
    let first = PgStore::open(&schema.url(), options()).await.unwrap();
    let second = PgStore::open(&schema.url(), options()).await.unwrap();
    let stranger = PgStore::open(&elsewhere.url(), options()).await.unwrap();
    let wait = |limit_ms: u64| {
        let second = second.clone();
        tokio::spawn(async move {
            tokio::time::timeout(Duration::from_millis(limit_ms), second.revocations_hint())
                .await
                .is_ok()
        })
    };
    // The listener starts with the first wait; a revocation before it listens is covered by
    // polling, not by the hint, so the first rounds may pass unheard.
    let mut heard = false;
    for round in 0..20 {
        let waiting = wait(500);
        first
            .revoke_jti(&format!("warm-{round}").into(), at(3600))
            .await
            .unwrap();
        if waiting.await.unwrap() {
            heard = true;
            break;
        }
    }
    assert!(heard, "the other instance never heard a revocation");
    // A late notification of an earlier round would leave a wake-up stored: take it now.
    let _ = wait(300).await;
    let waiting = wait(700);
    tokio::time::sleep(Duration::from_millis(100)).await;
    stranger
        .revoke_jti(&"other-schema".into(), at(3600))
        .await
        .unwrap();
    assert!(
        !waiting.await.unwrap(),
        "woken by another schema's revocation"
    );
    let waiting = wait(2000);
    tokio::time::sleep(Duration::from_millis(100)).await;
    first.revoke_jti(&"late".into(), at(3600)).await.unwrap();
    assert!(
        waiting.await.unwrap(),
        "a revocation after the listener is up is heard"
    );
}

/// Instances starting together on an empty schema: each migration runs once, every open
/// succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_migrate_once() {
    let Some(schema) = schema().await else { return };
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = schema.url();
            tokio::spawn(async move { PgStore::open(&url, options()).await })
        })
        .collect();
    for open in opens {
        open.await.unwrap().unwrap();
    }
    let mut conn = schema.connect().await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 8);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn pending_migrations_are_listed_then_applied_once() {
    let Some(schema) = schema().await else { return };
    let url = schema.url();
    let pending = PgStore::pending_migrations(&url, &options()).await.unwrap();
    let listed: Vec<_> = pending
        .iter()
        .map(|m| (m.version, m.description.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (1, "initial"),
            (2, "login lockouts"),
            (3, "browser sign in"),
            (4, "dpop"),
            (5, "audit trail"),
            (6, "webhooks"),
            (7, "factors"),
            (8, "device grant"),
        ]
    );
    let mut conn = schema.connect().await;
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(table, None, "listing wrote nothing");

    assert_eq!(PgStore::migrate(&url, &options()).await.unwrap(), pending);
    assert!(PgStore::migrate(&url, &options()).await.unwrap().is_empty());
    assert!(
        PgStore::pending_migrations(&url, &options())
            .await
            .unwrap()
            .is_empty()
    );
    conn.close().await.unwrap();
}

#[tokio::test]
async fn schema_from_a_newer_version_is_refused() {
    let Some(schema) = schema().await else { return };
    PgStore::open(&schema.url(), options())
        .await
        .unwrap()
        .close()
        .await;
    let mut conn = schema.connect().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', true, '\\x00', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let reopened = PgStore::open(&schema.url(), options()).await;
    assert!(
        matches!(reopened, Err(StoreError::Corrupt(_))),
        "{reopened:?}"
    );
    let pending = PgStore::pending_migrations(&schema.url(), &options()).await;
    assert!(
        matches!(pending, Err(StoreError::Corrupt(_))),
        "{pending:?}"
    );
    conn.close().await.unwrap();
}

#[tokio::test]
async fn undecodable_row_is_corrupt() {
    let Some(schema) = schema().await else { return };
    let store = PgStore::open(&schema.url(), options()).await.unwrap();
    seed(&store).await;
    let mut conn = schema.connect().await;
    sqlx::query("UPDATE users SET roles = 'not json'")
        .execute(&mut conn)
        .await
        .unwrap();
    let read = store.user_by_id(&"u1".into()).await;
    assert!(matches!(read, Err(StoreError::Corrupt(_))), "{read:?}");
    conn.close().await.unwrap();
}

/// No server on the port: `Unavailable`, quickly. Needs no PostgreSQL.
#[tokio::test]
async fn refused_connection_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("postgres://tessera:secret-pw@127.0.0.1:{port}/tessera");
    let opened = PgStore::open(&url, options()).await;
    match opened {
        Err(err @ StoreError::Unavailable(_)) => {
            let logged = format!("{err:?} {}", chain(&err));
            assert!(!logged.contains("secret-pw"), "{logged}");
        }
        other => panic!("{other:?}"),
    }
}

/// A server that accepts but never answers: `Unavailable` after the connect timeout.
/// Needs no PostgreSQL.
#[tokio::test]
async fn silent_server_is_unavailable_after_the_connect_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "postgres://tessera@{}/tessera",
        listener.local_addr().unwrap()
    );
    let options = options().connect_timeout(Duration::from_millis(300));
    let opened = tokio::time::timeout(Duration::from_secs(10), PgStore::open(&url, options))
        .await
        .expect("open gives up by itself");
    assert!(
        matches!(opened, Err(StoreError::Unavailable(_))),
        "{opened:?}"
    );
    drop(listener);
}

/// The database goes away under an open store: calls fail with `Unavailable` (never a
/// half-done write), and succeed again once it is back, with no new store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_going_away_is_unavailable_then_recovers() {
    let Some(schema) = schema().await else { return };
    let mut relay = Relay::start(&schema.server_addr()).await;
    let options = options().acquire_timeout(Duration::from_millis(500));
    let store = PgStore::open(&schema.url_through(relay.addr()), options)
        .await
        .unwrap();
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t0").await;

    relay.cut();
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
    let next = successor(b"t1", "s1", at(1));
    let during = store
        .rotate_refresh(b"t0", &next, at(1), Duration::ZERO)
        .await;
    assert!(
        matches!(during, Err(StoreError::Unavailable(_))),
        "{during:?}"
    );

    relay.restore().await;
    store.ping().await.unwrap();
    let after = store
        .rotate_refresh(b"t0", &next, at(1), Duration::ZERO)
        .await
        .unwrap();
    assert!(matches!(after, RotateOutcome::Rotated(_)), "{after:?}");
    store.close().await;
}

/// Another connection holds the token's row lock past the statement timeout: the rotation
/// gives up with `Unavailable` and changes nothing; once the lock goes, it goes through.
#[tokio::test]
async fn lock_wait_ends_at_the_statement_timeout() {
    let Some(schema) = schema().await else { return };
    let options = options().statement_timeout(Duration::from_millis(300));
    let store = PgStore::open(&schema.url(), options).await.unwrap();
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t0").await;
    let mut other = schema.connect().await;
    let mut tx = other.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM refresh_tokens WHERE hash = 't0'::bytea FOR UPDATE")
        .execute(&mut *tx)
        .await
        .unwrap();

    let next = successor(b"t1", "s1", at(1));
    let blocked = store
        .rotate_refresh(b"t0", &next, at(1), Duration::ZERO)
        .await;
    assert!(
        matches!(blocked, Err(StoreError::Unavailable(_))),
        "{blocked:?}"
    );
    assert_eq!(store.refresh_record(b"t1").await.unwrap(), None);

    tx.rollback().await.unwrap();
    let after = store
        .rotate_refresh(b"t0", &next, at(1), Duration::ZERO)
        .await
        .unwrap();
    assert!(matches!(after, RotateOutcome::Rotated(_)), "{after:?}");
    other.close().await.unwrap();
}
