//! The SQLite schema: the migrations embedded at build time (`migrations/sqlite`, listed by
//! `build.rs`), applied on one connection inside one `BEGIN IMMEDIATE` transaction. It holds
//! SQLite's write lock from reading what is applied to the commit of the last migration, as
//! the advisory lock does on PostgreSQL, so processes that open or migrate one file at the
//! same moment apply each migration once: the others wait for the lock (up to the busy
//! timeout) and then find nothing pending. A migration that fails leaves nothing behind,
//! since all of them commit together.
//!
//! The bookkeeping is sqlx's table, kept exactly as sqlx keeps it (versions, descriptions and
//! SHA-384 checksums as sqlx computes them), so that databases migrated by earlier versions,
//! which used sqlx, open as up to date, and those versions still read what this one writes.

use std::path::Path;
use std::sync::LazyLock;

use aws_lc_rs::digest::{SHA384, digest};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tessera_core::StoreError;

use super::SqliteOptions;
use super::error::SqlResultExt;
use crate::schema::{self, Applied, Migration, Migrations, Shipped};

/// `(version, description, sql)` of each migration file, oldest first.
const FILES: &[(i64, &str, &str)] = &include!(concat!(env!("OUT_DIR"), "/sqlite_migrations.rs"));

/// One embedded migration.
struct Script {
    version: i64,
    description: &'static str,
    sql: &'static str,
    checksum: Vec<u8>,
}

/// The embedded migrations and their checksums, computed once.
struct Scripts(Vec<Script>);

static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| {
    Scripts(
        FILES
            .iter()
            .map(|&(version, description, sql)| Script {
                version,
                description,
                sql,
                checksum: digest(&SHA384, sql.as_bytes()).as_ref().to_vec(),
            })
            .collect(),
    )
});

impl Migrations for Scripts {
    fn shipped(&self) -> Vec<Shipped<'_>> {
        self.0
            .iter()
            .map(|s| Shipped {
                version: s.version,
                description: s.description,
                checksum: &s.checksum,
            })
            .collect()
    }
}

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

/// Every migration this build ships, as a database without any lacks them.
pub(super) fn all() -> Result<Vec<Migration>, StoreError> {
    schema::pending(&*SCRIPTS, &[])
}

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
    let pending = schema::pending(&*SCRIPTS, &applied(&tx)?)?;
    let due = SCRIPTS
        .0
        .iter()
        .filter(|s| pending.iter().any(|p| p.version == s.version));
    for script in due {
        tx.execute_batch(script.sql).or_store("schema")?;
        tx.execute(
            RECORD,
            params![script.version, script.description, script.checksum],
        )
        .or_store("schema")?;
    }
    tx.commit().or_store("schema")?;
    Ok(pending)
}

/// What the existing file at `path` lacks, read on a read-only connection: nothing is
/// created or written.
///
/// # Errors
/// `Unavailable` when the file cannot be opened or read; `Corrupt` as for [`apply`].
pub(super) fn pending_in(
    path: &Path,
    options: &SqliteOptions,
) -> Result<Vec<Migration>, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).or_store("database")?;
    options.configure_reader(&conn)?;
    schema::pending(&*SCRIPTS, &applied(&conn)?)
}

/// The rows of the bookkeeping table, or none when it does not exist yet.
fn applied(conn: &Connection) -> Result<Vec<Applied>, StoreError> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            [],
            |_| Ok(()),
        )
        .optional()
        .or_store("schema")?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `(version, description)` of each `migrations/postgres` file, listed by `build.rs`.
    const POSTGRES: &[(i64, &str)] = &include!(concat!(env!("OUT_DIR"), "/postgres_names.rs"));

    #[test]
    fn numbering_is_the_same_as_postgres() {
        let sqlite: Vec<(i64, &str)> = FILES.iter().map(|&(v, d, _)| (v, d)).collect();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, POSTGRES);
    }

    #[test]
    fn names_and_checksums_are_the_ones_sqlx_gives() {
        let shipped = SCRIPTS.shipped();
        let first = shipped.first().expect("a first migration");
        assert_eq!((first.version, first.description), (1, "initial"));
        // sqlx's checksum of 0001_initial.sql, as recorded in databases it migrated.
        assert_eq!(
            hex(first.checksum),
            "05bd15a7cba073c0f95e09c0ce9b0eeb2fa13bf531da6c4584bb78f205b7ef16\
             503c90aaa36cc7bcb85b4c9962acf5bd"
        );
        let versions: Vec<i64> = shipped.iter().map(|m| m.version).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_fresh_database_gets_every_migration_once() {
        let mut conn = Connection::open_in_memory().expect("open");
        let applied = apply(&mut conn).expect("migrate");
        assert_eq!(applied, all().expect("all"));
        assert!(apply(&mut conn).expect("again").is_empty());
        let rows: i64 = conn
            .query_row(
                "SELECT count(*) FROM _sqlx_migrations WHERE success AND execution_time = -1",
                [],
                |row| row.get(0),
            )
            .expect("count");
        assert_eq!(usize::try_from(rows).expect("count"), applied.len());
    }
}
