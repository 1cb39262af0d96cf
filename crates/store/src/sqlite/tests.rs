//! Checks of the connection settings and the database thread, which the store contract
//! cannot see.

use rusqlite::Connection;
use tessera_core::StoreError;
use tessera_core::model::{Client, Timestamp};
use tessera_core::store::ClientStore;

use super::error::SqlResultExt;
use super::{SqliteOptions, SqliteStore, Synchronous};

/// The value of `PRAGMA name` on the store's connection, as text.
async fn pragma(store: &SqliteStore, name: &'static str) -> String {
    store
        .db
        .read(move |c: &Connection, _| {
            c.query_row(&format!("PRAGMA {name}"), [], |row| {
                row.get::<_, String>(0)
                    .or_else(|_| row.get::<_, i64>(0).map(|v| v.to_string()))
            })
            .or_store("pragma")
        })
        .await
        .expect("pragma")
}

fn client(id: &str) -> Client {
    Client {
        id: id.into(),
        name: "svc".into(),
        secret_hash: Some(vec![1; 32]),
        grants: vec![],
        scopes: vec![],
        audiences: vec![],
        created_at: Timestamp::from_secs(1),
        web: Default::default(),
    }
}

#[tokio::test]
async fn file_store_uses_wal_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open_path(dir.path().join("t.db"), SqliteOptions::default())
        .await
        .expect("open");
    assert_eq!(pragma(&store, "journal_mode").await, "wal");
    assert_eq!(pragma(&store, "synchronous").await, "2");
    assert_eq!(pragma(&store, "foreign_keys").await, "1");
    assert_eq!(pragma(&store, "busy_timeout").await, "5000");
}

#[tokio::test]
async fn normal_sync_is_configurable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("n.db").display());
    let options = SqliteOptions::default().synchronous(Synchronous::Normal);
    let store = SqliteStore::open(&url, options).await.expect("open");
    assert_eq!(pragma(&store, "synchronous").await, "1");
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
    store.create_client(&client("c1")).await.expect("write");
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
    assert!(matches!(result, Err(StoreError::Unavailable(_))));
}

#[tokio::test]
async fn memory_url_gets_a_private_database_with_foreign_keys() {
    let store = SqliteStore::open("sqlite::memory:", SqliteOptions::default())
        .await
        .expect("open");
    assert_eq!(pragma(&store, "foreign_keys").await, "1");
    let other = SqliteStore::in_memory().await.expect("open");
    store.create_client(&client("c1")).await.expect("write");
    assert_eq!(other.client_by_id(&"c1".into()).await, Ok(None));
}

/// Writes that wait together share a transaction; one that fails is undone alone and the
/// others are committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_write_does_not_fail_its_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("g.db");
    let store = SqliteStore::open_path(&path, SqliteOptions::default())
        .await
        .expect("open");
    store.create_client(&client("taken")).await.expect("seed");
    let writes: Vec<_> = (0..64)
        .map(|i| {
            let store = store.clone();
            let id = if i % 8 == 0 {
                "taken".to_owned()
            } else {
                format!("c{i}")
            };
            tokio::spawn(async move { store.create_client(&client(&id)).await })
        })
        .collect();
    let mut conflicts = 0;
    for write in writes {
        match write.await.expect("task") {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => conflicts += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(conflicts, 8);
    store.close().await;
    let reopened = SqliteStore::open_path(&path, SqliteOptions::default())
        .await
        .expect("reopen");
    assert_eq!(reopened.list_clients().await.expect("list").len(), 57);
}

/// A client deleted by another process stops being served from the cache.
#[tokio::test]
async fn the_cache_notices_other_processes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.db");
    let server = SqliteStore::open_path(&path, SqliteOptions::default())
        .await
        .expect("open");
    server.create_client(&client("c1")).await.expect("seed");
    assert!(
        server
            .client_by_id(&"c1".into())
            .await
            .expect("read")
            .is_some()
    );
    assert!(server.db.cache.client("c1").is_some(), "cached");
    let admin = SqliteStore::open_path(&path, SqliteOptions::default())
        .await
        .expect("open");
    admin.delete_client(&"c1".into()).await.expect("delete");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while server
        .client_by_id(&"c1".into())
        .await
        .expect("read")
        .is_some()
    {
        assert!(std::time::Instant::now() < deadline, "still served");
        // The store works on its own thread: blocking this one only paces the loop.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Calls after `close` fail cleanly.
#[tokio::test]
async fn a_closed_store_is_unavailable() {
    let store = SqliteStore::in_memory().await.expect("open");
    store.close().await;
    assert!(matches!(
        store.list_clients().await,
        Err(StoreError::Unavailable(_))
    ));
}
