//! The records Tessera keeps. Secrets never appear here in the clear: passwords as Argon2id
//! PHC strings, client secrets and refresh tokens as SHA-256 digests, private keys encrypted.

mod audit;
mod browser;
mod device;
mod factor;
mod ids;
mod jose;
mod time;
mod webhook;

use serde::{Deserialize, Serialize};
use tessera_jose::Algorithm;

pub use audit::{
    Actor, AuditEvent, EventKind, EventQuery, MAX_DETAIL_LEN, MAX_EVENT_PAGE, NewEvent,
    UnknownEventKind,
};
pub use browser::{
    AuthorizationCode, CodeOutcome, Consent, LoginSession, LogoutNotice, NoticeOutcome,
};
pub use device::{DeviceApproval, DeviceAuthorization, DeviceState};
pub use factor::TotpFactor;
pub use ids::{
    ClientId, Jti, KeyId, LockoutKey, LoginSessionId, NoticeId, SessionId, UserId, WebhookId,
};
pub use jose::{ClientJose, DEFAULT_ENC};
pub(crate) use time::secs_of;
pub use time::{Timestamp, UnixMillis};
pub use webhook::{MAX_DEAD_LETTERS, Webhook};

use crate::scope::Scope;

/// An account that logs in with a password.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// Stable opaque id, used as `sub` (never the username, which may change).
    pub id: UserId,
    /// Login name, unique, case-sensitive as stored (looked up case-insensitively).
    pub username: String,
    /// Email address, if known (never put in access tokens).
    pub email: Option<String>,
    /// Role names, copied into the `roles` claim.
    pub roles: Vec<String>,
    /// Argon2id PHC string.
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// A disabled account cannot log in or refresh.
    pub disabled: bool,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last password change; sessions older than this are dead.
    pub password_changed_at: Timestamp,
}

/// The `grant_type` of token exchange (RFC 8693 §2.1).
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The `grant_type` of the device authorization grant (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// An OAuth grant type a client may use.
#[derive(Clone, Copy, Debug, Deserialize, Eq, Hash, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Grant {
    /// Resource owner password credentials (RFC 6749 §4.3).
    Password,
    /// Refresh token (RFC 6749 §6).
    RefreshToken,
    /// Client credentials (RFC 6749 §4.4).
    ClientCredentials,
    /// Authorization code with PKCE (RFC 6749 §4.1, RFC 7636), for browser sign-in.
    AuthorizationCode,
    /// Token exchange (RFC 8693): a narrower token for another audience, on behalf of the
    /// subject of a token the client holds.
    TokenExchange,
    /// The device authorization grant (RFC 8628): a device without a browser shows a code
    /// that its user approves in a browser elsewhere.
    DeviceCode,
}

impl Grant {
    /// The `grant_type` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::AuthorizationCode => "authorization_code",
            Self::TokenExchange => TOKEN_EXCHANGE_GRANT,
            Self::DeviceCode => DEVICE_CODE_GRANT,
        }
    }

    /// The short name the CLI and the console use (`token_exchange` for the URN).
    pub fn short_name(self) -> &'static str {
        match self {
            Self::TokenExchange => "token_exchange",
            Self::DeviceCode => "device_code",
            other => other.as_str(),
        }
    }

    /// Parses a `grant_type` name (the URN of token exchange, or its short name).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "password" => Some(Self::Password),
            "refresh_token" => Some(Self::RefreshToken),
            "client_credentials" => Some(Self::ClientCredentials),
            "authorization_code" => Some(Self::AuthorizationCode),
            TOKEN_EXCHANGE_GRANT | "token_exchange" => Some(Self::TokenExchange),
            DEVICE_CODE_GRANT | "device_code" => Some(Self::DeviceCode),
            _ => None,
        }
    }
}

/// An OAuth client.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub struct Client {
    /// The `client_id` (random, public).
    pub id: ClientId,
    /// Display name.
    pub name: String,
    /// SHA-256 of the server-generated 256-bit secret; `None` for a public client.
    #[serde(skip_serializing)]
    pub secret_hash: Option<Vec<u8>>,
    /// Grants the client may use.
    pub grants: Vec<Grant>,
    /// Scopes the client may request (empty: none beyond `openid`).
    pub scopes: Vec<String>,
    /// Audiences its access tokens are for (the first is the default).
    pub audiences: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// What a client that signs users in through the browser registers.
    #[serde(default)]
    pub web: ClientWeb,
}

/// A client's browser settings: where it may be sent back to, and how it hears of logouts.
#[derive(Clone, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
#[serde(default)]
pub struct ClientWeb {
    /// Redirect URIs for the authorization code flow, matched exactly (RFC 9700 §4.1.3),
    /// except the port of a loopback `http` URI (RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the browser afterwards (matched exactly).
    pub post_logout_redirect_uris: Vec<String>,
    /// OpenID Connect Back-Channel Logout 1.0 receiver.
    pub backchannel_logout_uri: Option<String>,
    /// A first-party application: no consent page.
    pub first_party: bool,
    /// Browser origins allowed to call the token, revocation, userinfo and JWKS endpoints
    /// (CORS), such as `https://app.example.com`.
    pub allowed_origins: Vec<String>,

