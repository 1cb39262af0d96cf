//! Second factors: TOTP authenticators and recovery codes.
//!
//! In the store, not in memory, so that every instance on the database agrees: a code
//! accepted by one instance is refused by every other in the same time step, and a recovery
//! code is spent once across the deployment.

use super::Fut;
use crate::model::{Timestamp, TotpFactor, UserId};

/// Where second factors live. Removing a user removes their factors.
pub trait FactorStore: Send + Sync {
    /// Stores `factor` (unconfirmed) as the user's authenticator, replacing an unconfirmed
    /// one (a restarted enrollment); false, with nothing written, when the user already has a
    /// confirmed authenticator.
    fn begin_totp(&self, factor: &TotpFactor) -> impl Fut<bool>;

    /// The user's authenticator, confirmed or not.
    fn totp_of(&self, user: &UserId) -> impl Fut<Option<TotpFactor>>;

    /// Confirms the user's unconfirmed authenticator with the step of its first code and
    /// replaces the user's recovery codes with `recovery_macs`, in one transaction; false,
    /// with nothing written, when there is no unconfirmed authenticator.
    fn confirm_totp(
        &self,
        user: &UserId,
        step: u64,
        at: Timestamp,
        recovery_macs: &[Vec<u8>],
    ) -> impl Fut<bool>;

    /// Records `step` as the last accepted step of the user's confirmed authenticator if it
    /// is later than the one recorded, atomically: whatever the concurrency, one caller per
    /// step gets true.
    fn use_totp_step(&self, user: &UserId, step: u64, at: Timestamp) -> impl Fut<bool>;

    /// Replaces the user's recovery codes with `recovery_macs` (regenerated codes).
    fn replace_recovery_codes(&self, user: &UserId, recovery_macs: &[Vec<u8>]) -> impl Fut<()>;

    /// Spends the user's recovery code whose MAC is `mac`, atomically: true once, false
    /// for an unknown or spent code.
    fn use_recovery_code(&self, user: &UserId, mac: &[u8]) -> impl Fut<bool>;

    /// How many unspent recovery codes the user has.
    fn recovery_codes_left(&self, user: &UserId) -> impl Fut<u32>;

    /// Removes the user's authenticator and recovery codes; true when there was anything.
    fn remove_factors(&self, user: &UserId) -> impl Fut<bool>;
}
