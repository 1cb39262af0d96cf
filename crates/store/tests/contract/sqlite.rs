//! What only the SQLite backend can show: durability across reopening the file, how
//! database trouble reaches callers, and databases that earlier versions migrated.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, params};
use tessera_core::StoreError;
use tessera_core::model::{KeyState, RotateOutcome};
use tessera_core::store::{AccountStore, ClientStore, KeyStore, RevocationStore, SessionStore};
use tessera_store::{
    AnyStore, Location, Migration, SqliteOptions, SqliteStore, StoreOptions, Synchronous,
};

use crate::fixtures::{NOW, at, key, open_session, seed, successor};

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open_path(path, SqliteOptions::default())
        .await
        .unwrap()
}

/// A second, raw connection to the same file, as another process would have.
fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
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
            .rotate_refresh(
                b"t1",
                &successor(b"t2", "s1", NOW),
                NOW,
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        store
            .set_password(&"u1".into(), "changed", at(1), Some(&"s1".into()))
            .await
            .unwrap();
        store.revoke_jti(&"j1".into(), at(900)).await.unwrap();
        store
            .insert_key(&key("k1", KeyState::Active, NOW))
            .await
            .unwrap();
    }
    let store = open(&path).await;
    let alice = store.user_by_name("alice").await.unwrap().unwrap();
    assert_eq!(alice.password_hash, "changed");
    assert!(store.client_by_id(&"c1".into()).await.unwrap().is_some());
    assert_eq!(
        store.refresh_record(b"t1").await.unwrap().unwrap().used_at,
        Some(NOW)
    );
    let retry = store
        .rotate_refresh(
            b"t1",
            &successor(b"t3", "s1", NOW),
            at(1),
            Duration::from_secs(30),
        )
        .await;
    assert!(matches!(retry.unwrap(), RotateOutcome::Retried { .. }));
    assert!(store.is_revoked(&"j1".into()).await.unwrap());
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
    let other = raw(&path);
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    let blocked = store.revoke_jti(&"j1".into(), NOW).await;
    assert!(
        matches!(blocked, Err(StoreError::Unavailable(_))),
        "{blocked:?}"
    );
    assert!(
        !store.is_revoked(&"j1".into()).await.unwrap(),
        "readers still answer"
    );

    other.execute_batch("ROLLBACK").unwrap();
    store.revoke_jti(&"j1".into(), NOW).await.unwrap();
}

#[tokio::test]
async fn undecodable_row_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    let store = open(&path).await;
    seed(&store).await;
    raw(&path)
        .execute_batch("UPDATE users SET roles = 'not json'")
        .unwrap();
    let read = store.user_by_id(&"u1".into()).await;
    assert!(matches!(read, Err(StoreError::Corrupt(_))), "{read:?}");
}

#[tokio::test]
async fn schema_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    open(&path).await.close().await;
    raw(&path)
        .execute_batch(
            "INSERT INTO _sqlx_migrations \
             (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .unwrap();
    let reopened = SqliteStore::open_path(&path, SqliteOptions::default()).await;
    assert!(
        matches!(&reopened, Err(StoreError::Corrupt(why)) if why.to_string().contains("newer Tessera")),
        "{reopened:?}"
    );
    let checked = pending(&Location::SqliteFile(path)).await;
    assert!(
        matches!(&checked, Err(StoreError::Corrupt(why)) if why.to_string().contains("newer Tessera")),
        "{checked:?}"
    );
}

/// The migrations as released, with the checksum sqlx recorded for each (the SHA-384 of the
/// file): what the bookkeeping of a database migrated by an earlier version holds.
const RELEASED: [(i64, &str, &str, &str); 2] = [
    (
        1,
        "initial",
        "0001_initial.sql",
        "05bd15a7cba073c0f95e09c0ce9b0eeb2fa13bf531da6c4584bb78f205b7ef16\
         503c90aaa36cc7bcb85b4c9962acf5bd",
    ),
    (
        2,
        "login lockouts",
        "0002_login_lockouts.sql",
        "d41238bf37209ef60132a6d9aae2e5cdfc4473befc29e76d075f247fdc3829e1\
         c88ea7b1b0278a1e59ec9e8e7d06c5c8",
    ),
];

