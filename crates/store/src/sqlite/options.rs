//! Tuning knobs of [`SqliteStore`](super::SqliteStore).

use std::time::{Duration, Instant};

use rusqlite::Connection;
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
/// use std::time::{Duration, Instant};
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
        // The busy timeout first: any statement may have to wait for another process.
        conn.busy_timeout(self.busy_timeout)
            .and_then(|()| conn.pragma_update(None, "synchronous", synchronous))
            .and_then(|()| conn.pragma_update(None, "foreign_keys", "ON"))
            .or_store("database settings")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(())
    }

    /// Gives a read-only connection (`tessera migrate --check`'s) the busy timeout: reading a
    /// file in rollback-journal mode waits while another process commits.
    pub(super) fn configure_reader(&self, conn: &Connection) -> Result<(), StoreError> {
        conn.busy_timeout(self.busy_timeout)
            .or_store("database settings")
    }

    /// Puts the file in WAL mode (a setting of the file, kept for every later connection).
    ///
    /// Two processes opening a new file at once can each hold a read lock while asking for
    /// the write lock the switch needs; SQLite then answers one of them "busy" at once,
    /// without waiting in the busy handler (waiting could deadlock), so the switch is tried
    /// again until the busy timeout has passed.
    pub(super) fn use_wal(&self, conn: &Connection) -> Result<(), StoreError> {
        let deadline = Instant::now() + self.busy_timeout;
        loop {
            let mode = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| {
                row.get::<_, String>(0)
            });
            match mode {
                Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
                Ok(mode) => {
                    return Err(StoreError::unavailable(format!(
                        "the database stays in journal mode {mode}, not WAL"
                    )));
                }
                Err(err) if is_busy(&err) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(err) => return Err(err).or_store("journal mode"),
            }
        }
    }
}

/// True for SQLite's "busy" and "locked" answers: another connection holds a lock.
fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}
