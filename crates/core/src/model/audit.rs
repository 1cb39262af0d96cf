//! The audit trail: what happened, to whom, by whom, from where. Records carry ids and reason
//! codes, never a username typed at a login form, a password, a secret or a token.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{ClientId, UnixMillis, UserId};

/// Declares [`EventKind`] with its wire names (DESIGN.md keeps the log event names).
macro_rules! event_kinds {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What kind of security event a record is.
        #[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
        #[non_exhaustive]
        pub enum EventKind {
            $($(#[$doc])* $variant,)*
        }

        impl EventKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];

            /// The name stored, logged and shown (`login_failed`, …).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

event_kinds! {
    /// A user signed in with a password (password grant or the login page).
    LoginSucceeded => "login_succeeded",
    /// A password sign-in failed (`detail`: `unknown_user`, `wrong_password`, `disabled`).
    LoginFailed => "login_failed",
    /// A sign-in was refused before its password was checked (`detail`: `account_locked`
    /// or `address_throttled`).
    LoginThrottled => "login_throttled",
    /// A user signed out, or an access token's session was ended by its holder.
    Logout => "logout",
    /// A user ended one of their sessions, or an administrator ended one.
    SessionEnded => "session_ended",
    /// A rotated refresh token came back: its whole session was revoked.
    RefreshReplayed => "refresh_replayed",
    /// An exchanged authorization code came back: its tokens were revoked.
    CodeReplayed => "code_replayed",
    /// A token was revoked at the revocation endpoint (`detail`: `access_token` or
    /// `refresh_token`).
    TokenRevoked => "token_revoked",
    /// A password was changed (by its user, set by an administrator, or through a reset
    /// link: `detail` `reset_link`).
    PasswordChanged => "password_changed",
    /// An administrator made a password reset link for an account.
    PasswordResetIssued => "password_reset_issued",
    /// An account was created.
    UserCreated => "user_created",
    /// An account was disabled or enabled, or its roles changed (`detail`: `disabled`,
    /// `enabled` or `roles`).
    UserUpdated => "user_updated",
    /// An account was deleted.
    UserDeleted => "user_deleted",
    /// An account's failed logins were forgotten and its lock-out lifted.
    UserUnlocked => "user_unlocked",
    /// A client was registered.
    ClientCreated => "client_created",
    /// A client's settings were changed (`detail`: the settings, space-separated) or it
    /// was given a new secret (`detail`: `secret`).
    ClientUpdated => "client_updated",
    /// A client was removed.
    ClientRemoved => "client_removed",
    /// Signing keys were rotated (by an operator, or on schedule by `system`).
    KeysRotated => "keys_rotated",
    /// A signing key was retired (`detail`: its `kid`).
    KeyRetired => "key_retired",
    /// Users, clients and keys were imported (`detail`: how many of each).
    Imported => "imported",
    /// A second factor was set up (`detail`: `totp`, or `recovery_codes` when new codes
    /// replaced the old ones).
    FactorAdded => "factor_added",
    /// Second factors were removed (`detail`: `totp` by the user, `all` by an
    /// administrator's reset).
    FactorRemoved => "factor_removed",
    /// A user allowed or denied a device's request at `/ui/device` (`detail`: `allowed` or
    /// `denied`; `client`: the device's client).
    DeviceDecided => "device_decided",
    /// A security-event receiver was added (`detail`: its id).
    WebhookAdded => "webhook_added",
    /// A security-event receiver was removed (`detail`: its id).
    WebhookRemoved => "webhook_removed",
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == name)
            .ok_or(UnknownEventKind)
    }
}

/// A name that is no [`EventKind`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct UnknownEventKind;

impl fmt::Display for UnknownEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown event type (see `tessera events --help` for the list)")
    }
}

impl std::error::Error for UnknownEventKind {}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Who made a change.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Actor {
    /// A signed-in account: an administrator through the admin API, or a user on their
    /// own account.
    User(UserId),
    /// An operator with access to the host, through the `tessera` command line.
    Operator,
    /// The server itself (scheduled key rotation).
    System,
}

impl Actor {
    /// The text stored and shown: the account's id, `cli` or `system`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::User(id) => id.as_str(),
            Self::Operator => "cli",
            Self::System => "system",
        }
    }

    /// Reads [`Self::as_str`] back.
    pub fn parse(text: &str) -> Self {
        match text {
            "cli" => Self::Operator,
            "system" => Self::System,
            id => Self::User(UserId::new(id)),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(deserializer)?))
    }
}

/// The longest `detail` kept, in bytes (reason codes and kids are far shorter).
pub const MAX_DETAIL_LEN: usize = 200;

/// One event to append to the trail.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// The account it concerns.
    pub user: Option<UserId>,
    /// The client involved.
    pub client: Option<ClientId>,
    /// The address of the request that caused it.
    pub ip: Option<IpAddr>,
    /// Who did it, for changes.
    pub actor: Option<Actor>,
    /// A reason code or a name (a `kid`), at most [`MAX_DETAIL_LEN`] bytes.
    pub detail: Option<String>,
}