/// sqlx's bookkeeping table, as sqlx creates it on SQLite.
const SQLX_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);";

/// A database file migrated up to `up_to` as sqlx migrates one: its table, then for each
/// migration one transaction with the SQL and its record, then the time it took.
fn migrated_by_sqlx(path: &Path, up_to: i64) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    conn.execute_batch(SQLX_TABLE).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for &(version, description, file, checksum) in RELEASED.iter().filter(|m| m.0 <= up_to) {
        let sql = std::fs::read_to_string(dir.join(file)).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(&sql).unwrap();
        tx.execute(
            "INSERT INTO _sqlx_migrations ( version, description, success, checksum, \
             execution_time ) VALUES ( ?1, ?2, TRUE, ?3, -1 )",
            params![version, description, unhex(checksum)],
        )
        .unwrap();
        tx.commit().unwrap();
        conn.execute(
            "UPDATE _sqlx_migrations SET execution_time = ?1 WHERE version = ?2",
            params![31_517_089_i64 + version, version],
        )
        .unwrap();
    }
    conn
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

async fn pending(location: &Location) -> Result<Vec<Migration>, StoreError> {
    AnyStore::pending_migrations(location, &StoreOptions::default()).await
}

/// The migrations this build ships after `version`: what a database migrated that far lacks.
async fn shipped_after(version: i64) -> Vec<Migration> {
    let dir = tempfile::tempdir().unwrap();
    let all = pending(&Location::SqliteFile(dir.path().join("none.db")))
        .await
        .unwrap();
    assert!(
        !dir.path().join("none.db").exists(),
        "the check created nothing"
    );
    all.into_iter().filter(|m| m.version > version).collect()
}

/// A database that sqlx migrated (as earlier versions did) is up to date: the check reads it
/// without writing, the store opens and works on it, and sqlx's records stay as they were.
#[tokio::test]
async fn database_migrated_by_sqlx_is_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    drop(migrated_by_sqlx(&path, 2));
    let before = std::fs::read(&path).unwrap();
    let url = Location::SqliteUrl(format!("sqlite://{}", path.display()));
    for location in [Location::SqliteFile(path.clone()), url] {
        assert_eq!(pending(&location).await.unwrap(), shipped_after(2).await);
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the check wrote nothing"
    );

    let store = open(&path).await;
    seed(&store).await;
    assert!(store.user_by_name("alice").await.unwrap().is_some());
    store.close().await;
    let rows: Vec<(i64, i64)> = raw(&path)
        .prepare("SELECT version, execution_time FROM _sqlx_migrations WHERE version <= 2")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, [(1, 31_517_090), (2, 31_517_091)]);
}

