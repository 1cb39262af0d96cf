//! Refusals of the token endpoint's grants and of client authentication.

use std::borrow::Cow;

use super::{InternalError, ServiceError, StoreError};
use crate::lockout::Locked;
use crate::model::Grant;
use crate::password::PasswordError;
use crate::secrets::RandomError;

/// Why a grant was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// The client is not registered for this grant.
    #[error("the client may not use the {} grant", .0.as_str())]
    GrantNotAllowed(Grant),
    /// A public client asked for a grant only confidential clients may use.
    #[error("a public client cannot use {}", .0.as_str())]
    PublicClient(Grant),
    /// The requested scope is refused.
    #[error(transparent)]
    Scope(#[from] ScopeRefused),
    /// A parameter is missing or malformed (the text says which).
    #[error("{0}")]
    Malformed(Cow<'static, str>),
    /// Unknown username, wrong password or disabled account: one answer for all three, so
    /// that no answer tells whether a username exists.
    #[error("invalid username or password")]
    BadCredentials,
    /// The account has failed too often; try again later.
    #[error("too many failed attempts; retry later")]
    Locked(Locked),
    /// The refresh token is unknown, expired, used, revoked, or another client's.
    #[error("the refresh token is invalid, expired or revoked")]
    BadRefreshToken,
    /// The authorization code is unknown, expired, used, another client's, or was sent to
    /// another redirect URI.
    #[error("the authorization code is invalid, expired or used")]
    BadCode,
    /// The PKCE `code_verifier` does not match the code's challenge (RFC 7636 §4.6).
    #[error("the code_verifier does not match the code_challenge")]
    PkceFailed,
    /// The subject or actor token of a token exchange is not a live access token of ours
    /// (or is bound to a DPoP key the request does not prove).
    #[error("the {0} is invalid, expired or revoked")]
    BadExchangeToken(&'static str),
    /// Token exchange for an audience or resource the client may not ask for
    /// (RFC 8693 `invalid_target`).
    #[error("the client may not ask for this audience or resource")]
    InvalidTarget,
    /// The device grant's user has not decided yet (RFC 8628 §3.5 `authorization_pending`).
    #[error("the user has not yet approved the request")]
    AuthorizationPending,
    /// The device polls faster than its interval, which grows by 5 s (`slow_down`).
    #[error("polling too fast; wait longer between requests")]
    SlowDown,
    /// The device code expired before the user approved it (`expired_token`).
    #[error("the device code has expired; start again")]
    ExpiredToken,
    /// The user denied the device's request (`access_denied`).
    #[error("the user denied the request")]
    AccessDenied,
    /// A device code that is unknown, already redeemed or another client's.
    #[error("the device code is invalid")]
    BadDeviceCode,
    /// The password was right, but the account has a second factor, which this grant
    /// cannot ask for: the user signs in through the browser.
    #[error("this account has a second factor: sign in through the browser")]
    SecondFactorRequired,
    /// The DPoP proof, or its absence, is refused (RFC 9449).
    #[error(transparent)]
    Dpop(#[from] super::DpopRefused),
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// Something failed on our side.
    #[error("an internal error occurred")]
    Internal(#[from] InternalError),
}

impl GrantError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::GrantNotAllowed(_) => "grant_not_allowed",
            Self::PublicClient(_) => "public_client",
            Self::Scope(refused) => refused.code(),
            Self::Malformed(_) => "request_malformed",
            Self::BadCredentials => "bad_credentials",
            Self::Locked(_) => "account_locked",
            Self::BadRefreshToken => "refresh_token_invalid",
            Self::BadCode => "code_invalid",
            Self::PkceFailed => "pkce_failed",
            Self::BadExchangeToken(_) => "exchange_token_invalid",
            Self::InvalidTarget => "invalid_target",
            Self::SecondFactorRequired => "second_factor_required",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::AccessDenied => "access_denied",
            Self::BadDeviceCode => "device_code_invalid",
            Self::Dpop(refused) => refused.code(),
            Self::Store(err) => err.code(),
            Self::Internal(err) => err.code(),
        }
    }
}

impl From<ServiceError> for GrantError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Store(err) => Self::Store(err),
            ServiceError::Internal(err) => Self::Internal(err),
        }
    }
}

impl From<RandomError> for GrantError {
    fn from(err: RandomError) -> Self {
        Self::Internal(err.into())
    }
}

/// A password that cannot be checked: a caller's mistake (empty, too long, NUL), or our
/// failure to hash.
impl From<PasswordError> for GrantError {
    fn from(err: PasswordError) -> Self {
        if err.is_callers() {
            Self::Malformed(err.to_string().into())
        } else {
            Self::Internal(InternalError::Hashing(err))
        }
    }
}

/// Why a requested scope was refused.
#[derive(Clone, Copy, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeRefused {
    /// It is not a valid scope string.
    #[error("the scope is malformed")]
    Malformed,
    /// It asks for more than the client may request.
    #[error("the scope exceeds what the client may request")]
    ExceedsClient,
    /// It asks for more than was granted before (refresh).
    #[error("the scope exceeds what was originally granted")]
    ExceedsGrant,
}

impl ScopeRefused {
    /// A stable code for logs and metrics.
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "scope_malformed",
            Self::ExceedsClient => "scope_exceeds_client",
            Self::ExceedsGrant => "scope_exceeds_grant",
        }
    }
}

/// Why a client could not be authenticated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientAuthError {
    /// Unknown client, or a wrong, missing or unexpected secret: one answer for all.
    #[error("client authentication failed")]
    Failed,
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
}

impl ClientAuthError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Failed => "client_auth_failed",
            Self::Store(err) => err.code(),
        }
    }
}
