//! The SQLite schema: the embedded migrations, applied on one connection inside one
//! `BEGIN IMMEDIATE` transaction. It holds SQLite's write lock from reading what is applied to
//! the commit of the last migration, as the advisory lock does on PostgreSQL, so processes
//! that open or migrate one file at the same moment apply each migration once: the others
//! wait for the lock (up to the busy timeout) and then find nothing pending. A migration that
//! fails leaves nothing behind, since all of them commit together.
//!
//! sqlx's bookkeeping table is kept exactly as sqlx keeps it, so that `tessera migrate
//! --check` and earlier versions, which migrate through sqlx, read it as before.

use rusqlite::{Connection, TransactionBehavior, params};
use tessera_core::StoreError;

use super::MIGRATOR;
use super::error::SqlResultExt;
use crate::schema::{self, Applied, Migration};

/// sqlx's bookkeeping table for SQLite, as sqlx creates it.
const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// sqlx's record of one applied migration (it too writes -1 before it has timed the run).
const RECORD: &str = "INSERT INTO _sqlx_migrations \
    (version, description, success, checksum, execution_time) VALUES (?1, ?2, TRUE, ?3, -1)";

/// Applies what is pending while holding the write lock; answers what this call applied,
/// oldest first.
///
/// # Errors
/// `Unavailable` when the lock is not granted within the busy timeout or the file cannot be
/// written; `Corrupt` when the schema cannot be brought up to date by this version.
pub(super) fn apply(conn: &mut Connection) -> Result<Vec<Migration>, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .or_store("migration lock")?;
    tx.execute_batch(BOOKKEEPING).or_store("schema")?;
    let pending = schema::pending(&MIGRATOR, &applied(&tx)?)?;
    let due = MIGRATOR
        .iter()
        .filter(|m| pending.iter().any(|p| p.version == m.version));
    for migration in due {
        tx.execute_batch(migration.sql.as_str())
            .or_store("schema")?;
        tx.execute(
            RECORD,
            params![
                migration.version,
                migration.description.as_ref(),
                migration.checksum.as_ref()
            ],
        )
        .or_store("schema")?;
    }
    tx.commit().or_store("schema")?;
    Ok(pending)
}

/// The rows of the bookkeeping table.
fn applied(conn: &Connection) -> Result<Vec<Applied>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version")
        .or_store("schema")?;
    let rows = stmt
        .query_map([], |row| {
            Ok(Applied::from((row.get(0)?, row.get(1)?, row.get(2)?)))
        })
        .or_store("schema")?;
    rows.collect::<Result<_, _>>().or_store("schema")
}
