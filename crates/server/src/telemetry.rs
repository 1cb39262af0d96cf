//! Logging: `tracing` with a text (default) or JSON subscriber on stderr, filtered by
//! `RUST_LOG` or the configured filter; and the [`EventSink`] that turns the authority's
//! security events into WARN events and metrics. No token, password, secret or key is
//! ever put in a field.

use std::sync::Arc;

use tessera_core::events::{EventSink, SecurityEvent};
use tracing_subscriber::EnvFilter;

use crate::http::context::in_request;
use crate::metrics::Metrics;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber once: `RUST_LOG` wins over `filter` (for example
/// `"info"` or `"tessera_server=debug,info"`).
///
/// # Errors
/// A malformed filter, or a subscriber already installed.
pub fn init(format: LogFormat, filter: &str) -> Result<(), String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(env) if !env.trim().is_empty() => EnvFilter::try_new(env),
        _ => EnvFilter::try_new(filter),
    }
    .map_err(|err| format!("bad log filter: {err}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    installed.map_err(|err| format!("cannot install the log subscriber: {err}"))
}

/// Logs security events at WARN and counts them.
#[derive(Debug)]
pub struct TracingEvents {
    metrics: Arc<Metrics>,
}

impl TracingEvents {
    /// A sink counting into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }
}

impl EventSink for TracingEvents {
    fn record(&self, event: SecurityEvent) {
        in_request(|| self.log(event));
    }
}

impl TracingEvents {
    /// Counts `event` and logs it at WARN.
    fn log(&self, event: SecurityEvent) {
        match event {
            SecurityEvent::AuditLost { kind, cause } => {
                self.metrics.security_event("audit_lost");
                tracing::error!(event = "audit_lost", %kind, %cause, "an event could not be added to the audit trail");
            }
            SecurityEvent::ClientAuthFailed { client_id } => {
                self.metrics.security_event("client_auth_failed");
                tracing::warn!(event = "client_auth_failed", %client_id, "client authentication failed");
            }
            SecurityEvent::LoginFailed {
                client_id,
                user_id,
                reason,
            } => {
                self.metrics.security_event("login_failed");
                let user_id = user_id.as_ref().map_or("-", |id| id.as_str());
                tracing::warn!(event = "login_failed", %client_id, user_id, %reason, "password login failed");
            }
            SecurityEvent::PasswordChanged { user_id } => {
                self.metrics.security_event("password_changed");
                tracing::warn!(
                    event = "password_changed",
                    %user_id,
                    "password changed; other sessions ended"
                );
            }
            SecurityEvent::RefreshReplayed {
                session_id,
                user_id,
                client_id,
                at,
            } => {
                self.metrics.security_event("refresh_replayed");
                tracing::warn!(
                    event = "refresh_replayed",
                    %session_id,
                    %user_id,
                    %client_id,
                    at = at.secs(),
                    "a rotated refresh token was replayed; its session is revoked"
                );
            }
            other => {
                self.metrics.security_event("other");
                tracing::warn!(event = ?other, "security event");
            }
        }
    }
}
