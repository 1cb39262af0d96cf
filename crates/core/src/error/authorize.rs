//! Refusals of the authorization endpoint.

use super::{InternalError, ServiceError, StoreError};
use crate::authority::AuthorizationResponse;

/// Why an authorization request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeError {
    /// The client or its redirect URI cannot be trusted: show an error page and never
    /// redirect (an open redirect otherwise). The text says what is wrong.
    #[error("{0}")]
    Page(&'static str),
    /// Send the browser back to the client with this error (RFC 6749 §4.1.2.1).
    #[error("the authorization request was refused ({})", .0.param("error").unwrap_or("error"))]
    Redirect(AuthorizationResponse),
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// Something failed on our side.
    #[error("an internal error occurred")]
    Internal(#[from] InternalError),
}

impl AuthorizeError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Page(_) => "authorization_untrusted",
            Self::Redirect(_) => "authorization_refused",
            Self::Store(err) => err.code(),
            Self::Internal(err) => err.code(),
        }
    }
}

impl From<ServiceError> for AuthorizeError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Store(err) => Self::Store(err),
            ServiceError::Internal(err) => Self::Internal(err),
        }
    }
}
