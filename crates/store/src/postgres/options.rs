//! Tuning knobs of [`PgStore`](super::PgStore).

use std::time::Duration;

/// Options for [`PgStore::open`](super::PgStore::open).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tessera_store::PgOptions;
///
/// let options = PgOptions::default()
///     .max_connections(20)
///     .connect_timeout(Duration::from_secs(3))
///     .acquire_timeout(Duration::from_secs(5));
/// ```
#[derive(Clone, Debug)]
pub struct PgOptions {
    pub(super) max_connections: u32,
    pub(super) connect_timeout: Duration,
    pub(super) acquire_timeout: Duration,
    pub(super) statement_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

impl PgOptions {
    /// The most connections the store keeps open to the server (at least 1; 10 by default).
    /// Every instance has its own pool: the server must allow the sum.
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long opening the store waits for its first connection before failing with
    /// [`StoreError::Unavailable`](tessera_core::StoreError::Unavailable); 5 s by default.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a call waits for a connection (a free one, or a new one while the database
    /// comes back) before failing with
    /// [`StoreError::Unavailable`](tessera_core::StoreError::Unavailable); 10 s by default.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// The server cancels a statement that runs (or waits for a lock) longer than this, and
    /// the call fails with
    /// [`StoreError::Unavailable`](tessera_core::StoreError::Unavailable); 30 s by default.
    /// Zero turns the limit off.
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }
}
