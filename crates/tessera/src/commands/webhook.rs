//! `tessera webhook …`: receivers of security events (signed SETs pushed over HTTPS), managed
//! in the deployment's store; the running server delivers to them.

use clap::{Args, Subcommand};
use serde::Serialize;
use tessera_core::model::{Actor, Webhook};

use crate::cli::GlobalArgs;
use crate::commands::{self, admin};
use crate::error::CliError;
use crate::timefmt;

/// Help text of `tessera webhook`.
pub(crate) const WEBHOOK_LONG: &str = "\
Manage the receivers of security events. Every event of the audit trail a receiver asked for
(see `tessera events --help` for the types) is POSTed to it as application/secevent+jwt
(RFC 8935): a Security Event Token (RFC 8417) signed with a key in the server's JWKS, with
`iss` the issuer, `aud` the receiver's URL, `sub_id` naming the user (RFC 9493), `toe` the
event's time, no `exp`, and in `events` the Tessera event (urn:tessera:event:<type>) and,
where one fits, the OpenID CAEP one (session-revoked, credential-change).

Events go to each receiver in order, one at a time, from the moment it was added. An event
is retried with the same `jti` (1, 2, 4 … seconds apart, at most [webhooks] max_backoff,
with jitter) until the receiver answers 2xx; after 50 failed attempts it becomes a dead
letter (listed here) and the next event goes on; `replay` sends the dead letters again.
Deliveries live in the store: they resume within a minute after a restart, and on several
instances each event is delivered by one of them. A receiver must be https, or http on a
loopback host (for development).";

/// Examples of `tessera webhook`.
pub(crate) const WEBHOOK_EXAMPLES: &str = "\
Examples:
  tessera webhook add https://siem.example.com/tessera --event login_failed --event login_throttled
  tessera webhook add https://hooks.example.com/caep --event logout,session_ended,password_changed
  tessera webhook list
  tessera webhook replay wh_Xk2f…
  tessera webhook remove wh_Xk2f…";

/// `tessera webhook …`.
#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Add a receiver; prints {"id": …}.
    Add(AddArgs),
    /// List the receivers and where each stands (pending attempts, dead letters).
    List(ListArgs),
    /// Remove a receiver (what it has not received is not sent).
    Remove(IdArgs),
    /// Send a receiver's dead letters again, in order, with the events after them.
    Replay(IdArgs),
}

/// Arguments of `webhook add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// Where to POST the events (https, or http to localhost)
    #[arg(value_name = "URL")]
    url: String,
    /// An event type to send (repeat, or separate with commas; every type when left out)
    #[arg(long = "event", value_name = "TYPE", value_delimiter = ',')]
    events: Vec<String>,
}

/// Arguments of `webhook list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

/// A receiver's id.
#[derive(Debug, Args)]
pub(crate) struct IdArgs {
    /// The webhook's id (wh_…), as `tessera webhook list` shows it
    #[arg(value_name = "ID")]
    id: String,
}

/// Runs one `tessera webhook` command.
///
/// # Errors
/// Exit 2 for a bad URL or event type, or bad configuration; exit 1 for an unknown id.
pub(crate) fn run(global: &GlobalArgs, command: &WebhookCommand) -> Result<(), CliError> {
    match command {
        WebhookCommand::Add(args) => add(global, args),
        WebhookCommand::List(args) => list(global, args.json),
        WebhookCommand::Remove(args) => remove(global, &args.id),
        WebhookCommand::Replay(args) => replay(global, &args.id),
    }
}

fn add(global: &GlobalArgs, args: &AddArgs) -> Result<(), CliError> {
    let kinds = super::events::kinds(&args.events)?;
    let url = args.url.as_str();
    let webhook = admin::with_deployment(global, |d| async move {
        d.authority()
            .add_webhook(url, &kinds, &Actor::Operator)
            .await
            .map_err(CliError::from)
    })?;
    commands::print(&serde_json::json!({ "id": webhook.id }).to_string())
}

/// A receiver as `list --json` shows it.
#[derive(Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    webhook: &'a Webhook,
    /// The next attempt, RFC 3339.
    next_attempt: String,
}

fn list(global: &GlobalArgs, json: bool) -> Result<(), CliError> {
    let webhooks = admin::with_deployment(global, |d| async move {
        d.authority().webhooks().await.map_err(CliError::from)
    })?;
    if json {
        let listed: Vec<Listed<'_>> = webhooks
            .iter()
            .map(|webhook| Listed {
                webhook,
                next_attempt: webhook.next_attempt_at.to_rfc3339(),
            })
            .collect();
        return commands::print(&admin::json(&listed)?);
    }
    let rows: Vec<Vec<String>> = webhooks.iter().map(row).collect();
    let header = [
        "ID",
        "URL",
        "EVENTS",
        "ADDED",
        "ATTEMPTS",
        "LAST ERROR",
        "DEAD",
    ];
    commands::print(&admin::table(&header, &rows))
}

fn row(webhook: &Webhook) -> Vec<String> {
    let events = if webhook.kinds.is_empty() {
        "all".to_owned()
    } else {
        let names: Vec<&str> = webhook.kinds.iter().map(|k| k.as_str()).collect();
        names.join(",")
    };
    vec![
        webhook.id.to_string(),
        webhook.url.clone(),
        events,
        timefmt::utc(webhook.created_at.secs()),
        webhook.attempts.to_string(),
        webhook.last_error.clone().unwrap_or_else(|| "-".to_owned()),
        webhook.dead_letters.len().to_string(),
    ]
}

fn remove(global: &GlobalArgs, id: &str) -> Result<(), CliError> {
    admin::with_deployment(global, |d| async move {
        d.authority()
            .remove_webhook(id, &Actor::Operator)
            .await
            .map_err(|err| not_found(err, id))
    })?;
    commands::print(&format!("removed webhook {id}"))
}

fn replay(global: &GlobalArgs, id: &str) -> Result<(), CliError> {
    let count = admin::with_deployment(global, |d| async move {
        d.authority()
            .replay_webhook(id)
            .await
            .map_err(|err| not_found(err, id))
    })?;
    commands::print(&match count {
        0 => format!("webhook {id} has no dead letters"),
        n => {
            format!("webhook {id}: {n} dead letters will be sent again, with the events after them")
        }
    })
}

fn not_found(err: tessera_core::AdminError, id: &str) -> CliError {
    CliError::from(err)
        .context(&format!("webhook {id}"))
        .with_hint("`tessera webhook list` shows the webhook ids")
}
