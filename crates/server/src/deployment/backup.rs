//! `tessera backup` and `tessera restore`: a consistent copy of the SQLite store taken while
//! the server runs, and putting one back into a data directory no server holds.
//!
//! The copy holds what the store holds (users with their Argon2id hashes, clients with hashed
//! secrets, signing keys sealed under the master key, sessions, revocations, the sign-in
//! state) and never the master key, which stays in the data directory (or the environment):
//! a restore needs the same master key where it restores, and is refused before anything is
//! replaced when the copy's keys do not open with it.

use std::path::{Path, PathBuf};

use tessera_store::sqlite_backup;

pub use tessera_store::sqlite_backup::CopySummary;

use super::{DataDirLock, Deployment, DeploymentError, absolute};
use crate::config::{DatabaseUrl, Settings};

/// Copies the deployment's SQLite store into the new file `output` (mode 0600), while a
/// server may be serving from it. `progress(copied, total)` reports pages.
///
/// # Errors
/// [`DeploymentError::Config`] on PostgreSQL or for an `output` that exists;
/// [`DeploymentError::NoStore`] when there is no store; [`DeploymentError::Store`] when a
/// file cannot be read or written.
pub async fn backup(
    settings: &Settings,
    output: &Path,
    mut progress: impl FnMut(u64, u64) + Send + 'static,
) -> Result<CopySummary, DeploymentError> {
    let source = sqlite_file(settings, "tessera backup")?;
    if !source.exists() {
        return Err(DeploymentError::NoStore(absolute(&source)));
    }
    if output.exists() {
        return Err(DeploymentError::Config(format!(
            "{} exists; a backup never overwrites a file, choose another --output",
            absolute(output).display()
        )));
    }
    let output = output.to_owned();
    blocking(move || sqlite_backup::backup(&source, &output, &mut progress)).await
}

/// Puts the backup `file` in place of the deployment's SQLite store, holding the data
/// directory as a server would, so that no server starts meanwhile: the copy is staged
/// beside the store, opened with this deployment's master key (its schema brought up to
/// date, its signing keys unsealed), and only then moved over the store.
///
/// # Errors
/// [`DeploymentError::Busy`] while a server serves from the data directory;
/// [`DeploymentError::Config`] on PostgreSQL or for a missing `file`; what opening the staged
/// store answers ([`DeploymentError::MasterKey`] for a copy sealed under another key,
/// [`DeploymentError::Store`] for a file that is not a Tessera store).
pub async fn restore(
    settings: &Settings,
    file: &Path,
    mut progress: impl FnMut(u64, u64) + Send + 'static,
) -> Result<CopySummary, DeploymentError> {
    let target = sqlite_file(settings, "tessera restore")?;
    if !file.is_file() {
        return Err(DeploymentError::Config(format!(
            "no backup file at {}",
            absolute(file).display()
        )));
    }
    let _held = DataDirLock::take(&settings.data_dir)?;
    let staging = sqlite_backup::with_suffix(&target, ".restoring");
    let (from, to) = (file.to_owned(), staging.clone());
    let summary = blocking(move || sqlite_backup::stage_restore(&from, &to, &mut progress)).await?;
    if let Err(err) = check_staged(settings, &staging).await {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(sqlite_backup::with_suffix(&staging, suffix));
        }
        return Err(err);
    }
    blocking(move || sqlite_backup::replace_with(&staging, &target)).await?;
    Ok(summary)
}

/// Opens the staged store as the deployment would, then closes it.
async fn check_staged(settings: &Settings, staging: &Path) -> Result<(), DeploymentError> {
    let mut staged = settings.clone();
    staged.database.url = DatabaseUrl::SqliteFile(staging.to_owned());
    let deployment = Deployment::open_existing(&staged).await?;
    deployment.close().await;
    Ok(())
}

/// The deployment's SQLite file; PostgreSQL has its own tools.
fn sqlite_file(settings: &Settings, command: &str) -> Result<PathBuf, DeploymentError> {
    match &settings.database.url {
        DatabaseUrl::SqliteFile(path) => Ok(path.clone()),
        DatabaseUrl::Sqlite(_) => Err(DeploymentError::Config(format!(
            "{command} copies a SQLite store given as a file (the default \
             <data-dir>/tessera.db, or database.url = \"sqlite://PATH\"), not a sqlite: URL"
        ))),
        DatabaseUrl::Postgres(_) => Err(DeploymentError::Config(format!(
            "{command} copies a SQLite store; on PostgreSQL use pg_dump and pg_restore \
             (README, \"Backups\")"
        ))),
    }
}

/// Runs file work off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, tessera_core::StoreError> + Send + 'static,
) -> Result<T, DeploymentError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| DeploymentError::Config(format!("the copy stopped: {err}")))?
        .map_err(DeploymentError::Store)
}
