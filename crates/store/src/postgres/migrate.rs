//! The PostgreSQL schema: embedded migrations, applied on one dedicated connection while it
//! holds an advisory lock, so that instances starting together apply each migration once.

use std::future::Future;
use std::time::Duration;

use sqlx::migrate::{Migrate, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use tessera_core::StoreError;

use crate::error::{StoreResultExt, from_migrate};
use crate::schema::{self, Applied, Migration};

/// The lock key: one per schema, so that deployments in different schemas of one database
/// do not wait for each other.
const LOCK_KEY: &str = "hashtextextended('tessera.migrate.' || coalesce(current_schema(), ''), 0)";

/// The embedded migrations.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// sqlx's bookkeeping table, in the schema the tables go to.
const TABLE: &str = "_sqlx_migrations";

/// Applies what is pending under the lock; answers what this call applied.
pub(super) async fn run(
    connect: &PgConnectOptions,
    timeout: Duration,
) -> Result<Vec<Migration>, StoreError> {
    let mut conn = connect_within(connect, timeout).await?;
    let result = apply_locked(&mut conn).await;
    // Closing ends the session, which releases the lock even if unlocking failed.
    let _closed = conn.close().await;
    result
}

/// The migrations not yet applied, read without writing anything.
pub(super) async fn pending(
    connect: &PgConnectOptions,
    timeout: Duration,
) -> Result<Vec<Migration>, StoreError> {
    let mut conn = connect_within(connect, timeout).await?;
    let result = pending_on(&mut conn).await;
    let _closed = conn.close().await;
    result
}

async fn apply_locked(conn: &mut PgConnection) -> Result<Vec<Migration>, StoreError> {
    let lock = format!("SELECT pg_advisory_lock({LOCK_KEY})");
    sqlx::query(sqlx::AssertSqlSafe(lock))
        .execute(&mut *conn)
        .await
        .or_store("migration lock")?;
    let applied = apply(conn).await;
    let unlock = format!("SELECT pg_advisory_unlock({LOCK_KEY})");
    sqlx::query(sqlx::AssertSqlSafe(unlock))
        .execute(&mut *conn)
        .await
        .or_store("migration lock")?;
    applied
}

/// Applies each pending migration in its own transaction (sqlx records it in the same one).
async fn apply(conn: &mut PgConnection) -> Result<Vec<Migration>, StoreError> {
    let pending = pending_on(conn).await?;
    if pending.is_empty() {
        return Ok(pending);
    }
    conn.ensure_migrations_table(TABLE)
        .await
        .map_err(from_migrate)?;
    for migration in MIGRATOR.iter() {
        if pending.iter().any(|p| p.version == migration.version) {
            conn.apply(TABLE, migration).await.map_err(from_migrate)?;
        }
    }
    Ok(pending)
}

async fn pending_on(conn: &mut PgConnection) -> Result<Vec<Migration>, StoreError> {
    let applied = applied(conn).await?;
    schema::pending(&MIGRATOR, &applied)
}

/// The rows of sqlx's bookkeeping table, or none when it does not exist yet.
async fn applied(conn: &mut PgConnection) -> Result<Vec<Applied>, StoreError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .or_store("schema")?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, bool, Vec<u8>)> =
        sqlx::query_as("SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .or_store("schema")?;
    Ok(rows.into_iter().map(Applied::from).collect())
}

/// One connection, or `Unavailable` once `timeout` has passed.
async fn connect_within(
    connect: &PgConnectOptions,
    timeout: Duration,
) -> Result<PgConnection, StoreError> {
    within(timeout, connect.connect())
        .await?
        .or_store("database")
}

/// Runs `work`, or gives up with `Unavailable` after `timeout`.
async fn within<T>(timeout: Duration, work: impl Future<Output = T>) -> Result<T, StoreError> {
    tokio::time::timeout(timeout, work).await.map_err(|_| {
        StoreError::unavailable(format!(
            "no connection to the database within {} ms",
            timeout.as_millis()
        ))
    })
}
