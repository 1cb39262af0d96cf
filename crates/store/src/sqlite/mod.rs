//! The SQLite store: one file, WAL journal, one connection on its own thread (see
//! [`engine`]) in front of an in-memory cache of the hottest reads (see [`cache`]).

mod accounts;
mod audit;
pub mod backup;
mod browser;
mod browser_store;
mod cache;
mod clients;
mod devices;
mod engine;
mod error;
mod factors;
mod import;
mod keys;
mod lockouts;
mod migrate;
mod options;
mod purge;
mod revocations;
mod rotate;
mod rows;
mod sessions;
mod store;
mod target;
#[cfg(test)]
mod tests;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::types::FromSql;
use rusqlite::{Connection, Params, Row};
use tessera_core::StoreError;
use tessera_jose::dpop::ReplayCache;

pub use options::{SqliteOptions, Synchronous};

use self::engine::Engine;
use self::error::SqlResultExt;
use self::target::Target;
use crate::schema::Migration;

/// How many accepted DPoP proofs a SQLite store remembers: past it the oldest is forgotten
/// and could be replayed for the rest of its window. A proof is remembered for at most 71 s,
/// so this covers 7,000 accepted proofs a second for the whole window (more than one core
/// verifies with ES256 tokens issued alongside: about 5,400 a second in bench/server's run F).
/// An entry takes 34 to 68 bytes as the tables grow, so at most about 34 MB, taken only as
/// proofs arrive.
const DPOP_REPLAY_CAPACITY: usize = 500_000;

