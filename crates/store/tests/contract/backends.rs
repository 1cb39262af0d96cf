//! Fresh stores, one function per backend: `None` when the backend is not available here.

use tempfile::TempDir;
use tessera_store::{SqliteOptions, SqliteStore};

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
