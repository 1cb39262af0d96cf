//! Refusals of second-factor operations: enrollment, the second sign-in step, recovery.

use super::{InternalError, ServiceError, StoreError};
use crate::lockout::Locked;

/// Why a second-factor operation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FactorError {
    /// The code is wrong, already used, of another time step, or not a recovery code the
    /// user still has (one answer for all, so that a guess learns nothing).
    #[error("the code is not valid")]
    WrongCode,
    /// Too many wrong codes (or passwords) for this account; try again later.
    #[error("too many failed attempts; retry later")]
    Locked(Locked),
    /// The user already has a confirmed authenticator; remove it first.
    #[error("an authenticator app is already set up for this account")]
    AlreadyEnrolled,
    /// There is no enrollment waiting for its first code (or no authenticator to act on).
    #[error("no authenticator app is being set up; start again")]
    NotEnrolling,
    /// The account is unknown or disabled.
    #[error("the account is not available")]
    NoAccount,
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// Something failed on our side.
    #[error("an internal error occurred")]
    Internal(#[from] InternalError),
}

impl FactorError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongCode => "wrong_code",
            Self::Locked(_) => "account_locked",
            Self::AlreadyEnrolled => "already_enrolled",
            Self::NotEnrolling => "not_enrolling",
            Self::NoAccount => "account_unavailable",
            Self::Store(err) => err.code(),
            Self::Internal(err) => err.code(),
        }
    }
}

impl From<ServiceError> for FactorError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Store(err) => Self::Store(err),
            ServiceError::Internal(err) => Self::Internal(err),
        }
    }
}
