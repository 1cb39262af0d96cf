//! `tessera doctor`: checks a deployment the way an operator would, one line per check
//! (`ok`, `warn`, `fail` or `skip`) with what to fix: the configuration, the database and its
//! migrations, the data dir and master key permissions, the signing key schedule, and, over
//! the network, the issuer's metadata, its TLS and the clock. `--healthz URL` only probes a
//! URL (a container's HEALTHCHECK).
//!
//! This module has the command, the report and the order of the checks; `local` checks
//! what is on this host (configuration, store, data dir, master key, signing keys), and
//! `network` what answers over the network (issuer, TLS, clock, `--healthz`).

mod local;
mod network;

use clap::Args;
use serde::Serialize;
use tessera_server::config::Settings;

use crate::cli::GlobalArgs;
use crate::commands::{self, admin};
use crate::error::CliError;

/// Help text of `tessera doctor`.
pub(crate) const DOCTOR_LONG: &str = "\
Check a deployment and say what to fix, one line per check: ok, warn, fail, or skip (not \
checked, and why). It reads the same --data-dir, --database-url, --config and TESSERA_* \
settings as the server.

  config      the settings load and are valid
  database    the database answers and no migration is pending
  data-dir    the data dir is not writable by group or others
  master-key  the master key is there, its file is mode 0600, and it opens the stored keys
  keys        a key signs, within keys.rotate_every; the next key in time; nothing overdue
  issuer      <issuer>/.well-known/openid-configuration answers with the configured issuer
  tls         https with a certificate this host trusts (plain http: loopback only)
  clock       this host's clock agrees with the issuer's Date header (within 5 s)

Like the other admin commands, doctor opens the store through the authority, which applies \
the key rotation steps that are due (as the server does every maintenance interval); it \
changes nothing else, and does not open a store whose migrations are pending. --offline \
skips the network checks.

--healthz URL only fetches URL and expects 200: a health check for containers, where no curl \
is installed.

Exit codes: 0 nothing failed (warnings allowed); 2 a check failed, or bad usage.";

/// Examples of `tessera doctor`.
pub(crate) const DOCTOR_EXAMPLES: &str = "\
Examples:
  tessera doctor
  tessera --data-dir /var/lib/tessera doctor --issuer https://auth.example.com
  tessera doctor --offline --json
  tessera doctor --healthz http://127.0.0.1:8080/healthz";

/// Arguments of `tessera doctor`.
#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// The issuer to check [default: server.issuer from the settings]
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// Skip the checks that need the network (issuer, TLS, clock).
    #[arg(long)]
    offline: bool,
    /// Print the checks as one JSON object.
    #[arg(long)]
    json: bool,
    /// Only fetch URL and expect 200 (a container's HEALTHCHECK); nothing else is checked.
    #[arg(long, value_name = "URL", conflicts_with_all = ["issuer", "offline"])]
    healthz: Option<String>,
}

/// How a check came out.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    /// Nothing to do.
    Ok,
    /// Works, but should be fixed.
    Warn,
    /// Broken, or unsafe: exit 2.
    Fail,
    /// Not checked (offline, or an earlier check failed).
    Skip,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Skip => "skip",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    status: Status,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

impl Check {
    fn new(name: &'static str, status: Status, message: impl Into<String>) -> Self {
        Self {
            name,
            status,
            message: message.into(),
            fix: None,
        }
    }

    fn ok(name: &'static str, message: impl Into<String>) -> Self {
        Self::new(name, Status::Ok, message)
    }

    fn skip(name: &'static str, message: impl Into<String>) -> Self {
        Self::new(name, Status::Skip, message)
    }

    fn warn(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(name, Status::Warn, message).with_fix(fix)
    }

    fn fail(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(name, Status::Fail, message).with_fix(fix)
    }

    fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// `ok    config      …; fix: …`
    fn line(&self) -> String {
        let mut line = format!(
            "{:<4}  {:<10}  {}",
            self.status.name(),
            self.name,
            self.message
        );
        if let Some(fix) = &self.fix {
            line.push_str("; fix: ");
            line.push_str(fix);
        }
        line
    }
}

/// What `--json` prints.
#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    checks: &'a [Check],
}

/// Runs `tessera doctor`.
///
/// # Errors
/// Exit 2 when a check failed (after printing every check), or the runtime cannot start.
pub(crate) fn run(global: &GlobalArgs, args: &DoctorArgs) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::usage(format!("cannot start the runtime: {err}")))?;
    let checks = match &args.healthz {
        Some(url) => vec![runtime.block_on(network::healthz(url))],
        None => runtime.block_on(every_check(global, args)),
    };
    report(&checks, args.json)
}

/// Prints the checks; a failed one makes the command fail (exit 2) with one line on stderr.
fn report(checks: &[Check], json: bool) -> Result<(), CliError> {
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.name)
        .collect();
    if json {
        let ok = failed.is_empty();
        commands::print(&admin::json(&Report { ok, checks })?)?;
    } else {
        for check in checks {
            commands::print(&check.line())?;
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "{} of {} checks failed: {}",
        failed.len(),
        checks.len(),
        failed.join(", ")
    ))
    .with_hint("do what the lines marked fail say, then run `tessera doctor` again"))
}

/// The whole check-up, in order; a check that cannot run says why.
async fn every_check(global: &GlobalArgs, args: &DoctorArgs) -> Vec<Check> {
    let mut flags = admin::flags(global);
    flags.issuer = args.issuer.clone();
    let settings = match Settings::load(&flags) {
        Ok(settings) => settings,
        Err(err) => {
            return without_settings(Check::fail("config", err.to_string(), local::CONFIG_FIX));
        }
    };
    let config = local::config_check(&settings, global);
    if config.status == Status::Fail {
        return without_settings(config);
    }
    let mut checks = vec![config];
    checks.extend(local::store_checks(&settings).await);
    checks.extend(network::network_checks(&settings.server.issuer, args.offline).await);
    checks
}

/// A failed configuration, and the checks that need one.
fn without_settings(config: Check) -> Vec<Check> {
    let mut checks = vec![config];
    for name in [
        "database",
        "data-dir",
        "master-key",
        "keys",
        "issuer",
        "tls",
        "clock",
    ] {
        checks.push(Check::skip(name, "needs settings that load"));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_status_check_and_fix() {
        let check = Check::fail("master-key", "mode 0644", "chmod 600 master.key");
        assert_eq!(
            check.line(),
            "fail  master-key  mode 0644; fix: chmod 600 master.key"
        );
        assert_eq!(Check::ok("tls", "fine").line(), "ok    tls         fine");
    }
}
