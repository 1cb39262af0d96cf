//! Fresh stores, one function per backend: `None` when the backend is not available here.

use tempfile::TempDir;
use tessera_store::{AnyStore, MemoryStore, PgOptions, PgStore, SqliteOptions, SqliteStore};

use crate::pgschema::{Schema, server_url};

/// The in-memory store, held to the same contract as the real backends.
pub async fn memory() -> Option<(MemoryStore, ())> {
    Some((MemoryStore::new(), ()))
}

/// A private in-memory SQLite database.
pub async fn sqlite_memory() -> Option<(SqliteStore, ())> {
    Some((SqliteStore::in_memory().await.unwrap(), ()))
}

/// A SQLite file in a temporary directory that lives as long as the guard.
pub async fn sqlite_file() -> Option<(SqliteStore, TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    let store = SqliteStore::open_path(&path, SqliteOptions::default())
        .await
        .unwrap();
    Some((store, dir))
}

/// [`AnyStore`] over a private in-memory SQLite database: the dispatch, checked.
pub async fn any_sqlite() -> Option<(AnyStore, ())> {
    Some((SqliteStore::in_memory().await.unwrap().into(), ()))
}

/// A fresh schema on the PostgreSQL server that TESSERA_TEST_DATABASE_URL names, dropped
/// with the guard; `None` when the variable is unset (`postgres::server_is_configured`
/// then fails, under `--include-ignored`).
pub async fn postgres() -> Option<(PgStore, Schema)> {
    let server = server_url()?;
    let schema = Schema::create(&server).await;
    let options = PgOptions::default().max_connections(4);
    let store = PgStore::open(&schema.url(), options).await.unwrap();
    Some((store, schema))
}
