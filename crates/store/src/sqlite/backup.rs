//! Online copies of a SQLite store and putting one back, with SQLite's backup API: the copy
//! is read inside one read transaction, so it is one consistent snapshot (a commit made
//! meanwhile by a running server is wholly in it or not at all), and writers are never
//! blocked (the store runs in WAL mode).

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use tessera_core::StoreError;

use super::error::SqlResultExt;

/// Pages copied per step, between two progress reports.
const PAGES_PER_STEP: i32 = 1024;
/// How long a step may wait for a lock before the copy gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a copy wrote.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct CopySummary {
    /// Database pages copied.
    pub pages: u64,
    /// Bytes copied (pages times the page size).
    pub bytes: u64,
}

/// Copies the store at `source` into the new file `output`, created with mode 0600 (it
/// holds password hashes and sealed keys); an existing `output` is never overwritten.
/// `progress(copied, total)` is called after each step of 1,024 pages. The
/// copy is a standalone file (rollback journal, no `-wal` beside it) that passed SQLite's
/// `quick_check`.
///
/// # Errors
/// [`StoreError::Unavailable`] when a file cannot be read or written (an existing `output`
/// included); [`StoreError::Corrupt`] when `source` is not a Tessera store or the copy fails
/// its check.
pub fn backup(
    source: &Path,
    output: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CopySummary, StoreError> {
    let from = open_store_file(source)?;
    from.execute_batch("BEGIN").or_store("backup")?;
    // The first read fixes the snapshot every step copies from.
    let _: i64 = from
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .or_store("backup")?;
    create_private(output)?;
    let copied = copy(&from, output, "the copy", progress);
    let _ = from.execute_batch("ROLLBACK");
    if copied.is_err() {
        let _ = std::fs::remove_file(output);
    }
    copied
}

/// Copies the backup `file`, which must be a Tessera store, into the new file `staging`
/// (mode 0600; a stale one is replaced), which must then pass `quick_check` (a damaged page
/// of the backup is copied as it is, so one check covers both). The caller checks the staged
/// store and then moves it in place with [`replace_with`].
///
/// # Errors
/// As [`backup`].
pub fn stage_restore(
    file: &Path,
    staging: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CopySummary, StoreError> {
    let from = open_store_file(file)?;
    match std::fs::remove_file(staging) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(io_error("cannot remove", staging, &err)),
    }
    create_private(staging)?;
    let copied = copy(&from, staging, "the backup", progress);
    if copied.is_err() {
        let _ = std::fs::remove_file(staging);
    }
    copied
}

/// Puts the staged store in place of `target`: the old file's write-ahead log is folded in
/// and removed first (a stale `-wal` beside the new file would be replayed into it), then
/// the staged file is renamed over it. Nothing may have either file open.
///
/// # Errors
/// [`StoreError::Unavailable`] when a file cannot be checkpointed, removed or renamed.
pub fn replace_with(staging: &Path, target: &Path) -> Result<(), StoreError> {
    // The staged store was opened in WAL mode to be checked: fold its log in too.
    fold_log(staging)?;
    if target.exists() {
        fold_log(target)?;
    }
    std::fs::rename(staging, target).map_err(|err| io_error("cannot move", staging, &err))
}

/// Checkpoints the file's write-ahead log into it, switches it to a rollback journal and
/// removes the `-wal` and `-shm` files beside it.
fn fold_log(path: &Path) -> Result<(), StoreError> {
    let conn = Connection::open(path).or_store("restore")?;
    conn.busy_timeout(BUSY_TIMEOUT).or_store("restore")?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .or_store("restore")?;
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
        .or_store("restore")?;
    drop(conn);
    for suffix in ["-wal", "-shm"] {
        let side = with_suffix(path, suffix);
        match std::fs::remove_file(&side) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(io_error("cannot remove", &side, &err)),
        }
    }
    Ok(())
}

/// `path` with `suffix` added to its file name (`tessera.db` → `tessera.db-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Opens an existing file read-only and checks that it holds a Tessera store.
fn open_store_file(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .or_store("backup")?;
    conn.busy_timeout(BUSY_TIMEOUT).or_store("backup")?;
    let tessera: bool = conn
        .query_row(
            "SELECT count(*) = 3 FROM sqlite_schema \
             WHERE type = 'table' AND name IN ('_sqlx_migrations', 'users', 'signing_keys')",
            [],
            |row| row.get(0),
        )
        .map_err(|_| StoreError::corrupt(format!("{} is not a SQLite database", path.display())))?;
    if !tessera {
        return Err(StoreError::corrupt(format!(
            "{} is not a Tessera store",
            path.display()
        )));
    }
    Ok(conn)
}

/// Copies every page of `from` into the file at `to`, then makes the copy standalone and
/// checks it (`what` names it in a failed check).
fn copy(
    from: &Connection,
    to: &Path,
    what: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CopySummary, StoreError> {
    let mut dest = Connection::open(to).or_store("backup")?;
    let pages = {
        let backup = Backup::new(from, &mut dest).or_store("backup")?;
        let mut waits = 0u32;
        loop {
            match backup.step(PAGES_PER_STEP).or_store("backup")? {
                StepResult::Done => break,
                StepResult::More => {
                    let state = backup.progress();
                    let total = u64::try_from(state.pagecount).unwrap_or(0);
                    let left = u64::try_from(state.remaining).unwrap_or(0);
                    progress(total.saturating_sub(left), total);
                }
                StepResult::Busy | StepResult::Locked => {
                    waits += 1;
                    if waits > 200 {
                        return Err(StoreError::unavailable(
                            "the store stayed locked for 10 s; try again",
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => {}
            }
        }
        u64::try_from(backup.progress().pagecount).unwrap_or(0)
    };
    progress(pages, pages);
    dest.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
        .or_store("backup")?;
    quick_check(&dest, what)?;
    let page_size: i64 = dest
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .or_store("backup")?;
    let page_size = u64::try_from(page_size).unwrap_or(0);
    Ok(CopySummary {
        pages,
        bytes: pages * page_size,
    })
}

/// SQLite's `quick_check` on `conn`.
fn quick_check(conn: &Connection, what: &str) -> Result<(), StoreError> {
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .or_store("backup")?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(StoreError::corrupt(format!(
            "{what} fails SQLite's quick_check: {verdict}"
        )))
    }
}

/// Creates the new file `path` with mode 0600.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|err| io_error("cannot create", path, &err))
}

fn io_error(what: &str, path: &Path, err: &io::Error) -> StoreError {
    StoreError::unavailable(format!("{what} {}: {err}", path.display()))
}
