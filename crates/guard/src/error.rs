//! Why a request was refused ([`Rejection`]) and why a guard could not be built
//! ([`BuildError`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::bearer::Scheme;

/// Why a request was refused. Each variant has a fixed status and a stable [`Rejection::code`].
///
/// The response built from it (RFC 6750 §3) names the error class only; the precise reason
/// (`code`) goes to metrics and debug logs, never to the caller, so that an attacker learns
/// nothing about which check failed.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Rejection {
    /// No `Authorization: Bearer` credentials: 401 with a bare `Bearer` challenge.
    MissingToken,
    /// The `Authorization` header is malformed (several headers, `Bearer` without a token,
    /// characters outside RFC 6750's `b64token`): 400 `invalid_request`.
    InvalidRequest(&'static str),
    /// The token failed a check: 401 `invalid_token`. The code says which (`jwt_expired`,
    /// `signature_invalid`, `token_revoked`, …).
    InvalidToken(&'static str),
    /// The token is valid but lacks a scope or role the route requires: 403
    /// `insufficient_scope`.
    InsufficientScope {
        /// The scopes the route requires (space-separated), for the challenge's `scope`.
        scope: String,
    },
    /// The token is valid but its user did not authenticate strongly enough for the route
    /// (its `acr` is not the one required): 401 `insufficient_user_authentication` with
    /// `acr_values` in the challenge (RFC 9470), so the client can send the user back to
    /// sign in with a second factor.
    InsufficientUserAuthentication {
        /// The `acr` the route requires.
        acr_values: String,
    },
    /// The issuer's keys could not be fetched and no usable copy is cached: 503.
    KeysUnavailable,
    /// The route reads an [`crate::AccessToken`] but no guard runs in front of it: 500,
    /// a configuration mistake in the application, not bad input.
    NotConfigured,
    /// The DPoP proof of a request with a DPoP-bound token failed a check (RFC 9449 §7.1):
    /// 401 `invalid_dpop_proof`. The code says which (`dpop_htu_mismatch`, `dpop_replayed`,
    /// …).
    InvalidDpopProof(&'static str),
    /// A refusal by a guard that accepts DPoP-bound tokens: `rejection`, answered with a
    /// challenge for each scheme (RFC 9449 §7.1 and §7.2). Its code, status and error are
    /// those of `rejection`.
    WithDpop {
        /// The refusal.
        rejection: Box<Rejection>,
        /// The scheme the request used: its challenge carries the error.
        scheme: Scheme,
        /// The proof algorithms the guard accepts, space-separated (the challenge's `algs`).
        algs: Arc<str>,
    },
}

impl Rejection {
    /// A stable snake_case code for metrics and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingToken => "token_missing",
            Self::InvalidRequest(code)
            | Self::InvalidToken(code)
            | Self::InvalidDpopProof(code) => code,
            Self::WithDpop { rejection, .. } => rejection.code(),
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::InsufficientUserAuthentication { .. } => "insufficient_user_authentication",
            Self::KeysUnavailable => "keys_unavailable",
            Self::NotConfigured => "guard_not_configured",
        }
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken
            | Self::InvalidToken(_)
            | Self::InvalidDpopProof(_)
            | Self::InsufficientUserAuthentication { .. } => StatusCode::UNAUTHORIZED,
            Self::WithDpop { rejection, .. } => rejection.status(),
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Self::KeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The RFC 6750 error code (`invalid_token`, …), if the response carries one.
    pub fn oauth_error(&self) -> Option<&'static str> {
        match self {
            Self::MissingToken => None,
            Self::InvalidRequest(_) => Some("invalid_request"),
            Self::InvalidToken(_) => Some("invalid_token"),
            Self::InsufficientScope { .. } => Some("insufficient_scope"),
            Self::InsufficientUserAuthentication { .. } => Some("insufficient_user_authentication"),
            Self::KeysUnavailable => Some("temporarily_unavailable"),
            Self::NotConfigured => Some("server_error"),
            Self::InvalidDpopProof(_) => Some("invalid_dpop_proof"),
            Self::WithDpop { rejection, .. } => rejection.oauth_error(),
        }
    }

    /// The refusal itself: `self`, or the one a [`Rejection::WithDpop`] wraps.
    pub fn inner(&self) -> &Self {
        match self {
            Self::WithDpop { rejection, .. } => rejection.inner(),
            other => other,
        }
    }

    /// The human-readable description sent to the caller: deliberately coarse.
    pub fn description(&self) -> &'static str {
        match self {
            Self::MissingToken => "a bearer token is required",
            Self::InvalidRequest(_) => "the Authorization header is malformed",
            // An expired token is the one case where saying why helps the legitimate client
            // (refresh now) and tells an attacker nothing they did not know.
            Self::InvalidToken("jwt_expired") => "the access token expired",
            // The DPoP cases tell a legitimate client how to send its token; an attacker
            // learns only what the token's own `cnf` claim and the challenge already say.
            Self::InvalidToken("dpop_downgrade") => {
                "the access token is bound to a key: send it with the DPoP scheme and a proof"
            }
            Self::InvalidToken("dpop_token_unbound") => {
                "the access token is not bound to a key: send it with the Bearer scheme"
            }
            Self::InvalidToken("dpop_unsupported") => {
                "this service does not accept DPoP-bound access tokens"
            }
            Self::InvalidToken(_) => "the access token is invalid",
            // As for an expired token: a fresh proof is the remedy, and saying so helps.
            Self::InvalidDpopProof("dpop_replayed") => "the DPoP proof was used before",
            Self::InvalidDpopProof("dpop_iat_invalid") => {
                "the DPoP proof is too old or from the future"
            }
            Self::InvalidDpopProof(_) => "the DPoP proof is invalid",
            Self::WithDpop { rejection, .. } => rejection.description(),
            Self::InsufficientScope { .. } => "the access token lacks a required scope or role",
            Self::InsufficientUserAuthentication { .. } => {
                "a stronger sign-in (a second factor) is required"
            }
            Self::KeysUnavailable => "the issuer's keys are unavailable; retry later",
            Self::NotConfigured => "the service is misconfigured",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description(), self.code())
    }
}

