//! `tessera migrate [--check]`: bring the deployment's database schema up to date, or only
//! list what is missing. `tessera serve` applies the same migrations at start; this command
//! lets an operator apply them first (during an upgrade) or check them from a script.

use tessera_server::config::Settings;
use tessera_server::deployment::{self, DeploymentError, Migration};

use crate::cli::GlobalArgs;
use crate::commands::{self, admin};
use crate::error::CliError;

/// The long help of `tessera migrate`.
pub(crate) const MIGRATE_LONG: &str = "\
Bring the database schema up to date: apply the migrations this version ships that the \
database lacks, oldest first, and print each one applied. `tessera serve` does the same at \
start, so this is only needed to migrate ahead of an upgrade, or from one place while several \
instances wait. On PostgreSQL the migrations run under an advisory lock, so instances and \
this command starting together apply each migration once.

With --check nothing is changed (not even a missing data dir or database file is created): \
the pending migrations are listed, and the exit code says whether there are any.

Exit codes: 0 the schema is up to date (with --check: nothing is pending); 1 with --check: \
some migrations are pending; 2 bad usage or configuration, or the database cannot be reached \
or holds a schema from a newer version.";

/// The examples of `tessera migrate`.
pub(crate) const MIGRATE_EXAMPLES: &str = "\
Examples:
  tessera migrate
  tessera --database-url postgres://tessera@db.internal/tessera migrate
  # in a deployment script: migrate only when something is pending
  tessera migrate --check || tessera migrate";

/// Arguments of `tessera migrate`.
#[derive(Debug, clap::Args)]
pub(crate) struct MigrateArgs {
    /// List the pending migrations and exit 1 if there are any, 0 if none; change nothing.
    #[arg(long)]
    pub(crate) check: bool,
}

/// Runs `tessera migrate`.
///
/// # Errors
/// Exit 1 when `--check` finds pending migrations; exit 2 for bad settings, or a database
/// that cannot be reached or migrated.
pub(crate) fn run(global: &GlobalArgs, args: &MigrateArgs) -> Result<(), CliError> {
    let settings =
        Settings::load(&admin::flags(global)).map_err(|err| admin::config_error(&err))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::usage(format!("cannot start the runtime: {err}")))?;
    if args.check {
        let pending = runtime
            .block_on(deployment::pending_migrations(&settings))
            .map_err(|err| store_error(&err))?;
        report_pending(&pending)
    } else {
        let applied = runtime
            .block_on(deployment::migrate(&settings))
            .map_err(|err| store_error(&err))?;
        report_applied(&applied)
    }
}

fn report_pending(pending: &[Migration]) -> Result<(), CliError> {
    if pending.is_empty() {
        return commands::print("the database schema is up to date: nothing is pending");
    }
    for migration in pending {
        commands::print(&format!("pending {}", describe(migration)))?;
    }
    Err(CliError::rejected(format!(
        "{} migration{} pending",
        pending.len(),
        if pending.len() == 1 { " is" } else { "s are" }
    ))
    .with_hint("run `tessera migrate`, or start the server, which applies them"))
}

fn report_applied(applied: &[Migration]) -> Result<(), CliError> {
    if applied.is_empty() {
        return commands::print("the database schema is up to date: nothing to apply");
    }
    for migration in applied {
        commands::print(&format!("applied {}", describe(migration)))?;
    }
    Ok(())
}

/// `0002 login lockouts`: the number as in the migration's file name.
fn describe(migration: &Migration) -> String {
    format!("{:04} {}", migration.version, migration.description)
}

fn store_error(err: &DeploymentError) -> CliError {
    CliError::usage(err.to_string())
        .with_hint("check --data-dir, --database-url and that the database answers")
}
