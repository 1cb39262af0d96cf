//! `tessera user …`: accounts, managed offline in the deployment's store.

use clap::{Args, Subcommand};
use serde::Serialize;
use tessera_core::model::{Actor, Timestamp, User};

use crate::cli::GlobalArgs;
use crate::commands::{self, admin};
use crate::error::CliError;
use crate::timefmt;

/// Help text of `tessera user`.
pub(crate) const USER_LONG: &str = "\
Manage accounts in the deployment's store. There is no need to stop `tessera serve`: run these
where the server runs (or pass its --data-dir / --database-url) and it sees each change at once.
`disable` and `delete` end all of the user's sessions at once. `unlock` lifts a lock-out
after too many failed logins, for every server on the database. `reset-link` prints a
one-time link with which the user sets a new password in the browser (Tessera sends
nothing; hand it over yourself). `mfa NAME` shows a user's second factors and `mfa reset NAME`
removes them (for a user who lost their authenticator); `totp enroll NAME` sets up an
authenticator app at once and prints its otpauth:// URI (users normally enroll on the account
page).";

/// Examples of `tessera user`.
pub(crate) const USER_EXAMPLES: &str = "\
Examples:
  tessera user add alice --email alice@example.com --role admin
  printf '%s' \"$PASSWORD\" | tessera user add bob --password-stdin
  tessera user list --json
  tessera user disable bob
  tessera user set-roles alice --role admin --role auditor
  tessera user reset-link bob
  tessera user unlock alice
  tessera user mfa alice
  tessera user mfa reset alice
  tessera user totp enroll alice";

/// `tessera user …`.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create an account.
    #[command(after_help = "Examples:\n  \
        tessera user add alice --email alice@example.com --role admin\n  \
        printf '%s' \"$PASSWORD\" | tessera user add bob --password-stdin")]
    Add(AddArgs),
    /// List accounts.
    #[command(after_help = "Examples:\n  tessera user list\n  tessera user list --json")]
    List(ListArgs),
    /// Set a user's password; ends all of their sessions.
    #[command(after_help = "Example:\n  \
        printf '%s' \"$NEW_PASSWORD\" | tessera user set-password alice --password-stdin")]
    SetPassword(SetPasswordArgs),
    /// Replace a user's roles (none when no --role is given). Tokens issued from now on,
    /// refreshes included, carry them.
    #[command(after_help = "Examples:\n  \
        tessera user set-roles alice --role admin --role auditor\n  \
        tessera user set-roles bob")]
    SetRoles(SetRolesArgs),
    /// Print a one-time password reset link (valid 24 hours, until used) for the user to
    /// open in a browser; using it ends all of their sessions.
    #[command(after_help = "Example:\n  tessera user reset-link bob")]
    ResetLink(NameArg),
    /// End every session of a user: signed-in browsers and refresh tokens.
    #[command(after_help = "Example:\n  tessera user sign-out bob")]
    SignOut(NameArg),
    /// Disable an account and end all of its sessions.
    #[command(after_help = "Example:\n  tessera user disable alice")]
    Disable(NameArg),
    /// Enable a disabled account again.
    #[command(after_help = "Example:\n  tessera user enable alice")]
    Enable(NameArg),
    /// Lift a lock-out after failed logins and forget those failures.
    #[command(after_help = "Example:\n  tessera user unlock alice")]
    Unlock(NameArg),
    /// Delete an account, its sessions and everything else of theirs.
    #[command(after_help = "Example:\n  tessera user delete alice")]
    Delete(NameArg),
    /// Show a user's second factors (`mfa NAME`), or remove them (`mfa reset NAME`).
    #[command(
        long_about = MFA_LONG,
        after_help = "Examples:\n  \
            tessera user mfa alice\n  \
            tessera user mfa alice --json\n  \
            tessera user mfa reset alice\n  \
            tessera user mfa -- reset      (a user named \"reset\")",
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        disable_help_subcommand = true
    )]
    Mfa(MfaArgs),
    /// Set up a user's authenticator app (TOTP) from the command line.
    #[command(after_help = "Example:\n  tessera user totp enroll alice")]
    Totp {
        /// The totp command to run.
        #[command(subcommand)]
        command: TotpCommand,
    },
}

/// Help text of `tessera user mfa`.
const MFA_LONG: &str = "\
Shows the second factors of a user: their authenticator app (when it was set up, when it last \
gave an accepted code, or that its set-up is not finished) and how many recovery codes they \
have left. Secrets are never shown.

`tessera user mfa reset NAME` removes the authenticator app and the recovery codes of a user \
who lost them, and signs them out of every browser; they sign in with their password alone \
until they set up a new one (users whose role requires a second factor are asked to at once).