impl std::error::Error for Rejection {}

/// Why a [`crate::Guard`] could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// No key source: call `issuer`, `jwks_url` or `static_keys`.
    NoKeySource,
    /// No expected issuer: call `issuer` or `expected_issuer`.
    NoIssuer,
    /// No audience: a guard must know which service it protects (RFC 9068 §4).
    NoAudience,
    /// A URL is malformed, or plain `http://` to a host that is not loopback.
    Url(String),
    /// Discovery, JWKS or feed could not be fetched.
    Fetch(FetchError),
    /// The discovery document is not usable (bad JSON, `issuer` mismatch, no `jwks_uri`).
    Discovery(String),
    /// A key is not usable (weak, malformed, inconsistent set).
    Keys(tessera_jose::Error),
    /// The published JWKS is not usable (a shared secret in it, no signature key).
    Jwks(String),
    /// The HTTP client could not be set up.
    Client(String),
    /// The DPoP settings are unusable (no proof algorithm left).
    Dpop(String),
}

impl BuildError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoKeySource => "no_key_source",
            Self::NoIssuer => "no_issuer",
            Self::NoAudience => "no_audience",
            Self::Url(_) => "url_invalid",
            Self::Fetch(_) => "fetch_failed",
            Self::Discovery(_) => "discovery_invalid",
            Self::Keys(_) => "keys_invalid",
            Self::Jwks(_) => "jwks_invalid",
            Self::Client(_) => "client_failed",
            Self::Dpop(_) => "dpop_invalid",
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoKeySource => write!(f, "no key source: set an issuer, a JWKS URL or keys"),
            Self::NoIssuer => write!(f, "no issuer: set the issuer whose tokens are accepted"),
            Self::NoAudience => write!(f, "no audience: set the audience this service accepts"),
            Self::Url(why) => write!(f, "bad URL: {why}"),
            Self::Fetch(err) => write!(f, "fetch failed: {err}"),
            Self::Discovery(why) => write!(f, "discovery document unusable: {why}"),
            Self::Keys(err) => write!(f, "key set unusable: {err} ({})", err.code()),
            Self::Jwks(why) => write!(f, "JWKS unusable: {why}"),
            Self::Client(why) => write!(f, "HTTP client: {why}"),
            Self::Dpop(why) => write!(f, "DPoP settings unusable: {why}"),
        }
    }
}

