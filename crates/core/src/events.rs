//! Security events, handed to the caller to log and count (this crate does no logging).
//!
//! Events carry ids, never usernames, passwords or tokens: a mistyped username is often a
//! password.

use std::fmt;

use crate::model::{ClientId, LoginSessionId, SessionId, Timestamp, UserId};

/// Something an operator should be able to see in logs and metrics.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum SecurityEvent {
    /// An event could not be added to the audit trail (the store failed after the change it
    /// records was committed).
    AuditLost {
        /// The event's kind.
        kind: crate::model::EventKind,
        /// The store's error.
        cause: String,
    },
    /// A client failed to authenticate (unknown id, wrong or missing secret).
    ClientAuthFailed {
        /// The `client_id` presented.
        client_id: String,
    },
    /// An authorization code was presented again after it had been exchanged: it was
    /// probably stolen, and the tokens issued from it have been revoked.
    CodeReplayed {
        /// The client that presented it.
        client_id: ClientId,
        /// The revoked session (refresh family).
        session_id: SessionId,
    },
    /// A browser sign-in session ended, and its clients are being told.
    BrowserSessionEnded {
        /// The session's public id (`sid`).
        login_session_id: LoginSessionId,
        /// Its user.
        user_id: UserId,
        /// Why.
        reason: EndReason,
    },
    /// A password login failed.
    LoginFailed {
        /// The client used.
        client_id: ClientId,
        /// The account, when the username exists.
        user_id: Option<UserId>,
        /// Why (for logs only; the response never tells).
        reason: LoginFailure,
    },
    /// A user's second factors changed (`change`: `totp_added`, `recovery_codes`,
    /// `removed`); their other sessions were ended.
    FactorsChanged {
        /// The account.
        user_id: UserId,
        /// What changed.
        change: &'static str,
    },
    /// A user changed their password; their other sessions were ended.
    PasswordChanged {
        /// The account.
        user_id: UserId,
    },
    /// A refresh token was presented again after it had been rotated, outside the grace
    /// window: it was probably stolen, and its whole session has been revoked.
    RefreshReplayed {
        /// The revoked session.
        session_id: SessionId,
        /// Its user.
        user_id: UserId,
        /// The client that presented the token.
        client_id: ClientId,
        /// When.
        at: Timestamp,
    },
}

/// Why a password login failed.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum LoginFailure {
    /// The account is disabled.
    Disabled,
    /// No account has this username.
    UnknownUser,
    /// The password is wrong.
    WrongPassword,
    /// The password was right, but the second factor's code was wrong or used.
    WrongCode,
}

/// Why a browser sign-in session ended.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum EndReason {
    /// The user signed out (RP-initiated logout, the account page).
    Logout,
    /// The user changed their password (other sessions end).
    PasswordChanged,
    /// An administrator disabled, deleted or signed out the account, or reset its password.
    Admin,
    /// A refresh token or code of the session was replayed: it was probably stolen.
    Replay,
    /// Another user signed in in the same browser.
    Replaced,
    /// The user's second factors changed (added, removed or reset).
    FactorsChanged,
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Logout => "logout",
            Self::PasswordChanged => "password_changed",
            Self::Admin => "admin",
            Self::Replay => "replay",
            Self::Replaced => "replaced",
            Self::FactorsChanged => "factors_changed",
        })
    }
}

/// Receives [`SecurityEvent`]s (the server logs them and counts them in metrics).
pub trait EventSink: Send + Sync {
    /// Records one event. Must not block for long.
    fn record(&self, event: SecurityEvent);
}

impl<F: Fn(SecurityEvent) + Send + Sync> EventSink for F {
    fn record(&self, event: SecurityEvent) {
        self(event);
    }
}

/// An [`EventSink`] that drops everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct IgnoreEvents;

impl EventSink for IgnoreEvents {
    fn record(&self, _event: SecurityEvent) {}
}

impl LoginFailure {
    /// The reason code kept in the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::UnknownUser => "unknown_user",
            Self::WrongPassword => "wrong_password",
            Self::WrongCode => "wrong_code",
        }
    }
}

impl fmt::Display for LoginFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Disabled => "account disabled",
            Self::UnknownUser => "unknown username",
            Self::WrongPassword => "wrong password",
            Self::WrongCode => "wrong second-factor code",
        })
    }
}
