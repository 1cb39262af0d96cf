//! Tuning knobs of [`SqliteStore`](super::SqliteStore).

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteSynchronous};

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
    pub(super) acquire_timeout: Duration,
    pub(super) readers: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(10),
            readers: 4,
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

    /// How long a call waits for a free connection before failing with
    /// [`StoreError::Unavailable`](tessera_core::StoreError::Unavailable); 10 s by default.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// The number of read-only connections beside the single writer (at least 1; 4 by
    /// default). WAL lets them read while the writer commits.
    pub fn readers(mut self, readers: u32) -> Self {
        self.readers = readers.max(1);
        self
    }

    /// The per-connection settings every connection of the store gets.
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
