//! Refusals of administration: users, clients, keys, imports.

use std::borrow::Cow;
use std::fmt;

use super::{InternalError, ServiceError, StoreError};
use crate::keys::KeyRingError;
use crate::model::KeyId;
use crate::password::PasswordError;
use crate::secrets::RandomError;
use crate::transfer::Existing;

/// What an administrative operation names.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Entity {
    /// A user account.
    User,
    /// An OAuth client.
    Client,
    /// A signing key that is not retired.
    LiveKey,
    /// A login session.
    Session,
    /// A security-event receiver.
    Webhook,
}

impl Entity {
    /// The refusal for a name that matches nothing.
    fn not_found(self) -> &'static str {
        match self {
            Self::User => "no such user",
            Self::Client => "client not found",
            Self::LiveKey => "no such live key",
            Self::Session => "no such session",
            Self::Webhook => "no such webhook",
        }
    }
}

/// Why an administrative operation was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// Nothing has this name or id.
    #[error("{}", .0.not_found())]
    NotFound(Entity),
    /// The name or id is taken (the text says what).
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    /// A value is malformed or out of range (the text says which).
    #[error("{0}")]
    Invalid(Cow<'static, str>),
    /// The account is the last enabled one with the `admin` role: deleting or disabling it
    /// would leave no one to administer the deployment.
    #[error("this is the last administrator: give another account the admin role first")]
    LastAdmin,
    /// The key signs now and cannot be retired.
    #[error("this key signs now: rotate before retiring it")]
    KeyInUse,
    /// An import would overwrite records the target has.
    #[error("the target already has {}", named(.0))]
    ImportConflict(Vec<Existing>),
    /// A signing key of an import does not open with this deployment's master key.
    #[error("signing key {0} does not open with the target's master key")]
    KeyDoesNotOpen(KeyId, #[source] KeyRingError),
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// Something failed on our side.
    #[error("an internal error occurred")]
    Internal(#[from] InternalError),
}

impl AdminError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Invalid(_) => "invalid_value",
            Self::KeyInUse => "key_in_use",
            Self::LastAdmin => "last_admin",
            Self::ImportConflict(_) => "conflict",
            Self::KeyDoesNotOpen(..) => "master_key_mismatch",
            Self::Store(err) => err.code(),
            Self::Internal(err) => err.code(),
        }
    }

    pub(crate) fn invalid(text: impl Into<Cow<'static, str>>) -> Self {
        Self::Invalid(text.into())
    }
}

/// How many clashing records an import error names before "and N more".
const NAMED: usize = 5;

/// "a, b, c and 4 more".
fn named(items: &[Existing]) -> String {
    let shown: Vec<String> = items.iter().take(NAMED).map(ToString::to_string).collect();
    match items.len().saturating_sub(NAMED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

impl From<ServiceError> for AdminError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Store(err) => Self::Store(err),
            ServiceError::Internal(err) => Self::Internal(err),
        }
    }
}

impl From<RandomError> for AdminError {
    fn from(err: RandomError) -> Self {
        Self::Internal(err.into())
    }
}

impl From<KeyRingError> for AdminError {
    fn from(err: KeyRingError) -> Self {
        match err {
            KeyRingError::AlgNotAllowed(_) => Self::Invalid(err.to_string().into()),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<PasswordError> for AdminError {
    fn from(err: PasswordError) -> Self {
        if err.is_callers() {
            Self::Invalid(err.to_string().into())
        } else {
            Self::Internal(InternalError::Hashing(err))
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::User => "user",
            Self::Client => "client",
            Self::LiveKey => "signing key",
            Self::Session => "session",
            Self::Webhook => "webhook",
        })
    }
}
