//! The PostgreSQL purge works in batches: more expired rows than one batch are all deleted,
//! live ones stay, and a row that a request holds is skipped rather than waited for. The
//! rows are made in SQL, as tens of thousands through the store would be slow. Each test
//! passes without doing anything when TESSERA_TEST_DATABASE_URL is unset.

use std::time::Duration;

use sqlx::{Connection, PgConnection};
use tessera_core::model::Timestamp;
use tessera_core::store::{MaintenanceStore, RevocationStore, SessionStore};
use tessera_store::{PgOptions, PgStore};

use crate::fixtures::{NOW, at, open_session, seed};
use crate::pgschema::{Schema, server_url};

/// Well over the store's batch size (5,000), and not a multiple of it.
const MANY: i64 = 12_345;
/// When the tests purge: everything made with an expiry at or before it is over.
const PURGE_AT: Timestamp = at(100);

/// A store on a fresh schema with user `u1`, client `c1` and the live session `s1` (token
/// `t1`), or `None` (skip) without a server.
async fn seeded() -> Option<(PgStore, Schema)> {
    let schema = Schema::create(&server_url()?).await;
    let options = PgOptions::default()
        .max_connections(2)
        .statement_timeout(Duration::from_secs(5));
    let store = PgStore::open(&schema.url(), options).await.unwrap();
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    Some((store, schema))
}

async fn exec(conn: &mut PgConnection, sql: &'static str, n: i64) {
    sqlx::query(sql)
        .bind(n)
        .bind(NOW.secs())
        .execute(&mut *conn)
        .await
        .unwrap();
}

async fn count(conn: &mut PgConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap()
}

/// `n` expired and 2 live rows in each table; sessions that are over carry two refresh
/// records each, themselves not yet expired. Answers how many rows are expired.
async fn fill(conn: &mut PgConnection, n: i64) -> i64 {
    // $1: how many, $2: NOW.
    exec(
        conn,
        "INSERT INTO revocations (jti, exp) SELECT 'gone' || i, $2 + (i % 100) \
         FROM generate_series(1, $1) i \
         UNION ALL SELECT 'kept' || i, $2 + 1000 FROM generate_series(1, 2) i",
        n,
    )
    .await;
    // Idle-expired records of the live session s1, and two live ones.
    exec(
        conn,
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at) \
         SELECT sha256(('old' || i)::bytea), 's1', $2 - 600, $2 + (i % 100) \
         FROM generate_series(1, $1) i \
         UNION ALL SELECT sha256(('new' || i)::bytea), 's1', $2, $2 + 600 \
         FROM generate_series(1, 2) i",
        n,
    )
    .await;
    // Sessions past their absolute expiry: n / 2 of them, two records each.
    exec(
        conn,
        "INSERT INTO sessions (id, user_id, client_id, scope, created_at, expires_at, \
         last_used_at) SELECT 'over' || i, 'u1', 'c1', 'orders:read', $2 - 3600, $2, $2 \
         FROM generate_series(1, $1 / 2) i",
        n,
    )
    .await;
    exec(
        conn,
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at) \
         SELECT sha256(('over' || i || '/' || k)::bytea), 'over' || i, $2, $2 + 600 \
         FROM generate_series(1, $1 / 2) i, generate_series(1, 2) k",
        n,
    )
    .await;
    // Failed-login counters (milliseconds).
    exec(
        conn,
        "INSERT INTO login_lockouts (account, failures, expires_at) \
         SELECT 'gone' || i, 1, $2 * 1000 FROM generate_series(1, $1) i \
         UNION ALL SELECT 'kept' || i, 1, ($2 + 1000) * 1000 FROM generate_series(1, 2) i",
        n,
    )
    .await;
    let sessions = n / 2;
    n + n + sessions + 2 * sessions + n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_more_than_a_batch_and_keeps_live_rows() {
    let Some((store, schema)) = seeded().await else {
        return;
    };
    let mut conn = schema.connect().await;
    let expired = fill(&mut conn, MANY).await;

    let deleted = store.purge_expired(PURGE_AT).await.unwrap();
    assert_eq!(i64::try_from(deleted).unwrap(), expired);

    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM revocations").await,
        2
    );
    // t1 (s1's first token, live until NOW + 600) and the two new ones.
    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM refresh_tokens").await,
        3
    );
    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM sessions WHERE id = 's1'").await,
        1
    );
    assert_eq!(count(&mut conn, "SELECT count(*) FROM sessions").await, 1);
    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM login_lockouts").await,
        2
    );
    assert!(store.refresh_record(b"t1").await.unwrap().is_some());
    assert!(store.is_revoked(&"kept1".into()).await.unwrap());
    assert_eq!(store.purge_expired(PURGE_AT).await.unwrap(), 0);
    conn.close().await.unwrap();
    store.close().await;
}

/// A request holds an expired record's row lock (a rotation in progress) longer than the
/// statement timeout: the purge neither waits nor fails, leaves that row, and takes it the
/// next time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_skips_a_row_a_request_holds() {
    let Some((store, schema)) = seeded().await else {
        return;
    };
    let mut conn = schema.connect().await;
    exec(
        &mut conn,
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at) \
         SELECT sha256(('old' || i)::bytea), 's1', $2 - 600, $2 \
         FROM generate_series(1, $1) i",
        MANY,
    )
    .await;
    let mut holder = schema.connect().await;
    let mut tx = holder.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM refresh_tokens WHERE hash = sha256('old7'::bytea) FOR UPDATE")
        .execute(&mut *tx)
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let deleted = store.purge_expired(PURGE_AT).await.unwrap();
    assert_eq!(i64::try_from(deleted).unwrap(), MANY - 1);
    assert!(started.elapsed() < Duration::from_secs(5), "did not wait");

    tx.rollback().await.unwrap();
    assert_eq!(store.purge_expired(PURGE_AT).await.unwrap(), 1);
    holder.close().await.unwrap();
    conn.close().await.unwrap();
    store.close().await;
}
