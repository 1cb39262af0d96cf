//! Tuning knobs of [`SqliteStore`](super::SqliteStore).

use std::time::Duration;

use rusqlite::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteSynchronous};
use tessera_core::StoreError;

use super::error::SqlResultExt;

/// Prepared statements each connection keeps; more than the store has.
const STATEMENT_CACHE: usize = 64;

/// How hard SQLite works to make a commit durable (`PRAGMA synchronous`, in WAL mode).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub enum Synchronous {
    /// Every commit is synced to disk before it is reported: survives power loss and OS
    /// crashes. The default.
    #[default]
    Full,
    /// Commits are synced at checkpoints only: faster, survives a crash of the process but
    /// can lose the last commits on power loss or an OS crash.
    Normal,
}

/// Options for [`SqliteStore::open`](super::SqliteStore::open).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tessera_store::{SqliteOptions, Synchronous};
///
/// let options = SqliteOptions::default()
///     .synchronous(Synchronous::Normal)
///     .busy_timeout(Duration::from_secs(2));
/// ```
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    synchronous: Synchronous,
    busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl SqliteOptions {
    /// Sets the durability of commits; [`Synchronous::Full`] by default.
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// How long a statement waits for another process's lock before failing with
    /// [`StoreError::Unavailable`](tessera_core::StoreError::Unavailable); 5 s by default.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Accepted for compatibility, and no longer used: calls never wait for a free
    /// connection, the store has one of its own.
    pub fn acquire_timeout(self, _timeout: Duration) -> Self {
        self
    }

    /// Accepted for compatibility, and no longer used: the store reads and writes on one
    /// connection of its own, on its own thread.
    pub fn readers(self, _readers: u32) -> Self {
        self
    }

    /// Gives the store's connection its settings.
    pub(super) fn configure(&self, conn: &Connection) -> Result<(), StoreError> {
        let synchronous = match self.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .and_then(|()| conn.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|()| conn.busy_timeout(self.busy_timeout))
            .or_store("database settings")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(())
    }

    /// The settings of the connection that brings the schema up to date.
    pub(super) fn apply(&self, connect: SqliteConnectOptions) -> SqliteConnectOptions {
        let synchronous = match self.synchronous {
            Synchronous::Full => SqliteSynchronous::Full,
            Synchronous::Normal => SqliteSynchronous::Normal,
        };
        connect
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(self.busy_timeout)
    }
}