/// [`tessera_core::Store`] on SQLite.
///
/// Every call runs on one connection that a thread of the store owns: reads at once, on
/// committed data; writes that wait together in one `BEGIN IMMEDIATE` transaction, each in
/// its own savepoint, answered only once that transaction has committed (with
/// `synchronous=FULL`, once it is on disk). Writers in other processes wait up to the busy
/// timeout for the write lock. Clients, users by id and revocation answers are cached; a
/// commit by another process on the same file is noticed within about 100 ms.
///
/// Clones share the same thread and connection.
///
/// The `jti`s of accepted DPoP proofs are kept in memory (a [`ReplayCache`] of
/// 500,000 proofs), not in the file: one server owns a SQLite data
/// directory, so no other process accepts proofs for it, and a proof then costs no commit.
/// A restart forgets them; a proof captured before it stays usable only for what is left of
/// its `iat` window (about a minute).
///
/// A refresh record passed to `create_session` or `rotate_refresh` is stored unused and in the
/// family of its session, whatever its `used_at`, `successor_sealed` and `session_id` say.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    db: Engine,
    dpop_jtis: Arc<ReplayCache>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url_or_path`, a `sqlite:` URL or a
    /// file path, and brings its schema up to date. `sqlite::memory:` gives a private
    /// in-memory database, as [`SqliteStore::in_memory`] does.
    ///
    /// A database file this creates is readable and writable by its owner only (on Unix):
    /// it holds password hashes and sealed keys. Its directory must exist.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the URL is malformed or not a SQLite URL, or the file
    /// cannot be opened; [`StoreError::Corrupt`] when the file is not a Tessera database this
    /// version can use (for instance one migrated by a newer version).
    pub async fn open(url_or_path: &str, options: SqliteOptions) -> Result<Self, StoreError> {
        Ok(Self::open_migrating(url_or_path, options).await?.0)
    }

    /// As [`SqliteStore::open`], answering too which migrations this call applied (every
    /// one for an in-memory database, which each open makes afresh).
    pub(crate) async fn open_migrating(
        url_or_path: &str,
        options: SqliteOptions,
    ) -> Result<(Self, Vec<Migration>), StoreError> {
        Self::open_target(Target::parse(url_or_path)?, options).await
    }

    /// Opens (creating it if missing) the database file at `path`; see [`SqliteStore::open`].
    ///
    /// # Errors
    ///
    /// As for [`SqliteStore::open`].
    pub async fn open_path(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<Self, StoreError> {
        Ok(Self::open_path_migrating(path, options).await?.0)
    }

    /// As [`SqliteStore::open_path`], answering too which migrations this call applied.
    pub(crate) async fn open_path_migrating(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<(Self, Vec<Migration>), StoreError> {
        Self::open_target(Target::from_path(path.as_ref()), options).await
    }

    async fn open_target(
        target: Target,
        options: SqliteOptions,
    ) -> Result<(Self, Vec<Migration>), StoreError> {
        match target {
            Target::Memory => Self::in_memory_migrating(),
            Target::File(path) => Self::open_with(path, options).await,
        }
    }

    /// The migrations that opening the database at `url_or_path` would apply, read without
    /// writing anything: all of them for a file that does not exist yet (which is not
    /// created) or an in-memory database.
    ///
    /// # Errors
    ///
    /// As for [`SqliteStore::open`].
    pub(crate) async fn pending_migrations(
        url_or_path: &str,
        options: &SqliteOptions,
    ) -> Result<Vec<Migration>, StoreError> {
        Self::pending_in(Target::parse(url_or_path)?, options).await
    }

    /// As [`SqliteStore::pending_migrations`], for a file path.
    pub(crate) async fn pending_migrations_path(
        path: &Path,
        options: &SqliteOptions,
    ) -> Result<Vec<Migration>, StoreError> {
        Self::pending_in(Target::from_path(path), options).await
    }

    async fn pending_in(
        target: Target,
        options: &SqliteOptions,
    ) -> Result<Vec<Migration>, StoreError> {
        let path = match target {
            Target::File(path) if path.exists() => path,
            Target::File(_) | Target::Memory => return migrate::all(),
        };
        let options = options.clone();
        // Reading may wait for another process's lock: not on the async runtime's threads.
        tokio::task::spawn_blocking(move || migrate::pending_in(&path, &options))
            .await
            .map_err(|_| StoreError::Unavailable("the migration check stopped".into()))?
    }

    fn in_memory_migrating() -> Result<(Self, Vec<Migration>), StoreError> {
        let mut conn = Connection::open_in_memory().or_store("database")?;
        SqliteOptions::default().configure(&conn)?;
        let applied = migrate::apply(&mut conn)?;
        Ok((
            Self {
                db: Engine::start(conn)?,
                dpop_jtis: Arc::new(ReplayCache::new(DPOP_REPLAY_CAPACITY)),
            },
            applied,
        ))
    }

    /// A fresh private in-memory database, for tests. Nothing in it survives the store.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] if SQLite cannot allocate it.
    pub async fn in_memory() -> Result<Self, StoreError> {
        Ok(Self::in_memory_migrating()?.0)
    }

    /// Closes the connection once the calls already made have finished. Dropping every
    /// clone of the store also closes it, in the background; either way nothing committed
    /// is lost.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Switches the file to WAL, then opens the store's own connection and brings the
    /// schema up to date on it under the write lock (see [`migrate`]); answers what it
    /// applied.
    async fn open_with(
        path: PathBuf,
        options: SqliteOptions,
    ) -> Result<(Self, Vec<Migration>), StoreError> {
        create_private(&path)?;
        // Waiting for another process's lock blocks: not on the async runtime's threads.
        let (conn, applied) = tokio::task::spawn_blocking(move || {
            let mut conn = Connection::open(&path).or_store("database")?;
            options.configure(&conn)?;
            options.use_wal(&conn)?;
            let applied = migrate::apply(&mut conn)?;
            Ok::<_, StoreError>((conn, applied))
        })
        .await
        .map_err(|_| StoreError::unavailable("the migration task stopped"))??;
        Ok((
            Self {
                db: Engine::start(conn)?,
                dpop_jtis: Arc::new(ReplayCache::new(DPOP_REPLAY_CAPACITY)),
            },
            applied,
        ))
    }
}

/// Creates the database file, readable by its owner only, unless it exists. SQLite gives
/// the `-wal` and `-shm` files it creates later the same permissions.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(StoreError::unavailable(format!(
            "cannot create {}: {err}",
            path.display()
        ))),
    }
}

/// Runs a statement (prepared once per connection); returns the rows it changed.
fn exec<P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    what: &'static str,
) -> Result<usize, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params))
        .or_store(what)
}

/// The first row of a query, decoded, if there is one.
fn optional<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    what: &'static str,
    decode: fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).or_store(what)?;
    let mut rows = stmt.query(params).or_store(what)?;
    match rows.next().or_store(what)? {
        Some(row) => decode(row).map(Some),
        None => Ok(None),
    }
}

/// Every row of a query, decoded.
fn many<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    what: &'static str,
    decode: fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).or_store(what)?;
    let mut rows = stmt.query(params).or_store(what)?;
    let mut all = Vec::new();
    while let Some(row) = rows.next().or_store(what)? {
        all.push(decode(row)?);
    }
    Ok(all)
}

/// One value of the first row of a query that always returns one.
fn scalar<T: FromSql, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    what: &'static str,
) -> Result<T, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.query_row(params, |row| row.get(0)))
        .or_store(what)
}

/// [`StoreError::NotFound`] when a statement touched no row.
fn found(rows_changed: usize) -> Result<(), StoreError> {
    if rows_changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
