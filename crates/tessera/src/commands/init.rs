//! `tessera init`: creates a deployment's store (the data dir, the database, the master key
//! and the first signing key) without serving. Admin commands never create a store, so that
//! one run in the wrong directory fails instead of quietly making an empty one.

use clap::Args;
use tessera_server::deployment::absolute;

use crate::cli::GlobalArgs;
use crate::commands::{self, admin};
use crate::error::CliError;

/// Help text of `tessera init`.
pub(crate) const INIT_LONG: &str = "\
Create the deployment's store where the settings point (by default ./tessera-data: a SQLite
database, a master key file readable only by you, and a first signing key), without serving.
`tessera serve` does the same on its first start; the admin commands (user, client, keys,
export) never create a store. Running init on an existing store changes nothing.";

/// Examples of `tessera init`.
pub(crate) const INIT_EXAMPLES: &str = "\
Examples:
  tessera init
  tessera --data-dir /var/lib/tessera init
  TESSERA_DATABASE_URL=postgres://tessera@db.internal/tessera tessera init";

/// Arguments of `tessera init` (none of its own).
#[derive(Debug, Args)]
pub(crate) struct InitArgs {}

/// Runs `tessera init`.
///
/// # Errors
/// Exit 2 for bad settings or a store that cannot be created.
pub(crate) fn run(global: &GlobalArgs, _args: &InitArgs) -> Result<(), CliError> {
    let (created, data_dir) = admin::creating_deployment(global, |d| async move {
        Ok((d.first_start, d.settings().data_dir.clone()))
    })?;
    let dir = absolute(&data_dir);
    let line = if created {
        format!("created a new Tessera store in {}", dir.display())
    } else {
        format!(
            "a Tessera store already exists in {}; nothing changed",
            dir.display()
        )
    };
    commands::print(&format!("{line}\n"))
}
