//! The SQLite store: one file, WAL journal, one writer connection and a few readers.

mod accounts;
mod clients;
mod keys;
mod lockouts;
mod options;
mod purge;
mod revocations;
mod rotate;
mod rows;
mod sessions;
mod store;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Sqlite, Transaction};
use tessera_core::StoreError;

pub use options::{SqliteOptions, Synchronous};

use crate::error::{StoreResultExt, from_migrate};

/// The schema, embedded in the binary and brought up to date at open.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// [`tessera_core::Store`] on SQLite.
///
/// Writes go through a single connection, and every multi-statement write runs in one
/// `BEGIN IMMEDIATE` transaction, so writers in this process queue for that connection and
/// writers in other processes wait up to the busy timeout. Reads use a small pool of
/// read-only connections that WAL lets run beside the writer.
///
/// Clones share the same connections.
///
/// A refresh record passed to `create_session` or `rotate_refresh` is stored unused and in the
/// family of its session, whatever its `used_at`, `successor_sealed` and `session_id` say.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    db: Db,
}

/// The connection pools behind a store (one pool for both in memory).
#[derive(Clone, Debug)]
struct Db {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url_or_path`, a `sqlite:` URL or a
    /// file path, and brings its schema up to date. `sqlite::memory:` gives a private
    /// in-memory database, as [`SqliteStore::in_memory`] does.
    ///
    /// A database file this creates is readable and writable by its owner only (on Unix):
    /// it holds password hashes and sealed keys. Its directory must exist.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the URL is malformed or not a SQLite URL, or the file
    /// cannot be opened; [`StoreError::Corrupt`] when the file is not a Tessera database this
    /// version can use (for instance one migrated by a newer version).
    pub async fn open(url_or_path: &str, options: SqliteOptions) -> Result<Self, StoreError> {
        if !url_or_path.starts_with("sqlite:") {
            if has_url_scheme(url_or_path) {
                return Err(StoreError::Unavailable("not a sqlite: URL".into()));
            }
            return Self::open_path(url_or_path, options).await;
        }
        let connect = SqliteConnectOptions::from_str(url_or_path).or_store("database url")?;
        if is_memory_url(url_or_path) {
            return Self::single_connection(connect).await;
        }
        Self::open_with(connect, &options).await
    }

    /// Opens (creating it if missing) the database file at `path`; see [`SqliteStore::open`].
    ///
    /// # Errors
    ///
    /// As for [`SqliteStore::open`].
    pub async fn open_path(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<Self, StoreError> {
        if path.as_ref() == Path::new(":memory:") {
            return Self::in_memory().await;
        }
        let connect = SqliteConnectOptions::new().filename(path);
        Self::open_with(connect, &options).await
    }

    /// A fresh private in-memory database on a single connection, for tests. Nothing in it
    /// survives the store.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] if SQLite cannot allocate it.
    pub async fn in_memory() -> Result<Self, StoreError> {
        Self::single_connection(SqliteConnectOptions::new().in_memory(true)).await
    }

    /// Closes every connection, waiting for calls in flight. Dropping the store also closes
    /// them, in the background; either way nothing committed is lost.
    pub async fn close(&self) {
        self.db.writer.close().await;
        self.db.reader.close().await;
    }

    async fn open_with(
        connect: SqliteConnectOptions,
        options: &SqliteOptions,
    ) -> Result<Self, StoreError> {
        create_private(connect.get_filename())?;
        let connect = options.apply(connect);
        let writer_connect = connect
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let writer = pool_options(options, 1)
            .min_connections(1)
            .connect_with(writer_connect)
            .await
            .or_store("database")?;
        MIGRATOR.run(&writer).await.map_err(from_migrate)?;
        let reader = pool_options(options, options.readers)
            .connect_lazy_with(connect.pragma("query_only", "ON"));
        Ok(Self {
            db: Db { writer, reader },
        })
    }

    async fn single_connection(connect: SqliteConnectOptions) -> Result<Self, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(connect.foreign_keys(true))
            .await
            .or_store("database")?;
        MIGRATOR.run(&pool).await.map_err(from_migrate)?;
        Ok(Self {
            db: Db {
                writer: pool.clone(),
                reader: pool,
            },
        })
    }
}

fn pool_options(options: &SqliteOptions, size: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(size)
        .acquire_timeout(options.acquire_timeout)
}

/// True for `scheme://…`: a URL, not a path, and (not starting with `sqlite:`) not ours.
fn has_url_scheme(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// Creates the database file, readable by its owner only, unless it exists. SQLite gives
/// the `-wal` and `-shm` files it creates later the same permissions.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(StoreError::Unavailable(format!(
            "cannot create {}: {err}",
            path.display()
        ))),
    }
}

/// True for the URL forms that name an in-memory database, which only lives as long as
/// its connection and so cannot be shared by a writer and readers.
fn is_memory_url(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Starts a write transaction that takes the write lock at once, so that what it reads
/// cannot change before it writes.
async fn begin_immediate(db: &Db) -> Result<Transaction<'static, Sqlite>, StoreError> {
    db.writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .or_store("transaction")
}

/// Commits a transaction.
async fn commit(tx: Transaction<'static, Sqlite>) -> Result<(), StoreError> {
    tx.commit().await.or_store("transaction")
}

/// [`StoreError::NotFound`] when a statement touched no row.
fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
