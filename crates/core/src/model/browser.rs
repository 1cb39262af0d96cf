//! The records of browser sign-in: single sign-on sessions, authorization codes, consents,
//! and the outbox of back-channel logout notifications. Secrets are stored only as SHA-256
//! digests (the session cookie, the code).

use serde::{Deserialize, Serialize};

use super::{ClientId, Jti, LoginSessionId, NoticeId, SessionId, Timestamp, UserId};
use crate::scope::Scope;

/// A person signed in at Tessera in one browser (the single sign-on session). Every client
/// the browser authorizes while it lives needs no second login.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub struct LoginSession {
    /// Public id, the `sid` of ID tokens and logout tokens.
    pub id: LoginSessionId,
    /// SHA-256 of the secret the browser's cookie holds (128 random bits); replaced at every
    /// interactive login, so a cookie planted before a login is worthless after it.
    #[serde(skip_serializing)]
    pub secret_hash: Vec<u8>,
    /// Who signed in.
    pub user_id: UserId,
    /// When the user last authenticated interactively (`auth_time`).
    pub auth_time: Timestamp,
    /// How (`amr` values, RFC 8176: `pwd`, later `otp`, `hwk`…).
    pub amr: Vec<String>,
    /// The authentication context class reached, if any (`acr`).
    pub acr: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// The last request that used it.
    pub last_seen_at: Timestamp,
    /// Ends after this long without use (moved forward on use).
    pub idle_expires_at: Timestamp,
    /// Ends at this time whatever happens (absolute lifetime).
    pub expires_at: Timestamp,
    /// When it was ended (logout, password change, admin, replay), if it was.
    pub ended_at: Option<Timestamp>,
}

impl LoginSession {
    /// True while the session can still sign its user in.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.ended_at.is_none() && self.idle_expires_at > now && self.expires_at > now
    }
}

/// An authorization code (RFC 6749 §4.1.2): single use, short-lived, bound to everything the
/// token request must repeat or prove.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct AuthorizationCode {
    /// SHA-256 of the code (256 random bits).
    pub hash: Vec<u8>,
    /// The client it was issued to.
    pub client_id: ClientId,
    /// The redirect URI it was sent to (the token request must name the same).
    pub redirect_uri: String,
    /// The PKCE `code_challenge` (S256, RFC 7636).
    pub code_challenge: String,
    /// The user.
    pub user_id: UserId,
    /// The browser session it came from.
    pub login_session_id: LoginSessionId,
    /// The scope granted.
    pub scope: Scope,
    /// The `nonce` of the request, for the ID token.
    pub nonce: Option<String>,
    /// When the user authenticated.
    pub auth_time: Timestamp,
    /// How the user authenticated.
    pub amr: Vec<String>,
    /// The authentication context class reached.
    pub acr: Option<String>,
    /// Issue time.
    pub created_at: Timestamp,
    /// Unusable after this (60 s after issue).
    pub expires_at: Timestamp,
}

/// What presenting an authorization code did.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum CodeOutcome {
    /// The code was current: it is now spent, and the tokens' session was stored with it.
    Exchanged(Box<AuthorizationCode>),
    /// The code had been exchanged before: whoever presents it again may have stolen it, so
    /// the tokens issued from it must be revoked (RFC 6749 §4.1.2).
    Replayed {
        /// The session (refresh family) the first exchange created.
        session_id: SessionId,
        /// The access token the first exchange issued, and its expiry.
        jti: Jti,
        /// That access token's `exp`.
        exp: Timestamp,
    },
    /// Unknown or expired.
    Invalid,
}

/// A user's consent to a client: the scopes they allowed it.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Consent {
    /// The user.
    pub user_id: UserId,
    /// The client.
    pub client_id: ClientId,
    /// Every scope allowed so far.
    pub scope: Scope,
    /// The last time they allowed more.
    pub granted_at: Timestamp,
}

/// One back-channel logout notification (OpenID Connect Back-Channel Logout 1.0) waiting to
/// be delivered: a client's receiver is told that a browser session ended.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct LogoutNotice {
    /// Its id in the outbox.
    pub id: NoticeId,
    /// The client to tell.
    pub client_id: ClientId,
    /// Where to POST the logout token.
    pub uri: String,
    /// The ended session (`sid`).
    pub login_session_id: LoginSessionId,
    /// Its user (`sub`).
    pub user_id: UserId,
    /// The logout token's `jti`, the same on every attempt.
    pub jti: Jti,
    /// When the session ended.
    pub created_at: Timestamp,
    /// Deliveries tried so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: Timestamp,
}

/// How a delivery attempt of a [`LogoutNotice`] ended.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum NoticeOutcome {
    /// The receiver answered 2xx: done.
    Delivered,
    /// It failed; try again at this time.
    RetryAt(Timestamp),
    /// It failed too often: keep it as dead, never try again.
    GiveUp,
}
