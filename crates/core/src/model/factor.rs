//! Second factors: a user's TOTP authenticator and recovery codes. The TOTP secret is kept
//! sealed with the master key (as private signing keys are); recovery codes only as MACs.

use super::{Timestamp, UserId};

/// A user's TOTP authenticator (RFC 6238). A user has at most one; it counts as a factor
/// only once confirmed by a first code.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct TotpFactor {
    /// Whose it is.
    pub user_id: UserId,
    /// The shared secret, sealed with the master key (bound to the user id).
    pub sealed_secret: Vec<u8>,
    /// When enrollment started.
    pub created_at: Timestamp,
    /// When the first code confirmed it; `None` while enrollment waits for that code.
    pub confirmed_at: Option<Timestamp>,
    /// The time step of the last accepted code (0 before any): a code is accepted once,
    /// and never one of an earlier step.
    pub last_step: u64,
    /// When a code was last accepted.
    pub last_used_at: Option<Timestamp>,
}

impl TotpFactor {
    /// A new, unconfirmed authenticator for `user_id` with this sealed secret.
    pub fn pending(user_id: UserId, sealed_secret: Vec<u8>, created_at: Timestamp) -> Self {
        Self {
            user_id,
            sealed_secret,
            created_at,
            confirmed_at: None,
            last_step: 0,
            last_used_at: None,
        }
    }

    /// True once a first code confirmed it.
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}
