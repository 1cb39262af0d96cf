//! What the offline admin commands share: loading the settings, opening the deployment on a
//! small runtime, mapping domain errors to exit codes, reading passwords, and tables.

use std::future::Future;
use std::io::{self, IsTerminal, Read};
use std::sync::Arc;

use tessera_server::config::{ConfigError, Flags, Settings};
use tessera_server::deployment::{Deployment, DeploymentError};
use zeroize::Zeroizing;

use crate::cli::GlobalArgs;
use crate::error::CliError;

/// The most bytes read as a password from stdin.
const MAX_PASSWORD_INPUT: u64 = 4096;

/// The settings layers with the global flags on top.
pub(crate) fn flags(global: &GlobalArgs) -> Flags {
    let mut flags = Flags::default();
    flags.config_file = global.config.clone();
    flags.data_dir = Some(global.data_dir.clone());
    flags.database_url = global.database_url.clone();
    flags
}

/// A configuration error, exit 2.
pub(crate) fn config_error(err: &ConfigError) -> CliError {
    CliError::usage(format!("configuration: {err}"))
}

/// Runs `work` on the deployment's existing store (never creating one: a missing SQLite
/// database is exit 2 naming the absolute path it looked at).
///
/// # Errors
/// Exit 2 for bad settings or a store that cannot be opened; `work`'s own errors.
pub(crate) fn with_deployment<T, F, Fut>(global: &GlobalArgs, work: F) -> Result<T, CliError>
where
    F: FnOnce(Arc<Deployment>) -> Fut,
    Fut: Future<Output = Result<T, CliError>>,
{
    run_on(global, false, work)
}

/// As [`with_deployment`], but creates the store when missing (`init`, `import`).
///
/// # Errors
/// As [`with_deployment`].
pub(crate) fn creating_deployment<T, F, Fut>(global: &GlobalArgs, work: F) -> Result<T, CliError>
where
    F: FnOnce(Arc<Deployment>) -> Fut,
    Fut: Future<Output = Result<T, CliError>>,
{
    run_on(global, true, work)
}

/// Runs `work` with the settings on a small runtime, without opening the deployment
/// (`backup` and `restore` work on the store's file).
///
/// # Errors
/// Exit 2 for bad settings; `work`'s own errors.
pub(crate) fn with_settings<T, F, Fut>(global: &GlobalArgs, work: F) -> Result<T, CliError>
where
    F: FnOnce(Settings) -> Fut,
    Fut: Future<Output = Result<T, CliError>>,
{
    let settings = Settings::load(&flags(global)).map_err(|err| config_error(&err))?;
    small_runtime()?.block_on(work(settings))
}

/// The one-thread runtime an admin command runs on.
fn small_runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::usage(format!("cannot start the runtime: {err}")))
}

fn run_on<T, F, Fut>(global: &GlobalArgs, create: bool, work: F) -> Result<T, CliError>
where
    F: FnOnce(Arc<Deployment>) -> Fut,
    Fut: Future<Output = Result<T, CliError>>,
{
    let settings = Settings::load(&flags(global)).map_err(|err| config_error(&err))?;
    small_runtime()?.block_on(async {
        let opened = if create {
            Deployment::open(&settings).await
        } else {
            Deployment::open_existing(&settings).await
        };
        let deployment = Arc::new(opened.map_err(|err| deployment_error(&err))?);
        let result = work(Arc::clone(&deployment)).await;
        deployment.close().await;
        result
    })
}

fn deployment_error(err: &DeploymentError) -> CliError {
    let hint = match err {
        DeploymentError::Config(_) => "see docs/configuration.md for the settings",
        DeploymentError::MasterKey(_) => {
            "the master key must be the one the database was made with"
        }
        DeploymentError::NoStore(_) => {
            "the server prints its data dir when it starts; admin commands need the same one"
        }
        _ => "check --data-dir, --database-url and the files' permissions",
    };
    CliError::usage(err.to_string()).with_hint(hint)
}

/// The new password: from stdin with `--password-stdin` (one trailing newline removed),
/// else typed twice at a terminal without echo.
///
/// # Errors
/// Exit 2 when stdin is not a terminal and `--password-stdin` was not given, when the two
/// entries differ, or when the password is empty.
pub(crate) fn new_password(
    from_stdin: bool,
    username: &str,
) -> Result<Zeroizing<String>, CliError> {
    let password = if from_stdin {
        read_stdin_password()?
    } else {
        prompt_twice(username)?
    };
    if password.is_empty() {
        return Err(CliError::usage("the password is empty"));
    }
    Ok(password)
}

fn read_stdin_password() -> Result<Zeroizing<String>, CliError> {
    let mut bytes = Zeroizing::new(Vec::new());
    io::stdin()
        .lock()
        .take(MAX_PASSWORD_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| CliError::usage(format!("cannot read the password from stdin: {err}")))?;
    if bytes.len() as u64 > MAX_PASSWORD_INPUT {
        return Err(CliError::usage("the password on stdin is over 4 KiB"));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::usage("the password on stdin is not UTF-8 text"))?;
    let text = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(text);
    Ok(Zeroizing::new(text.to_owned()))
}

fn prompt_twice(username: &str) -> Result<Zeroizing<String>, CliError> {
    if !io::stdin().is_terminal() {
        return Err(
            CliError::usage("stdin is not a terminal, so no password can be typed")
                .with_hint("pipe the password in with --password-stdin"),
        );
    }
    let failed = |err: io::Error| CliError::usage(format!("cannot read the password: {err}"));
    let first = Zeroizing::new(
        rpassword::prompt_password(format!("New password for {username}: ")).map_err(failed)?,
    );
    let second =
        Zeroizing::new(rpassword::prompt_password("Repeat the password: ").map_err(failed)?);
    if first != second {
        return Err(CliError::usage("the two passwords differ").with_hint("run the command again"));
    }
    Ok(first)
}

/// Renders rows as a table with a header, columns separated by two spaces.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|row| line(row.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// Pretty JSON of a serializable listing.
pub(crate) fn json(value: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map_err(|err| CliError::usage(format!("cannot render JSON: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let text = table(
            &["NAME", "ID"],
            &[
                vec!["alice".into(), "u1".into()],
                vec!["b".into(), "u2".into()],
            ],
        );
        assert_eq!(text, "NAME   ID\nalice  u1\nb      u2");
    }
}