`reset` is read as the command: to show a user who is named \"reset\", put `--` before the \
name (`tessera user mfa -- reset`).";

/// Arguments of `user mfa`: a username to show, or the `reset` command.
#[derive(Debug, Args)]
pub(crate) struct MfaArgs {
    /// The username.
    #[arg(value_name = "NAME", required = true)]
    name: Option<String>,
    /// Print a JSON object instead of text (as `GET /admin/users/{name}/factors`).
    #[arg(long)]
    json: bool,
    /// `reset NAME`.
    #[command(subcommand)]
    command: Option<MfaCommand>,
}

/// `tessera user mfa reset`.
#[derive(Debug, Subcommand)]
pub(crate) enum MfaCommand {
    /// Remove a user's authenticator app and recovery codes; signs them out of every browser.
    #[command(after_help = "Example:\n  tessera user mfa reset alice")]
    Reset(NameArg),
}

/// `tessera user totp …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TotpCommand {
    /// Set up an authenticator app for a user at once and print its otpauth:// URI (one
    /// line, for a QR code or a script); the app's first code is accepted.
    #[command(
        long_about = TOTP_ENROLL_LONG,
        after_help = "Examples:\n  \
            tessera user totp enroll alice\n  \
            tessera user totp enroll alice | qrencode -t ansiutf8"
    )]
    Enroll(NameArg),
}

/// Help text of `tessera user totp enroll`.
const TOTP_ENROLL_LONG: &str = "\
Sets up an authenticator app (TOTP, RFC 6238: SHA-1, 6 digits, 30 seconds) for a user at once, \
without waiting for a first code, and prints its otpauth:// URI on one line: for scripted \
enrollment, tests, or a QR code to hand to the user. Users normally enroll themselves on the \
account page, which also gives them recovery codes. From now on the user is asked for a code \
after their password, and the password grant refuses them; they are signed out of every \
browser.

The URI holds the secret: it is printed this once and stored only sealed. A user who already \
has an authenticator app is refused (exit 1): remove it first with `tessera user mfa reset \
NAME`.";

/// Arguments of `user add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// The username (1 to 128 bytes, unique regardless of case).
    #[arg(value_name = "NAME")]
    name: String,
    /// Read the password from stdin (else it is prompted for twice, without echo).
    #[arg(long)]
    password_stdin: bool,
    /// The user's email address.
    #[arg(long, value_name = "EMAIL")]
    email: Option<String>,
    /// A role, copied into the tokens' `roles` claim (repeat for several).
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<String>,
}

/// Arguments of `user list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

/// Arguments of `user set-password`.
#[derive(Debug, Args)]
pub(crate) struct SetPasswordArgs {
    /// The username.
    #[arg(value_name = "NAME")]
    name: String,
    /// Read the password from stdin (else it is prompted for twice, without echo).
    #[arg(long)]
    password_stdin: bool,
}

/// Arguments of `user set-roles`.
#[derive(Debug, Args)]
pub(crate) struct SetRolesArgs {
    /// The username.
    #[arg(value_name = "NAME")]
    name: String,
    /// A role (repeat for several; none removes every role).
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<String>,
}

/// A username.
#[derive(Debug, Args)]
pub(crate) struct NameArg {
    /// The username.
    #[arg(value_name = "NAME")]
    name: String,
}

/// Runs a `user` command.
///
/// # Errors
/// Exit 1 for an unknown or taken username; exit 2 for bad input or configuration.
pub(crate) fn run(global: &GlobalArgs, command: &UserCommand) -> Result<(), CliError> {
    match command {
        UserCommand::Add(args) => add(global, args),
        UserCommand::List(args) => list(global, args),
        UserCommand::SetPassword(args) => set_password(global, args),
        UserCommand::SetRoles(args) => set_roles(global, args),
        UserCommand::ResetLink(args) => reset_link(global, &args.name),
        UserCommand::SignOut(args) => sign_out(global, &args.name),
        UserCommand::Disable(args) => set_disabled(global, &args.name, true),
        UserCommand::Enable(args) => set_disabled(global, &args.name, false),
        UserCommand::Unlock(args) => unlock(global, &args.name),
        UserCommand::Delete(args) => delete(global, &args.name),
        UserCommand::Mfa(MfaArgs {
            command: Some(MfaCommand::Reset(args)),
            ..
        }) => reset_factors(global, &args.name),
        UserCommand::Mfa(args) => show_factors(global, args),
        UserCommand::Totp {
            command: TotpCommand::Enroll(args),
        } => enroll_totp(global, &args.name),
    }
}

