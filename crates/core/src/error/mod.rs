//! The domain's errors, typed per area: grants ([`GrantError`]), client authentication
//! ([`ClientAuthError`]), access tokens ([`TokenError`], [`RevokeError`]), self-service
//! ([`AccountError`]), second factors ([`FactorError`]), administration ([`AdminError`]), and what every area shares: a store
//! that failed ([`StoreError`], already in domain words) and a failure on our side that no
//! caller could avoid ([`InternalError`]), each keeping its cause as a
//! [`source`](std::error::Error::source) for logs only.
//!
//! The `Display` text of a refusal (a bad password, a scope too wide) is safe to show to the
//! caller; that of [`StoreError`] and [`InternalError`] is generic. Each error has a stable
//! snake_case `code()` for logs and metrics. Turning them into RFC 6749/6750 answers or exit
//! codes is the job of the server and the command line, each in one place.

mod account;
mod admin;
mod authorize;
mod dpop;
mod factor;
mod grant;
mod token;

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

pub use account::AccountError;
pub use admin::{AdminError, Entity};
pub use authorize::AuthorizeError;
pub use dpop::DpopRefused;
pub use factor::FactorError;
pub use grant::{ClientAuthError, GrantError, ScopeRefused};
pub use token::{RevokeError, TokenError};

use crate::keys::KeyRingError;
use crate::password::PasswordError;
use crate::seal::SealError;
use crate::secrets::RandomError;

/// An error and its sources, one message after another (`a: b: c`), for a log line or a
/// command's one-line error. Causes are never shown to an HTTP caller.
pub fn chain(err: &dyn StdError) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(source) = next {
        text.push_str(": ");
        text.push_str(&source.to_string());
        next = source.source();
    }
    text
}

/// The underlying cause of a failure, kept for the log (cheap to clone).
#[derive(Clone)]
pub struct Cause(Arc<dyn StdError + Send + Sync + 'static>);

impl Cause {
    /// A cause that is an error of its own.
    pub fn new(err: impl StdError + Send + Sync + 'static) -> Self {
        Self(Arc::new(err))
    }

    /// A cause described only by text.
    pub fn msg(text: impl Into<String>) -> Self {
        Self(Arc::new(Message(text.into())))
    }
}

impl From<&str> for Cause {
    fn from(text: &str) -> Self {
        Self::msg(text)
    }
}

impl From<String> for Cause {
    fn from(text: String) -> Self {
        Self::msg(text)
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl StdError for Cause {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

/// Two causes are equal when they say the same (for tests of the errors that carry them).
impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

/// A cause that is only a message.
#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Message {}

/// A storage failure, in domain words. Backends translate their own errors into these and
/// keep them as the [`Cause`].
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// A unique value (username, id) is already taken; names what.
    #[error("{0} already exists")]
    Conflict(String),
    /// The database cannot be reached or is overloaded; the caller may retry later.
    #[error("the database is unavailable")]
    Unavailable(#[source] Cause),
    /// Stored data is not what this version expects (a bug or a bad migration).
    #[error("stored data is corrupt")]
    Corrupt(#[source] Cause),
}

impl StoreError {
    /// [`StoreError::Unavailable`] with a textual cause.
    pub fn unavailable(why: impl Into<String>) -> Self {
        Self::Unavailable(Cause::msg(why))
    }

    /// [`StoreError::Corrupt`] with a textual cause.
    pub fn corrupt(why: impl Into<String>) -> Self {
        Self::Corrupt(Cause::msg(why))
    }

    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "store_not_found",
            Self::Conflict(_) => "store_conflict",
            Self::Unavailable(_) => "store_unavailable",
            Self::Corrupt(_) => "store_corrupt",
        }
    }
}

/// Either of the failures every operation can meet: the store's, or ours.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// Something failed on our side.
    #[error("an internal error occurred")]
    Internal(#[from] InternalError),
}

impl ServiceError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(err) => err.code(),
            Self::Internal(err) => err.code(),
        }
    }
}

impl From<RandomError> for ServiceError {
    fn from(err: RandomError) -> Self {
        Self::Internal(err.into())
    }
}

impl From<KeyRingError> for ServiceError {
    fn from(err: KeyRingError) -> Self {
        Self::Internal(err.into())
    }
}

impl From<SealError> for ServiceError {
    fn from(err: SealError) -> Self {
        Self::Internal(err.into())
    }
}

/// Why an authority could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A setting is out of range.
    #[error(transparent)]
    Config(#[from] crate::authority::ConfigError),
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// Something failed on our side (keys, sealing, hashing parameters).
    #[error("the signing keys or password hashing could not be set up")]
    Internal(#[from] InternalError),
}

impl From<ServiceError> for StartError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Store(err) => Self::Store(err),
            ServiceError::Internal(err) => Self::Internal(err),
        }
    }
}

/// A failure on our side that the caller could not have avoided: the random source, sealing,
/// the key ring, password hashing, signing, encrypting, or a stored record this version cannot read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InternalError {
    /// The system random source failed.
    #[error("the random source failed")]
    Random(#[from] RandomError),
    /// Sealing or opening a secret under the master key failed.
    #[error("sealing failed")]
    Seal(#[from] SealError),
    /// The signing keys could not be made or loaded.
    #[error("the key ring failed")]
    Keys(#[from] KeyRingError),
    /// Password hashing failed (bad parameters, no salt).
    #[error("password hashing failed")]
    Hashing(#[source] PasswordError),
    /// Signing a token failed.
    #[error("signing failed")]
    Signing(#[source] tessera_jose::Error),
    /// Encrypting a token to a client's key failed.
    #[error("encryption failed")]
    Encrypting(#[source] tessera_jose::Error),
    /// A stored value is malformed (names which).
    #[error("a stored {0} is malformed")]
    Malformed(&'static str),
}

impl InternalError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Random(_) => "random_failed",
            Self::Seal(_) => "seal_failed",
            Self::Keys(_) => "key_ring_failed",
            Self::Hashing(_) => "hashing_failed",
            Self::Signing(_) => "signing_failed",
            Self::Encrypting(_) => "encryption_failed",
            Self::Malformed(_) => "stored_value_malformed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_sources_and_stay_out_of_the_message() {
        let err = StoreError::unavailable("pool timed out after 10 s");
        assert_eq!(err.to_string(), "the database is unavailable");
        let source = err.source().expect("a source");
        assert_eq!(source.to_string(), "pool timed out after 10 s");
        assert_eq!(err, StoreError::unavailable("pool timed out after 10 s"));
        assert_eq!(err.code(), "store_unavailable");
        let internal = InternalError::from(RandomError);
        assert!(internal.source().is_some());
    }
}
