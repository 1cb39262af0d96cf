//! What only the SQLite backend can show: durability across reopening the file, and how
//! database trouble reaches callers.

use std::path::Path;
use std::time::Duration;

use sqlx::{Connection, SqliteConnection};
use tessera_core::model::{KeyState, RotateOutcome};
use tessera_core::{Store, StoreError};
use tessera_store::{SqliteOptions, SqliteStore, Synchronous};

use crate::fixtures::{NOW, key, open_session, seed, successor};

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open_path(path, SqliteOptions::default())
        .await
        .unwrap()
}

/// A second, raw connection to the same file, as another process would have.
async fn raw(path: &Path) -> SqliteConnection {
    let url = format!("sqlite://{}", path.display());
    SqliteConnection::connect(&url).await.unwrap()
}

/// Writes of every kind, then the store is dropped without closing: all of it is there
/// when the file is opened again.
#[tokio::test]
async fn writes_survive_dropping_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    {
        let store = open(&path).await;
        seed(&store).await;
        open_session(&store, "s1", "u1", b"t1").await;
        store
            .rotate_refresh(b"t1", &successor(b"t2", "s1", NOW), NOW, 30)
            .await
            .unwrap();
        store
            .set_password("u1", "changed", NOW + 1, Some("s1"))
            .await
            .unwrap();
        store.revoke_jti("j1", NOW + 900).await.unwrap();
        store
            .insert_key(&key("k1", KeyState::Active, NOW))
            .await
            .unwrap();
    }
    let store = open(&path).await;
    let alice = store.user_by_name("alice").await.unwrap().unwrap();
    assert_eq!(alice.password_hash, "changed");
    assert!(store.client_by_id("c1").await.unwrap().is_some());
    assert_eq!(
        store.refresh_record(b"t1").await.unwrap().unwrap().used_at,
        Some(NOW)
    );
    let retry = store
        .rotate_refresh(b"t1", &successor(b"t3", "s1", NOW), NOW + 1, 30)
        .await;
    assert!(matches!(retry.unwrap(), RotateOutcome::Retried { .. }));
    assert!(store.is_revoked("j1").await.unwrap());
    assert_eq!(store.live_keys().await.unwrap().len(), 1);
}

#[tokio::test]
async fn close_then_reopen_with_normal_sync() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nested.db").display());
    let options = SqliteOptions::default().synchronous(Synchronous::Normal);
    let store = SqliteStore::open(&url, options.clone()).await.unwrap();
    seed(&store).await;
    store.close().await;
    let store = SqliteStore::open(&url, options).await.unwrap();
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn unopenable_path_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir").join("tessera.db");
    let result = SqliteStore::open_path(&missing, SqliteOptions::default()).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    let bad_url = SqliteStore::open("sqlite://x.db?mode=sideways", SqliteOptions::default()).await;
    assert!(
        matches!(bad_url, Err(StoreError::Unavailable(_))),
        "{bad_url:?}"
    );
}

/// Another process holding the write lock past the busy timeout: `Unavailable`, and the
/// store works again once the lock is released.
#[tokio::test]
async fn locked_database_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    let options = SqliteOptions::default().busy_timeout(Duration::from_millis(100));
    let store = SqliteStore::open_path(&path, options).await.unwrap();
    let mut other = raw(&path).await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();

    let blocked = store.revoke_jti("j1", NOW).await;
    assert!(
        matches!(blocked, Err(StoreError::Unavailable(_))),
        "{blocked:?}"
    );
    assert!(
        !store.is_revoked("j1").await.unwrap(),
        "readers still answer"
    );

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    store.revoke_jti("j1", NOW).await.unwrap();
}

#[tokio::test]
async fn undecodable_row_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    let store = open(&path).await;
    seed(&store).await;
    let mut other = raw(&path).await;
    sqlx::query("UPDATE users SET roles = 'not json'")
        .execute(&mut other)
        .await
        .unwrap();
    let read = store.user_by_id("u1").await;
    assert!(matches!(read, Err(StoreError::Corrupt(_))), "{read:?}");
}

#[tokio::test]
async fn schema_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    open(&path).await.close().await;
    let mut other = raw(&path).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .execute(&mut other)
    .await
    .unwrap();
    let reopened = SqliteStore::open_path(&path, SqliteOptions::default()).await;
    assert!(
        matches!(reopened, Err(StoreError::Corrupt(_))),
        "{reopened:?}"
    );
}

/// Two stores on one file, as two processes would be: the write lock, not the in-process
/// writer queue, keeps rotation single.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_rotate_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    let first = std::sync::Arc::new(open(&path).await);
    let second = std::sync::Arc::new(open(&path).await);
    seed(first.as_ref()).await;
    open_session(first.as_ref(), "s1", "u1", b"t0").await;
    let tasks: Vec<_> = (0..16u8)
        .map(|i| {
            let store = std::sync::Arc::clone(if i % 2 == 0 { &first } else { &second });
            tokio::spawn(async move {
                let next = successor(&[b'n', i], "s1", NOW + 1);
                store.rotate_refresh(b"t0", &next, NOW + 1, 0).await
            })
        })
        .collect();
    let mut rotated = 0;
    for task in tasks {
        let outcome = task.await.unwrap().unwrap();
        rotated += usize::from(matches!(outcome, RotateOutcome::Rotated(_)));
    }
    assert_eq!(rotated, 1);
}

/// `tessera migrate` and a server start on one new file at the same moment, as two
/// processes would (each on a thread and runtime of its own): the write lock held from the
/// check to the last migration makes each migration applied once, and each caller reports
/// only what it applied itself.
#[test]
fn two_migrations_at_once_apply_each_migration_once() {
    use std::sync::{Arc, Barrier};
    use tessera_store::{AnyStore, Location, StoreOptions};
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let options = StoreOptions::default();
    for round in 0..8 {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::SqliteFile(dir.path().join("tessera.db"));
        let all = runtime()
            .block_on(AnyStore::pending_migrations(&location, &options))
            .unwrap();
        let start = Arc::new(Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (location, options, start) =
                    (location.clone(), options.clone(), Arc::clone(&start));
                std::thread::spawn(move || {
                    let runtime = runtime();
                    start.wait();
                    runtime.block_on(AnyStore::migrate(&location, &options))
                })
            })
            .collect();
        let mut applied = Vec::new();
        for racer in racers {
            let result = racer.join().unwrap();
            applied.extend(result.unwrap_or_else(|err| panic!("round {round}: {err}")));
        }
        applied.sort_by_key(|m| m.version);
        assert_eq!(applied, all, "round {round}: each migration once");
        let left = runtime()
            .block_on(AnyStore::pending_migrations(&location, &options))
            .unwrap();
        assert!(left.is_empty(), "round {round}: {left:?}");
    }
}
