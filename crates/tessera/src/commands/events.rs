//! `tessera events`: the audit trail, read from the deployment's store (so it works with the
//! server stopped, and on PostgreSQL sees every instance's events).

use std::time::Duration;

use clap::Args;
use tessera_core::Clock as _;
use tessera_core::model::{AuditEvent, EventKind, EventQuery, UnixMillis};
use tessera_server::config::duration;

use crate::cli::GlobalArgs;
use crate::commands::{self, admin};
use crate::error::CliError;

/// How often `--follow` looks for new events.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// Help text of `tessera events`.
pub(crate) const EVENTS_LONG: &str = "\
Print the audit trail: sign-ins and their failures (with the reason, client and address),
lock-outs, logouts, refresh-token and code replays, revocations, password changes, and every
change made by an administrator (who, through the admin API) or an operator (`cli`), oldest
first. Events name accounts and clients by id; they never hold a password, a secret or a
token, nor a username typed at a failed login.

Types: login_succeeded, login_failed, login_throttled, logout, session_ended,
refresh_replayed, code_replayed, token_revoked, password_changed, user_created,
user_updated, user_deleted, user_unlocked, client_created, client_removed, keys_rotated,
key_retired, imported, webhook_added, webhook_removed.

The trail is kept for [audit] retention (90 days by default) and at most [audit] max_events
events; the server purges older ones in the background. GET /admin/events serves the same
events over HTTP.";

/// Examples of `tessera events`.
pub(crate) const EVENTS_EXAMPLES: &str = "\
Examples:
  tessera events --since 15m
  tessera events --type login_failed --type login_throttled --since 2026-12-07T00:00:00Z
  tessera events --follow --json | jq -c 'select(.type == \"login_failed\")'";

/// Arguments of `tessera events`.
#[derive(Debug, Args)]
pub(crate) struct EventsArgs {
    /// Only events from this time on: RFC 3339 (2026-12-07T09:00:00Z) or a duration ago (15m, 2h, 7d)
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only events before this time (RFC 3339 or a duration ago)
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only events of this type (repeat, or separate with commas)
    #[arg(long = "type", value_name = "TYPE", value_delimiter = ',')]
    types: Vec<String>,
    /// Only events about this account id (u_…)
    #[arg(long, value_name = "USER_ID")]
    user: Option<String>,
    /// Only events involving this client id
    #[arg(long, value_name = "CLIENT_ID")]
    client: Option<String>,
    /// Keep printing new events as they happen (until interrupted)
    #[arg(long, short)]
    follow: bool,
    /// One JSON object a line: id, type, time, and user, client, ip, actor, detail where set
    #[arg(long)]
    json: bool,
}

/// Prints the events that pass the filters, then (with `--follow`) new ones as they come.
///
/// # Errors
/// Exit 2 for a malformed filter or bad configuration; the store's errors.
pub(crate) fn events(global: &GlobalArgs, args: &EventsArgs) -> Result<(), CliError> {
    let now = UnixMillis::from_millis(tessera_core::SystemClock.now_millis());
    let mut query = EventQuery {
        kinds: kinds(&args.types)?,
        user: args.user.as_deref().map(Into::into),
        client: args.client.as_deref().map(Into::into),
        since: args
            .since
            .as_deref()
            .map(|t| instant(t, now, "--since"))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|t| instant(t, now, "--until"))
            .transpose()?,
        ..EventQuery::default()
    };
    let (follow, json) = (args.follow, args.json);
    admin::with_deployment(global, |d| async move {
        loop {
            let page = d.authority().events(&query).await?;
            for event in &page {
                commands::print(&line(event, json)?)?;
            }
            if let Some(last) = page.last() {
                query.after = last.id;
            }
            let full = u32::try_from(page.len()).is_ok_and(|n| n == query.page_size());
            match (full, follow) {
                (true, _) => {}
                (false, true) => tokio::time::sleep(FOLLOW_EVERY).await,
                (false, false) => return Ok(()),
            }
        }
    })
}

/// Parses event type names (`--type`, `webhook add --event`).
///
/// # Errors
/// Exit 2 naming an unknown type.
pub(crate) fn kinds(names: &[String]) -> Result<Vec<EventKind>, CliError> {
    names
        .iter()
        .map(|name| name.trim())
        .filter(|name| !name.is_empty())
        .map(|name| {
            name.parse::<EventKind>().map_err(|_| {
                CliError::usage(format!("unknown event type {name:?}"))
                    .with_hint("`tessera events --help` lists the types")
            })
        })
        .collect()
}

/// Reads an RFC 3339 time, or a duration counted back from `now`.
fn instant(text: &str, now: UnixMillis, flag: &str) -> Result<UnixMillis, CliError> {
    if let Some(at) = UnixMillis::parse_rfc3339(text) {
        return Ok(at);
    }
    duration::parse(text)
        .map(|ago| now.minus(ago))
        .map_err(|_| {
            CliError::usage(format!("{flag} {text:?} is neither a time nor a duration"))
                .with_hint("use RFC 3339 (2026-12-07T09:00:00Z) or a duration ago (15m, 2h, 7d)")
        })
}

/// One event as a line: JSON, or `TIME TYPE key=value… (detail)`.
fn line(event: &AuditEvent, json: bool) -> Result<String, CliError> {
    if json {
        return serde_json::to_string(event)
            .map_err(|err| CliError::usage(format!("cannot encode an event: {err}")));
    }
    let mut text = format!("{}  {:<16}", event.at.to_rfc3339(), event.kind.as_str());
    let fields = [
        ("user", event.user.as_ref().map(|u| u.as_str().to_owned())),
        (
            "client",
            event.client.as_ref().map(|c| c.as_str().to_owned()),
        ),
        ("ip", event.ip.map(|ip| ip.to_string())),
        ("by", event.actor.as_ref().map(|a| a.as_str().to_owned())),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            text.push_str(&format!("  {name}={value}"));
        }
    }
    if let Some(detail) = &event.detail {
        text.push_str(&format!("  ({detail})"));
    }
    Ok(text.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_durations_ago() {
        let now = UnixMillis::from_millis(1_700_000_000_000);
        assert_eq!(
            instant("15m", now, "--since").expect("duration").millis(),
            1_700_000_000_000 - 900_000
        );
        assert_eq!(
            instant("2023-11-14T22:13:20Z", now, "--since").expect("time"),
            now
        );
        assert!(instant("yesterday", now, "--since").is_err());
        assert!(kinds(&["login_failed".into(), "nope".into()]).is_err());
        assert_eq!(
            kinds(&["logout".into()]).expect("kinds"),
            [EventKind::Logout]
        );
    }
}
