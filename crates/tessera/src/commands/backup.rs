//! `tessera backup` and `tessera restore`: a consistent copy of the SQLite store, taken while
//! the server runs, and putting one back (see `tessera_server::deployment::backup`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use tessera_server::deployment::DeploymentError;
use tessera_server::deployment::backup::{self, CopySummary};

use crate::cli::GlobalArgs;
use crate::commands::admin;
use crate::error::CliError;

/// Help text of `tessera backup`.
pub(crate) const BACKUP_LONG: &str = "\
Copy the deployment's SQLite store (<data-dir>/tessera.db) into a new file, while the server
runs: the copy is one consistent snapshot (SQLite's backup API inside one read transaction),
checked with SQLite's quick_check, and a standalone file (no -wal beside it).

It holds everything the store holds: users with their Argon2id hashes, clients with hashed
secrets, signing keys sealed under the master key, sessions, revocations, the sign-in state
and the audit trail. It never holds the master key (master.key in the data dir, or TESSERA_MASTER_KEY):
keep that apart from the backups, and have it where you restore. The file is created with
mode 0600 and an existing file is never overwritten.

On PostgreSQL use pg_dump and pg_restore instead (README, \"Backups\").";

/// Examples of `tessera backup`.
pub(crate) const BACKUP_EXAMPLES: &str = "\
Examples:
  tessera backup --output tessera-$(date +%F).db
  tessera --data-dir /var/lib/tessera backup --output /backups/tessera.db";

/// Help text of `tessera restore`.
pub(crate) const RESTORE_LONG: &str = "\
Put a `tessera backup` file in place of the deployment's SQLite store. The server must be
stopped: the restore holds the data dir as a server does, and is refused while one serves
from it (its process id is named).

The data dir must have the master key the backup's signing keys were sealed with (copy
master.key there, or set TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE). The backup is first
copied beside the store and opened with that key (its schema brought up to date, its keys
unsealed); only then does it replace the store, so a wrong key or a damaged file changes
nothing. A data dir that does not exist yet is created.";

/// Examples of `tessera restore`.
pub(crate) const RESTORE_EXAMPLES: &str = "\
Examples:
  tessera restore tessera-2026-12-07.db
  cp master.key /var/lib/tessera/ && tessera --data-dir /var/lib/tessera restore /backups/tessera.db";

/// Arguments of `tessera backup`.
#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// The new file to write (mode 0600; never overwritten)
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

/// Arguments of `tessera restore`.
#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// The backup file to put back
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// `tessera backup --output FILE`.
///
/// # Errors
/// Exit 2 for a PostgreSQL deployment, a missing store, an existing output or a copy that
/// failed (no partial file is left).
pub(crate) fn backup(global: &GlobalArgs, args: &BackupArgs) -> Result<(), CliError> {
    let output = args.output.clone();
    let summary = admin::with_settings(global, |settings| async move {
        backup::backup(&settings, &output, progress("copied"))
            .await
            .map_err(|err| refused(&err))
    })?;
    println!(
        "backed up the store to {} ({}); the master key is not in it",
        args.output.display(),
        size(&summary)
    );
    Ok(())
}

/// `tessera restore FILE`.
///
/// # Errors
/// Exit 2 while a server serves from the data dir, for a PostgreSQL deployment, a missing or
/// damaged file, or a master key that does not open the backup's keys.
pub(crate) fn restore(global: &GlobalArgs, args: &RestoreArgs) -> Result<(), CliError> {
    let file = args.file.clone();
    let summary = admin::with_settings(global, |settings| async move {
        backup::restore(&settings, &file, progress("restored"))
            .await
            .map_err(|err| refused(&err))
    })?;
    println!(
        "restored the store from {} ({})",
        args.file.display(),
        size(&summary)
    );
    Ok(())
}

/// Exit 2, with what to do where there is something to do.
fn refused(err: &DeploymentError) -> CliError {
    let error = CliError::usage(err.to_string());
    match err {
        DeploymentError::Busy { .. } => {
            error.with_hint("stop the server first: a restore needs the data dir to itself")
        }
        DeploymentError::MasterKey(_) => error.with_hint(
            "put the master.key of the deployment the backup came from in the data dir, \
             or set TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE",
        ),
        DeploymentError::NoStore(_) => error
            .with_hint("the server prints its data dir when it starts; pass the same --data-dir"),
        _ => error,
    }
}

/// Progress on stderr at a terminal: a line rewritten in place, every tenth of the copy.
fn progress(verb: &'static str) -> impl FnMut(u64, u64) + Send + 'static {
    let shown = std::io::stderr().is_terminal();
    let mut last_tenth = 0;
    move |done, total| {
        if !shown || total == 0 {
            return;
        }
        let tenth = done * 10 / total;
        if tenth > last_tenth || done == total {
            last_tenth = tenth;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{verb} {done} of {total} pages");
            if done == total {
                let _ = writeln!(err);
            }
        }
    }
}

/// The copy's size for people.
fn size(summary: &CopySummary) -> String {
    let kib = summary.bytes.div_ceil(1024);
    if kib >= 10 * 1024 {
        format!("{} MiB, {} pages", kib.div_ceil(1024), summary.pages)
    } else {
        format!("{kib} KiB, {} pages", summary.pages)
    }
}