impl std::error::Error for BuildError {}

impl From<FetchError> for BuildError {
    fn from(err: FetchError) -> Self {
        Self::Fetch(err)
    }
}

impl From<tessera_jose::Error> for BuildError {
    fn from(err: tessera_jose::Error) -> Self {
        Self::Keys(err)
    }
}

/// Why a fetch failed ([`crate::Fetcher`], and the guard's fetches from the issuer).
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum FetchError {
    /// Connecting, sending or reading failed (the transport's message).
    Transport(String),
    /// The server answered with a status other than 200 (a redirect included, unless the
    /// policy follows redirects).
    Status(u16),
    /// The body exceeded the size cap.
    TooLarge(usize),
    /// The body is not the JSON expected.
    Body(String),
    /// The URL breaks the [`crate::FetchPolicy`]: nothing connected to it.
    Refused(UrlError),
    /// A redirect led to `to`, which the policy refuses: nothing connected to it.
    Redirect {
        /// Where the redirect led (resolved against the URL that answered).
        to: String,
        /// Why it is refused.
        refused: UrlError,
    },
    /// More redirects than the policy follows (the limit).
    TooManyRedirects(usize),
    /// No complete answer within the time limit.
    Timeout(Duration),
}

impl FetchError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Transport(_) => "transport_failed",
            Self::Status(_) => "status_unexpected",
            Self::TooLarge(_) => "body_too_large",
            Self::Body(_) => "body_invalid",
            Self::Refused(_) => "url_refused",
            Self::Redirect { .. } => "redirect_refused",
            Self::TooManyRedirects(_) => "redirects_too_many",
            Self::Timeout(_) => "timeout",
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(why) => write!(f, "transport: {why}"),
            Self::Status(status) => write!(f, "HTTP status {status}"),
            Self::TooLarge(max) => write!(f, "body over the {max}-byte cap"),
            Self::Body(why) => write!(f, "unexpected body: {why}"),
            Self::Refused(why) => write!(f, "URL refused: {why}"),
            Self::Redirect { to, refused } => write!(f, "redirect to {to} refused: {refused}"),
            Self::TooManyRedirects(max) => write!(f, "more than {max} redirects"),
            Self::Timeout(limit) => write!(f, "no answer within {} s", limit.as_secs()),
        }
    }
}

impl std::error::Error for FetchError {}

/// Why the [`crate::FetchPolicy`] refuses a URL (checked before anything connects to it).
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum UrlError {
    /// Not an absolute URL (the parser's message).
    Invalid(String),
    /// A scheme other than `https` and `http` (the scheme).
    Scheme(String),
    /// Plain `http://` to a host that is not loopback (the host), and the policy does not
    /// allow it.
    PlainHttp {
        /// The host the URL names.
        host: String,
    },
    /// A redirect from `https://` to plain `http://`.
    Downgrade,
}

impl UrlError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "url_invalid",
            Self::Scheme(_) => "url_scheme_unsupported",
            Self::PlainHttp { .. } => "plain_http_refused",
            Self::Downgrade => "https_downgrade_refused",
        }
    }
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(why) => write!(f, "{why}"),
            Self::Scheme(scheme) => write!(f, "scheme {scheme} is not http(s)"),
            Self::PlainHttp { .. } => write!(f, "plain http is allowed only to loopback hosts"),
            Self::Downgrade => write!(f, "a redirect from https to plain http is refused"),
        }
    }
}

impl std::error::Error for UrlError {}