fn add(global: &GlobalArgs, args: &AddArgs) -> Result<(), CliError> {
    let password = admin::new_password(args.password_stdin, &args.name)?;
    let user = admin::with_deployment(global, |d| async move {
        d.authority()
            .create_user(
                &args.name,
                &password,
                args.email.as_deref(),
                &args.roles,
                &Actor::Operator,
            )
            .await
            .map_err(CliError::from)
    })?;
    commands::print(&format!("created user {} (id {})", user.username, user.id))
}

/// A user as `user list --json` shows it.
#[derive(Serialize)]
struct UserRow<'a> {
    id: &'a str,
    username: &'a str,
    email: Option<&'a str>,
    roles: &'a [String],
    disabled: bool,
    created_at: i64,
}

fn list(global: &GlobalArgs, args: &ListArgs) -> Result<(), CliError> {
    let users = admin::with_deployment(global, |d| async move {
        d.authority().list_users().await.map_err(CliError::from)
    })?;
    if args.json {
        let rows: Vec<UserRow<'_>> = users.iter().map(row).collect();
        return commands::print(&admin::json(&rows)?);
    }
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                u.username.clone(),
                u.id.to_string(),
                u.email.clone().unwrap_or_else(|| "-".into()),
                if u.roles.is_empty() {
                    "-".into()
                } else {
                    u.roles.join(",")
                },
                if u.disabled { "disabled" } else { "active" }.into(),
                timefmt::utc(u.created_at.secs()),
            ]
        })
        .collect();
    let header = ["USERNAME", "ID", "EMAIL", "ROLES", "STATUS", "CREATED"];
    commands::print(&admin::table(&header, &rows))
}

fn row(user: &User) -> UserRow<'_> {
    UserRow {
        id: &user.id,
        username: &user.username,
        email: user.email.as_deref(),
        roles: &user.roles,
        disabled: user.disabled,
        created_at: user.created_at.secs(),
    }
}

fn set_password(global: &GlobalArgs, args: &SetPasswordArgs) -> Result<(), CliError> {
    let password = admin::new_password(args.password_stdin, &args.name)?;
    admin::with_deployment(global, |d| async move {
        d.authority()
            .set_password(&args.name, &password, &Actor::Operator)
            .await
            .map_err(|err| CliError::from(err).context(&format!("user {}", args.name)))
    })?;
    commands::print(&format!(
        "password of {} changed; all of their sessions ended",
        args.name
    ))
}

fn set_roles(global: &GlobalArgs, args: &SetRolesArgs) -> Result<(), CliError> {
    admin::with_deployment(global, |d| async move {
        d.authority()
            .set_user_roles(&args.name, &args.roles, &Actor::Operator)
            .await
            .map_err(|err| CliError::from(err).context(&format!("user {}", args.name)))
    })?;
    let roles = if args.roles.is_empty() {
        "no roles".to_owned()
    } else {
        args.roles.join(", ")
    };
    commands::print(&format!(
        "{} has {roles}; tokens issued from now on carry them",
        args.name
    ))
}

/// The link is built on the configured issuer, as the server shows it in the console.
fn reset_link(global: &GlobalArgs, name: &str) -> Result<(), CliError> {
    let (link, issuer) = admin::with_deployment(global, |d| async move {
        let authority = d.authority();
        let link = authority
            .password_reset_link(name, &Actor::Operator)
            .await
            .map_err(|err| CliError::from(err).context(&format!("user {name}")))?;
        Ok((link, authority.config().issuer.clone()))
    })?;
    commands::print(&format!(
        "{}/ui/reset?token={}\nworks once, until {}; give it to {name} yourself",
        issuer.trim_end_matches('/'),
        link.token,
        timefmt::utc(link.expires_at.secs())
    ))
}

fn sign_out(global: &GlobalArgs, name: &str) -> Result<(), CliError> {
    let ended = admin::with_deployment(global, |d| async move {
        d.authority()
            .end_user_sessions(name, &Actor::Operator)
            .await
            .map_err(|err| CliError::from(err).context(&format!("user {name}")))
    })?;
    commands::print(&format!("ended {ended} session(s) of {name}"))
}

fn set_disabled(global: &GlobalArgs, name: &str, disabled: bool) -> Result<(), CliError> {
    admin::with_deployment(global, |d| async move {
        d.authority()
            .set_user_disabled(name, disabled, &Actor::Operator)
            .await
            .map_err(|err| CliError::from(err).context(&format!("user {name}")))
    })?;
    commands::print(&if disabled {
        format!("disabled {name}; all of their sessions ended")
    } else {
        format!("enabled {name}")
    })
}

