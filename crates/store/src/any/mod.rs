//! One store type for either backend, chosen when the deployment opens: what the server
//! and the admin commands hold.

/// Calls the same method on whichever backend `$self` holds.
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        async move {
            match $self {
                AnyStore::Sqlite($store) => $call.await,
                AnyStore::Postgres($store) => $call.await,
            }
        }
    };
}

mod browser_store;
mod migrations;
mod store;

use std::fmt;
use std::path::PathBuf;

use tessera_core::StoreError;

use crate::postgres::{PgOptions, PgStore};
use crate::sqlite::{SqliteOptions, SqliteStore};

/// [`tessera_core::Store`] on SQLite or PostgreSQL: every call goes to the backend inside.
///
/// # Examples
///
/// ```no_run
/// use tessera_core::store::MaintenanceStore;
/// use tessera_store::{AnyStore, Location, StoreOptions};
///
/// # async fn demo() -> Result<(), tessera_core::StoreError> {
/// let location = Location::Postgres("postgres://tessera@db.internal/tessera".into());
/// let store = AnyStore::open(&location, &StoreOptions::default()).await?;
/// store.ping().await?;
/// store.close().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyStore {
    /// The embedded default.
    Sqlite(SqliteStore),
    /// A PostgreSQL database, for several instances.
    Postgres(PgStore),
}

/// Where a store lives.
#[derive(Clone, Eq, PartialEq)]
#[non_exhaustive]
pub enum Location {
    /// A SQLite database file.
    SqliteFile(PathBuf),
    /// A `sqlite:` URL.
    SqliteUrl(String),
    /// A `postgres://` or `postgresql://` URL. Its `Debug` hides it: it may hold a password.
    Postgres(String),
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SqliteFile(path) => f.debug_tuple("SqliteFile").field(path).finish(),
            Self::SqliteUrl(url) => f.debug_tuple("SqliteUrl").field(url).finish(),
            Self::Postgres(_) => f.write_str("Postgres(..)"),
        }
    }
}

/// The options of each backend; only the one the [`Location`] names is used.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct StoreOptions {
    /// For SQLite.
    pub sqlite: SqliteOptions,
    /// For PostgreSQL.
    pub postgres: PgOptions,
}

impl StoreOptions {
    /// Both backends' options.
    pub fn new(sqlite: SqliteOptions, postgres: PgOptions) -> Self {
        Self { sqlite, postgres }
    }
}

impl AnyStore {
    /// Opens the store at `location` (creating a SQLite file if missing) and brings its
    /// schema up to date, as [`SqliteStore::open`] and [`PgStore::open`] do.
    ///
    /// # Errors
    ///
    /// As for the backend's own `open`.
    pub async fn open(location: &Location, options: &StoreOptions) -> Result<Self, StoreError> {
        Ok(match location {
            Location::SqliteFile(path) => {
                Self::Sqlite(SqliteStore::open_path(path, options.sqlite.clone()).await?)
            }
            Location::SqliteUrl(url) => {
                Self::Sqlite(SqliteStore::open(url, options.sqlite.clone()).await?)
            }
            Location::Postgres(url) => {
                Self::Postgres(PgStore::open(url, options.postgres.clone()).await?)
            }
        })
    }

    /// Closes every connection, waiting for calls in flight.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

impl From<SqliteStore> for AnyStore {
    fn from(store: SqliteStore) -> Self {
        Self::Sqlite(store)
    }
}

impl From<PgStore> for AnyStore {
    fn from(store: PgStore) -> Self {
        Self::Postgres(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_location_debug_hides_the_url() {
        let location = Location::Postgres("postgres://u:secret@h/db".into());
        assert_eq!(format!("{location:?}"), "Postgres(..)");
    }
}
