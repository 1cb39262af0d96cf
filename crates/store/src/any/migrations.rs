//! `tessera migrate`: which migrations a store lacks, and applying them.

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tessera_core::StoreError;

use super::{AnyStore, Location, StoreOptions};
use crate::error::StoreResultExt;
use crate::postgres::PgStore;
use crate::schema::{self, Applied, Migration};
use crate::sqlite::{MIGRATOR as SQLITE_MIGRATOR, SqliteStore};

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
            sqlite => match existing_sqlite(sqlite)? {
                Some(connect) => sqlite_pending(connect).await,
                None => schema::pending(&SQLITE_MIGRATOR, &[]),
            },
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

/// Connect options for an existing SQLite database, or `None` when there is none yet (a
/// missing file, or an in-memory database, which every open makes afresh).
fn existing_sqlite(location: &Location) -> Result<Option<SqliteConnectOptions>, StoreError> {
    let connect = match location {
        Location::SqliteFile(path) if path.as_os_str() == ":memory:" => return Ok(None),
        Location::SqliteFile(path) => SqliteConnectOptions::new().filename(path),
        Location::SqliteUrl(url) if url.contains(":memory:") || url.contains("mode=memory") => {
            return Ok(None);
        }
        Location::SqliteUrl(url) => SqliteConnectOptions::from_str(url).or_store("database url")?,
        Location::Postgres(_) => return Err(StoreError::Unavailable("not a SQLite URL".into())),
    };
    if !Path::new(connect.get_filename()).exists() {
        return Ok(None);
    }
    Ok(Some(connect.read_only(true).create_if_missing(false)))
}

async fn sqlite_pending(connect: SqliteConnectOptions) -> Result<Vec<Migration>, StoreError> {
    let mut conn = connect.connect().await.or_store("database")?;
    let applied = sqlite_applied(&mut conn).await;
    let _closed = conn.close().await;
    schema::pending(&SQLITE_MIGRATOR, &applied?)
}

async fn sqlite_applied(conn: &mut SqliteConnection) -> Result<Vec<Applied>, StoreError> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master \
         WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
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
