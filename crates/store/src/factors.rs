//! Second-factor rows, shared by both backends: the column list of a TOTP authenticator, the
//! decoding of its row, and how a time step is stored.

use tessera_core::StoreError;
use tessera_core::model::{Timestamp, TotpFactor, UserId};

/// The columns every `SELECT` of a TOTP authenticator names, in this order.
pub(crate) const COLUMNS: &str =
    "user_id, sealed_secret, created_at, confirmed_at, last_step, last_used_at";

/// A `totp_factors` row as read: `user_id, sealed_secret, created_at, confirmed_at,
/// last_step, last_used_at`.
pub(crate) struct Row {
    pub user_id: String,
    pub sealed_secret: Vec<u8>,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
    pub last_used_at: Option<i64>,
}

impl Row {
    /// The authenticator, or [`StoreError::Corrupt`] for a negative step.
    pub(crate) fn decode(self) -> Result<TotpFactor, StoreError> {
        let mut factor = TotpFactor::pending(
            UserId::new(self.user_id),
            self.sealed_secret,
            Timestamp::from_secs(self.created_at),
        );
        factor.confirmed_at = self.confirmed_at.map(Timestamp::from_secs);
        factor.last_step = u64::try_from(self.last_step)
            .map_err(|_| StoreError::corrupt("totp_factors.last_step out of range"))?;
        factor.last_used_at = self.last_used_at.map(Timestamp::from_secs);
        Ok(factor)
    }
}

/// A time step as its signed 64-bit column holds it. Real steps (about 5.9e7 today) always
/// fit; one past `i64::MAX` can only come from a bug, and is refused rather than wrapped into
/// a negative step that every later code would beat.
pub(crate) fn step(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step).map_err(|_| StoreError::corrupt(format!("time step {step} out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_past_i64_are_refused_both_ways() {
        assert_eq!(step(59_000_000), Ok(59_000_000));
        assert!(matches!(step(u64::MAX), Err(StoreError::Corrupt(_))));
        let row = Row {
            user_id: "u1".into(),
            sealed_secret: vec![1],
            created_at: 1,
            confirmed_at: None,
            last_step: -1,
            last_used_at: None,
        };
        assert!(matches!(row.decode(), Err(StoreError::Corrupt(_))));
    }
}