    /// Its public keys, and how its ID tokens and userinfo answers are encrypted (stored
    /// flat, under the OpenID Connect Registration names).
    #[serde(flatten)]
    pub jose: ClientJose,
    /// Every token request must carry a DPoP proof (RFC 9449): the client's access tokens
    /// are always bound to its key.
    pub require_dpop: bool,
    /// Users signing in to this client must give a second factor (the `acr` of its ID
    /// tokens is then always `urn:tessera:acr:mfa`).
    pub require_second_factor: bool,
}

impl Client {
    /// True for a public client (no secret; cannot use client_credentials or introspect).
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }
}

/// A login session: one refresh-token family (RFC 9700 §4.14).
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub struct Session {
    /// Session id (also the `sid` claim).
    pub id: SessionId,
    /// The user.
    pub user_id: UserId,
    /// The client the session was created through.
    pub client_id: ClientId,
    /// Granted scope.
    pub scope: Scope,
    /// Creation time (start of the absolute lifetime).
    pub created_at: Timestamp,
    /// The browser sign-in session it came from (authorization code flow), if any: ending
    /// that ends this one too.
    #[serde(default)]
    pub login_session_id: Option<LoginSessionId>,
    /// When the session ends whatever happens (absolute lifetime).
    pub expires_at: Timestamp,
    /// Last refresh.
    pub last_used_at: Timestamp,
    /// Set when the session was ended (logout, revocation, replay, password change).
    pub revoked_at: Option<Timestamp>,
    /// The RFC 7638 thumbprint of the DPoP key the family's refresh tokens are bound to
    /// (public clients that sent a proof when the session started, RFC 9449 §5).
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

impl Session {
    /// True while the session can still be used: not ended, not past its absolute end.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// One refresh token of a family; only its hash is stored.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct RefreshRecord {
    /// SHA-256 of the token.
    pub hash: Vec<u8>,
    /// The session (family) it belongs to.
    pub session_id: SessionId,
    /// Issue time.
    pub created_at: Timestamp,
    /// Idle expiry: unusable after this.
    pub expires_at: Timestamp,
    /// When it was exchanged for its successor.
    pub used_at: Option<Timestamp>,
    /// The successor token, encrypted under the master key, kept only for the grace window
    /// so that a client retrying on a flaky network gets the same answer.
    pub successor_sealed: Option<Vec<u8>>,
}

/// What happened when a refresh token was presented.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum RotateOutcome {
    /// The token was current: it is now used and `next` is stored as its successor.
    Rotated(Session),
    /// The token was used within the grace window: here is the sealed successor again.
    Retried {
        /// The session.
        session: Session,
        /// The successor, sealed under the master key.
        successor_sealed: Vec<u8>,
    },
    /// The token was already used (outside the grace window): the whole family is now
    /// revoked. A security event.
    Replayed {
        /// The session that was revoked.
        session_id: SessionId,
        /// Its user.
        user_id: UserId,
    },
    /// Unknown, expired, or its session is over.
    Invalid,
}

/// Serializes an [`Algorithm`] as its JWS name (`"ES256"`).
pub(crate) mod alg_name {
    use serde::Serializer;
    use tessera_jose::Algorithm;

    /// Writes the name.
    pub(crate) fn serialize<S: Serializer>(
        alg: &Algorithm,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(alg.as_str())
    }
}

/// A signing key's place in its life cycle.
#[derive(Clone, Copy, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyState {
    /// Published in the JWKS, not yet signing (caches must learn it first).
    Published,
    /// Signing (and published).
    Active,
    /// No longer signing; published until every token it signed has expired.
    Retiring,
    /// Removed from the JWKS.
    Retired,
}

impl KeyState {
    /// The state's name, as serialized and stored (`published`, `active`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
        }
    }
}

/// A signing key as stored.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct KeyRecord {
    /// Key id (RFC 7638 thumbprint).
    pub kid: KeyId,
    /// The JWS algorithm it signs with.
    pub alg: Algorithm,
    /// The public JWK as JSON.
    pub public_jwk: String,
    /// The private JWK, sealed under the master key.
    pub private_sealed: Vec<u8>,
    /// Life-cycle state.
    pub state: KeyState,
    /// Creation (= publication) time.
    pub created_at: Timestamp,
    /// When it starts (or started) signing.
    pub activates_at: Timestamp,
    /// When it stopped signing, if it has.
    pub retired_at: Option<Timestamp>,
}

/// A revoked access token, kept until it would have expired anyway.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revocation {
    /// Position in the revocation feed (strictly increasing).
    pub cursor: i64,
    /// The revoked token's `jti`.
    pub jti: Jti,
    /// Its `exp`: after this the entry is dropped.
    pub exp: Timestamp,
}