/// A database that sqlx migrated before a migration was added gets the new one, recorded
/// with the checksum sqlx gives it, so that sqlx would read the record as its own.
#[tokio::test]
async fn database_migrated_by_sqlx_is_migrated_further() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    drop(migrated_by_sqlx(&path, 1));
    let location = Location::SqliteFile(path.clone());
    let lacking = pending(&location).await.unwrap();
    assert_eq!(lacking, shipped_after(1).await);
    assert_eq!(lacking[0].version, 2);
    assert_eq!(lacking[0].description, "login lockouts");

    let applied = AnyStore::migrate(&location, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(applied, lacking);
    assert_eq!(pending(&location).await.unwrap(), []);
    let conn = raw(&path);
    let (success, checksum): (bool, Vec<u8>) = conn
        .query_row(
            "SELECT success, checksum FROM _sqlx_migrations WHERE version = 2",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert!(success);
    assert_eq!(checksum, unhex(RELEASED[1].3));
    conn.execute_batch("INSERT INTO login_lockouts VALUES ('a', 1, NULL, 0)")
        .unwrap();
}

/// A migration changed after sqlx applied it, or one that failed part-way: the check, the
/// open and `migrate` all refuse the database as corrupt, and change nothing.
#[tokio::test]
async fn changed_or_failed_migration_is_refused() {
    for (damage, needle) in [
        (
            "UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1",
            "migration 1 was changed after it was applied",
        ),
        (
            "UPDATE _sqlx_migrations SET success = FALSE WHERE version = 2",
            "migration 2 failed part-way",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tessera.db");
        migrated_by_sqlx(&path, 2).execute_batch(damage).unwrap();
        let location = Location::SqliteFile(path.clone());
        let checked = pending(&location).await;
        let opened = SqliteStore::open_path(&path, SqliteOptions::default()).await;
        let migrated = AnyStore::migrate(&location, &StoreOptions::default()).await;
        for result in [checked.map(drop), opened.map(drop), migrated.map(drop)] {
            assert!(
                matches!(&result, Err(StoreError::Corrupt(why)) if why.to_string().contains(needle)),
                "{needle}: {result:?}"
            );
        }
    }
}

/// `tessera migrate --check` on an in-memory URL, a missing file or a malformed URL.
#[tokio::test]
async fn check_of_memory_missing_or_malformed_urls() {
    let all = shipped_after(0).await;
    let memory = Location::SqliteUrl("sqlite::memory:".into());
    assert_eq!(pending(&memory).await.unwrap(), all);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("later.db");
    let url = Location::SqliteUrl(format!("sqlite://{}?mode=rwc", missing.display()));
    assert_eq!(pending(&url).await.unwrap(), all);
    assert!(!missing.exists(), "the check created nothing");
    let bad = Location::SqliteUrl("sqlite://x.db?mode=sideways".into());
    let refused = pending(&bad).await;
    assert!(
        matches!(&refused, Err(StoreError::Unavailable(why)) if why.to_string().contains("`mode`")),
        "{refused:?}"
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
                let next = successor(&[b'n', i], "s1", at(1));
                store
                    .rotate_refresh(b"t0", &next, at(1), Duration::ZERO)
                    .await
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

/// DPoP proofs are remembered in memory on SQLite (one server owns the file), in a record
/// that stays bounded: past 500,000 live proofs the oldest is forgotten, the newest never.
#[tokio::test]
async fn the_dpop_replay_record_is_bounded() {
    use tessera_core::store::ReplayStore;

    let store = SqliteStore::in_memory().await.unwrap();
    for n in 0u32..500_001 {
        assert!(
            store
                .record_dpop_jti(&n.to_be_bytes(), at(60), NOW)
                .await
                .unwrap()
        );
    }
    assert!(
        !store
            .record_dpop_jti(&500_000u32.to_be_bytes(), at(60), NOW)
            .await
            .unwrap(),
        "the newest is remembered"
    );
    assert!(
        store
            .record_dpop_jti(&0u32.to_be_bytes(), at(60), NOW)
            .await
            .unwrap(),
        "the oldest made room"
    );
}

/// A backup taken while another writer commits is one consistent snapshot: it opens as a
/// store, passes SQLite's check, and holds a prefix of the writes (all or nothing of each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_concurrent_writes_is_one_consistent_snapshot() {
    use tessera_core::model::Jti;
    use tessera_store::sqlite_backup;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    let store = open(&path).await;
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for n in 0..2_000u32 {
                store
                    .revoke_jti(&Jti::from(format!("jti-{n}").as_str()), at(3600))
                    .await
                    .unwrap();
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let output = dir.path().join("copy.db");
    let (from, to) = (path.clone(), output.clone());
    let summary =
        tokio::task::spawn_blocking(move || sqlite_backup::backup(&from, &to, &mut |_, _| {}))
            .await
            .unwrap()
            .unwrap();
    writer.await.unwrap();
    assert!(summary.pages > 0 && summary.bytes >= summary.pages * 512);

    let copy = raw(&output);
    let rows: i64 = copy
        .query_row("SELECT count(*) FROM revocations", [], |row| row.get(0))
        .unwrap();
    // Each revocation is its own commit, numbered in order: the copy holds the first `rows`.
    let highest: i64 = copy
        .query_row(
            "SELECT coalesce(max(CAST(substr(jti, 5) AS INTEGER)), -1) FROM revocations",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(highest + 1, rows);
    // 2,000 commits, each waiting for the disk, outlast a copy of a few pages.
    assert!(rows < 2_000, "the copy was taken while the writer ran");
    drop(copy);
    let reopened = open(&output).await;
    let listed = reopened.revocations_since(0, NOW, 10_000).await.unwrap();
    assert_eq!(i64::try_from(listed.len()).unwrap(), rows);
}
