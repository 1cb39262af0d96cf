//! Receivers of security events (RFC 8935 push delivery of RFC 8417 SETs) and where each
//! stands in the audit trail.

use serde::Serialize;

use super::{EventKind, Timestamp, UnixMillis, WebhookId};

/// The most given-up events a receiver keeps for a replay.
pub const MAX_DEAD_LETTERS: usize = 100;

/// A receiver and its delivery state. Events go to it in the trail's order, one at a time:
/// the next is sent when the previous was delivered or given up.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Where SETs are POSTed (`https`, or `http` to a loopback host).
    pub url: String,
    /// The event types it receives; every type when empty.
    #[serde(rename = "events")]
    pub kinds: Vec<EventKind>,
    /// When it was added (it receives the events recorded after).
    pub created_at: Timestamp,
    /// The id of the last event delivered, given up or not meant for it.
    pub cursor: i64,
    /// Failed attempts at the next event.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: UnixMillis,
    /// Why the last attempt failed (a status code or a transport error, never a body).
    pub last_error: Option<String>,
    /// Events given up after every retry (dead letters), oldest first, at most
    /// [`MAX_DEAD_LETTERS`]; `tessera webhook replay` sends them again.
    pub dead_letters: Vec<i64>,
}

impl Webhook {
    /// True when it receives events of `kind`.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}
