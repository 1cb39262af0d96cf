//! Checks of the connection settings, which the store contract cannot see.

use sqlx::{AssertSqlSafe, Row, SqlitePool};

use super::{SqliteOptions, SqliteStore, Synchronous};

/// The value of `PRAGMA name` on a connection of `pool`, as text.
async fn pragma(pool: &SqlitePool, name: &str) -> String {
    let sql = AssertSqlSafe(format!("PRAGMA {name}"));
    let row = sqlx::query(sql).fetch_one(pool).await.expect("pragma");
    row.try_get::<String, _>(0)
        .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))
        .expect("pragma value")
}

#[tokio::test]
async fn file_store_uses_wal_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open_path(dir.path().join("t.db"), SqliteOptions::default())
        .await
        .expect("open");
    let writer = &store.db.writer;
    assert_eq!(pragma(writer, "journal_mode").await, "wal");
    assert_eq!(pragma(writer, "synchronous").await, "2");
    assert_eq!(pragma(writer, "foreign_keys").await, "1");
    assert_eq!(pragma(writer, "busy_timeout").await, "5000");
    assert_eq!(pragma(&store.db.reader, "query_only").await, "1");
    assert_eq!(pragma(&store.db.reader, "synchronous").await, "2");
    assert_eq!(writer.options().get_max_connections(), 1);
}

#[tokio::test]
async fn normal_sync_is_configurable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("n.db").display());
    let options = SqliteOptions::default().synchronous(Synchronous::Normal);
    let store = SqliteStore::open(&url, options).await.expect("open");
    assert_eq!(pragma(&store.db.writer, "synchronous").await, "1");
    assert!(dir.path().join("n.db").exists());
}

#[cfg(unix)]
#[tokio::test]
async fn new_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.db");
    let store = SqliteStore::open_path(&path, SqliteOptions::default())
        .await
        .expect("open");
    sqlx::query("CREATE TABLE t (x)")
        .execute(&store.db.writer)
        .await
        .expect("write");
    for file in ["p.db", "p.db-wal", "p.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .expect(file)
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

#[tokio::test]
async fn other_urls_are_refused() {
    let result = SqliteStore::open("postgres://localhost/tessera", SqliteOptions::default()).await;
    assert!(matches!(
        result,
        Err(tessera_core::StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn memory_url_gets_one_shared_connection() {
    let store = SqliteStore::open("sqlite::memory:", SqliteOptions::default())
        .await
        .expect("open");
    assert_eq!(store.db.writer.options().get_max_connections(), 1);
    assert_eq!(pragma(&store.db.reader, "foreign_keys").await, "1");
}