fn delete(global: &GlobalArgs, name: &str) -> Result<(), CliError> {
    admin::with_deployment(global, |d| async move {
        d.authority()
            .delete_user(name, &Actor::Operator)
            .await
            .map_err(|err| CliError::from(err).context(&format!("user {name}")))
    })?;
    commands::print(&format!("deleted {name} and all of their sessions"))
}

/// Works through the store, so it reaches a running server (and all of them on a shared
/// database): the lock-out lives there, not in a server's memory.
fn unlock(global: &GlobalArgs, name: &str) -> Result<(), CliError> {
    let lifted = admin::with_deployment(global, |d| async move {
        d.authority()
            .unlock_user(name, &Actor::Operator)
            .await
            .map_err(|err| CliError::from(err).context(&format!("user {name}")))
    })?;
    commands::print(&if lifted {
        format!("unlocked {name}; their failed logins are forgotten")
    } else {
        format!("{name} was not locked and had no failed logins")
    })
}

/// An authenticator app as `user mfa --json` shows it (the admin API's shape).
#[derive(Serialize)]
struct TotpRow {
    confirmed_at: Option<String>,
    last_used_at: Option<String>,
    pending: bool,
}

/// What `user mfa --json` prints: the object of `GET /admin/users/{name}/factors`.
#[derive(Serialize)]
struct FactorsRow {
    totp: Option<TotpRow>,
    recovery_codes_left: u32,
}

fn show_factors(global: &GlobalArgs, args: &MfaArgs) -> Result<(), CliError> {
    // clap requires NAME when no subcommand is given.
    let name = args.name.as_deref().unwrap_or_default();
    let factors = admin::with_deployment(global, |d| async move {
        let (_, factors) = d
            .authority()
            .user_factors(name)
            .await
            .map_err(|err| CliError::from(err).context(&format!("user {name}")))?;
        Ok(factors)
    })?;
    let has_totp = factors.totp_since.is_some() || factors.totp_pending;
    if args.json {
        let rfc3339 = |at: Option<Timestamp>| at.map(|at| at.to_millis().to_rfc3339());
        let row = FactorsRow {
            totp: has_totp.then(|| TotpRow {
                confirmed_at: rfc3339(factors.totp_since),
                last_used_at: rfc3339(factors.totp_last_used),
                pending: factors.totp_pending,
            }),
            recovery_codes_left: factors.recovery_codes_left,
        };
        return commands::print(&admin::json(&row)?);
    }
    let app = match (factors.totp_since, factors.totp_pending) {
        (Some(since), _) => format!(
            "set up {}, last used {}",
            timefmt::utc(since.secs()),
            factors
                .totp_last_used
                .map_or_else(|| "never".to_owned(), |at| timefmt::utc(at.secs()))
        ),
        (None, true) => "pending (set up but not confirmed by a first code yet)".to_owned(),
        (None, false) => "none".to_owned(),
    };
    commands::print(&format!(
        "second factors of {name}\nauthenticator app: {app}\nrecovery codes left: {}",
        factors.recovery_codes_left
    ))
}

fn reset_factors(global: &GlobalArgs, name: &str) -> Result<(), CliError> {
    let removed = admin::with_deployment(global, |d| async move {
        d.authority()
            .reset_factors(name, &Actor::Operator)
            .await
            .map_err(|err| CliError::from(err).context(&format!("user {name}")))
    })?;
    commands::print(&if removed {
        format!("removed the second factors of {name}; their sessions were ended")
    } else {
        format!("{name} had no second factor")
    })
}

/// The URI goes to stdout only, never to a log: it holds the authenticator's secret.
fn enroll_totp(global: &GlobalArgs, name: &str) -> Result<(), CliError> {
    let uri = admin::with_deployment(global, |d| async move {
        let authority = d.authority();
        let in_context = |err| CliError::from(err).context(&format!("user {name}"));
        // Asked first so that the refusal can name the command that clears the way; the
        // enrollment itself still refuses a factor that appears meanwhile.
        let (_, factors) = authority.user_factors(name).await.map_err(in_context)?;
        if factors.has_second_factor() {
            return Err(CliError::rejected(format!(
                "user {name} already has an authenticator app"
            ))
            .with_code("conflict")
            .with_hint(format!(
                "remove it first with `tessera user mfa reset {name}`, then enroll again"
            )));
        }
        authority
            .enroll_totp_for(name, &Actor::Operator)
            .await
            .map_err(in_context)
    })?;
    commands::print(&uri)?;
    eprintln!(
        "note: the URI holds the authenticator's secret and is not shown again; {name} now \
         needs a code after their password"
    );
    Ok(())
}
