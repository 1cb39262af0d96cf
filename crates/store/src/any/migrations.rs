//! `tessera migrate`: which migrations a store lacks, and applying them.

use tessera_core::StoreError;

use super::{AnyStore, Location, StoreOptions};
use crate::postgres::PgStore;
use crate::schema::Migration;
use crate::sqlite::SqliteStore;

impl AnyStore {
    /// The migrations that opening the store at `location` would apply, oldest first. Nothing
    /// is written, and a SQLite file that does not exist yet is not created (it lacks all).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the database cannot be reached;
    /// [`StoreError::Corrupt`] when its schema cannot be brought up to date by this version.
    pub async fn pending_migrations(
        location: &Location,
        options: &StoreOptions,
    ) -> Result<Vec<Migration>, StoreError> {
        match location {
            Location::Postgres(url) => PgStore::pending_migrations(url, &options.postgres).await,
            Location::SqliteFile(path) => {
                SqliteStore::pending_migrations_path(path, &options.sqlite).await
            }
            Location::SqliteUrl(url) => SqliteStore::pending_migrations(url, &options.sqlite).await,
        }
    }

    /// Brings the schema of the store at `location` up to date (creating a SQLite file if
    /// missing) and answers which migrations this call applied, oldest first.
    ///
    /// # Errors
    ///
    /// As for [`AnyStore::open`].
    pub async fn migrate(
        location: &Location,
        options: &StoreOptions,
    ) -> Result<Vec<Migration>, StoreError> {
        let sqlite = options.sqlite.clone();
        // Each backend checks and applies under one lock (an advisory lock, SQLite's write
        // lock), so what it answers is what this call applied, whoever migrates at once.
        let (store, applied) = match location {
            Location::Postgres(url) => return PgStore::migrate(url, &options.postgres).await,
            Location::SqliteFile(path) => SqliteStore::open_path_migrating(path, sqlite).await?,
            Location::SqliteUrl(url) => SqliteStore::open_migrating(url, sqlite).await?,
        };
        store.close().await;
        Ok(applied)
    }
}
