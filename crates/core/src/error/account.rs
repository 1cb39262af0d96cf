//! Refusals of the self-service operations of a signed-in user.

use std::borrow::Cow;

use super::{InternalError, ServiceError, StoreError, TokenError};
use crate::lockout::Locked;
use crate::password::PasswordError;

/// Why a user's own request (userinfo, sessions, password change) was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The access token does not (or no longer) speak for a live user.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The current password given is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// Too many wrong current passwords; try again later.
    #[error("too many failed attempts; retry later")]
    Locked(Locked),
    /// The new password is not acceptable (the text says why).
    #[error("{0}")]
    BadPassword(Cow<'static, str>),
    /// The user has no live session with this id.
    #[error("no such session")]
    NoSuchSession,
    /// A password reset link that does not work: malformed, expired, of another
    /// deployment, or already used (the password was set since).
    #[error("the reset link does not work: it has expired or was used")]
    ResetLinkInvalid,
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// Something failed on our side.
    #[error("an internal error occurred")]
    Internal(#[from] InternalError),
}

impl AccountError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Token(err) => err.code(),
            Self::WrongPassword => "wrong_password",
            Self::Locked(_) => "account_locked",
            Self::BadPassword(_) => "password_unacceptable",
            Self::NoSuchSession => "session_not_found",
            Self::ResetLinkInvalid => "reset_link_invalid",
            Self::Store(err) => err.code(),
            Self::Internal(err) => err.code(),
        }
    }
}

impl From<ServiceError> for AccountError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Store(err) => Self::Store(err),
            ServiceError::Internal(err) => Self::Internal(err),
        }
    }
}

impl From<PasswordError> for AccountError {
    fn from(err: PasswordError) -> Self {
        if err.is_callers() {
            Self::BadPassword(err.to_string().into())
        } else {
            Self::Internal(InternalError::Hashing(err))
        }
    }
}