impl NewEvent {
    /// An event of `kind` with nothing else known yet.
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            user: None,
            client: None,
            ip: None,
            actor: None,
            detail: None,
        }
    }

    /// Names the account.
    pub fn user(mut self, user: &UserId) -> Self {
        self.user = Some(user.clone());
        self
    }

    /// Names the client.
    pub fn client(mut self, client: &ClientId) -> Self {
        self.client = Some(client.clone());
        self
    }

    /// Records the request's address.
    pub fn ip(mut self, ip: Option<IpAddr>) -> Self {
        self.ip = ip;
        self
    }

    /// Names who did it.
    pub fn by(mut self, actor: &Actor) -> Self {
        self.actor = Some(actor.clone());
        self
    }

    /// Adds a reason code or name, cut to [`MAX_DETAIL_LEN`] bytes.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        let mut detail = detail.into();
        if detail.len() > MAX_DETAIL_LEN {
            let mut end = MAX_DETAIL_LEN;
            while !detail.is_char_boundary(end) {
                end -= 1;
            }
            detail.truncate(end);
        }
        self.detail = Some(detail);
        self
    }
}

/// An event as the trail keeps it. Serialized as the admin API and `tessera events --json`
/// show it: `id`, `type`, `time` (RFC 3339), then `user`, `client`, `ip`, `actor` and
/// `detail` where they apply.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct AuditEvent {
    /// Its place in the trail: later events have larger ids (the pagination cursor).
    pub id: i64,
    /// What happened.
    pub kind: EventKind,
    /// When.
    pub at: UnixMillis,
    /// The account it concerns.
    pub user: Option<UserId>,
    /// The client involved.
    pub client: Option<ClientId>,
    /// The address of the request that caused it.
    pub ip: Option<IpAddr>,
    /// Who did it: an account id, `cli` or `system`.
    pub actor: Option<Actor>,
    /// A reason code or name.
    pub detail: Option<String>,
}

/// The serialized shape of an [`AuditEvent`].
#[derive(Serialize)]
struct EventView<'a> {
    /// Its place in the trail (the pagination cursor).
    id: i64,
    /// What happened (`login_failed`, …).
    #[serde(rename = "type")]
    kind: &'static str,
    /// When, RFC 3339 in UTC.
    time: String,
    /// The account it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    /// The client involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<&'a str>,
    /// The address of the request that caused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    /// Who did it: an account id, `cli` or `system`.
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<&'a str>,
    /// A reason code or name.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

impl Serialize for AuditEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EventView {
            id: self.id,
            kind: self.kind.as_str(),
            time: self.at.to_rfc3339(),
            user: self.user.as_ref().map(UserId::as_str),
            client: self.client.as_ref().map(ClientId::as_str),
            ip: self.ip.map(|ip| ip.to_string()),
            actor: self.actor.as_ref().map(Actor::as_str),
            detail: self.detail.as_deref(),
        }
        .serialize(serializer)
    }
}

/// The most events one query answers.
pub const MAX_EVENT_PAGE: u32 = 1000;

/// Which events to read: every filter set must match. Results come oldest first.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct EventQuery {
    /// Only events after this id (the cursor of the previous page).
    pub after: i64,
    /// Only events of these kinds (any kind when empty).
    pub kinds: Vec<EventKind>,
    /// Only events about this account.
    pub user: Option<UserId>,
    /// Only events involving this client.
    pub client: Option<ClientId>,
    /// Only events at or after this instant.
    pub since: Option<UnixMillis>,
    /// Only events before this instant.
    pub until: Option<UnixMillis>,
    /// At most this many (capped at [`MAX_EVENT_PAGE`]; 0 means the cap).
    pub limit: u32,
}

impl EventQuery {
    /// The page size to use: `limit` within 1..=[`MAX_EVENT_PAGE`].
    pub fn page_size(&self) -> u32 {
        match self.limit {
            0 => MAX_EVENT_PAGE,
            n => n.min(MAX_EVENT_PAGE),
        }
    }

    /// True when `event` passes every filter but `after` and `limit` (for stores that
    /// filter in code).
    pub fn matches(&self, event: &AuditEvent) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&event.kind))
            && self
                .user
                .as_ref()
                .is_none_or(|u| event.user.as_ref() == Some(u))
            && self
                .client
                .as_ref()
                .is_none_or(|c| event.client.as_ref() == Some(c))
            && self.since.is_none_or(|t| event.at >= t)
            && self.until.is_none_or(|t| event.at < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(*kind));
        }
        assert_eq!("login".parse::<EventKind>(), Err(UnknownEventKind));
    }

    #[test]
    fn actors_round_trip_through_their_text() {
        for actor in [
            Actor::Operator,
            Actor::System,
            Actor::User(UserId::new("u_1")),
        ] {
            assert_eq!(Actor::parse(actor.as_str()), actor);
        }
    }

    #[test]
    fn a_long_detail_is_cut_on_a_character_boundary() {
        let event = NewEvent::new(EventKind::KeyRetired).detail("é".repeat(MAX_DETAIL_LEN));
        let detail = event.detail.expect("detail");
        assert!(detail.len() <= MAX_DETAIL_LEN);
        assert!(detail.chars().all(|c| c == 'é'));
    }

    #[test]
    fn a_page_is_never_empty_nor_unbounded() {
        let mut query = EventQuery::default();
        assert_eq!(query.page_size(), MAX_EVENT_PAGE);
        query.limit = 5;
        assert_eq!(query.page_size(), 5);
        query.limit = u32::MAX;
        assert_eq!(query.page_size(), MAX_EVENT_PAGE);
    }
}
