//! The errors of the authority's operations, in the words of RFC 6749 §5.2.

use std::borrow::Cow;
use std::fmt;

use crate::error::StoreError;
use crate::keys::KeyRingError;
use crate::password::PasswordError;
use crate::seal::SealError;
use crate::secrets::RandomError;

/// An OAuth error code (RFC 6749 §5.2, RFC 6750 §3.1), plus two for the admin and account
/// endpoints.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The user or client may not do this.
    AccessDenied,
    /// The thing to create already exists (admin endpoints; not an RFC 6749 code).
    Conflict,
    /// Client authentication failed.
    InvalidClient,
    /// The credentials or refresh token are invalid, expired or revoked.
    InvalidGrant,
    /// A parameter is missing, repeated or malformed.
    InvalidRequest,
    /// The scope is unknown, malformed or exceeds what was granted.
    InvalidScope,
    /// The access token is invalid, expired or revoked (RFC 6750).
    InvalidToken,
    /// The thing named does not exist (admin and account endpoints; not an RFC 6749 code).
    NotFound,
    /// An internal failure; details are only in [`OAuthError::internal`].
    ServerError,
    /// The store is unavailable; retry later.
    TemporarilyUnavailable,
    /// The client may not use this grant or operation.
    UnauthorizedClient,
    /// The grant type is not supported.
    UnsupportedGrantType,
}

impl ErrorCode {
    /// The code as it appears in an `error` member.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::Conflict => "conflict",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidToken => "invalid_token",
            Self::NotFound => "not_found",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused or failed operation: a code, a description safe to show to the caller, and
/// for server-side failures an internal detail to log (never to return).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct OAuthError {
    code: ErrorCode,
    description: Cow<'static, str>,
    internal: Option<String>,
}

impl OAuthError {
    /// An error with a description safe to show.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            internal: None,
        }
    }

    /// A server error whose detail is kept for the log only.
    pub fn server(internal: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServerError, "internal error").with_internal(internal)
    }

    /// Attaches a detail for the log.
    pub fn with_internal(mut self, internal: impl Into<String>) -> Self {
        self.internal = Some(internal.into());
        self
    }

    /// The error code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The description, safe to show to the caller.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// A detail for the server log, never for the response.
    pub fn internal(&self) -> Option<&str> {
        self.internal.as_deref()
    }

    pub(crate) fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub(crate) fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub(crate) fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, description)
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

impl From<StoreError> for OAuthError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(why) => Self::new(
                ErrorCode::TemporarilyUnavailable,
                "the service is temporarily unavailable",
            )
            .with_internal(why),
            StoreError::Conflict(what) => {
                Self::new(ErrorCode::Conflict, format!("{what} already exists"))
            }
            StoreError::NotFound => Self::new(ErrorCode::NotFound, "not found"),
            other => Self::server(format!("store: {other}")),
        }
    }
}

impl From<KeyRingError> for OAuthError {
    fn from(err: KeyRingError) -> Self {
        match err {
            KeyRingError::AlgNotAllowed(_) => Self::invalid_request(err.to_string()),
            other => Self::server(format!("keys: {other}")),
        }
    }
}

impl From<SealError> for OAuthError {
    fn from(err: SealError) -> Self {
        Self::server(format!("seal: {err}"))
    }
}

impl From<RandomError> for OAuthError {
    fn from(err: RandomError) -> Self {
        Self::server(err.to_string())
    }
}

impl From<PasswordError> for OAuthError {
    fn from(err: PasswordError) -> Self {
        match err {
            PasswordError::Empty | PasswordError::TooLong | PasswordError::Nul => {
                Self::invalid_request(err.to_string())
            }
            other => Self::server(format!("password hashing: {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_unavailable_is_temporary_and_hides_the_cause() {
        let err = OAuthError::from(StoreError::Unavailable("pool timed out".into()));
        assert_eq!(err.code(), ErrorCode::TemporarilyUnavailable);
        assert!(!err.description().contains("pool"));
        assert_eq!(err.internal(), Some("pool timed out"));
        let err = OAuthError::from(StoreError::Corrupt("bad row".into()));
        assert_eq!(err.code(), ErrorCode::ServerError);
        assert_eq!(err.description(), "internal error");
        assert_eq!(err.to_string(), "server_error: internal error");
    }
}
