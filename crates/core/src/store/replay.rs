//! The DPoP proofs already seen (RFC 9449 §11.1), so that a proof is accepted once.

use super::Fut;
use crate::model::Timestamp;

/// Where the `jti`s of accepted DPoP proofs live until a replay of them could no longer pass
/// the `iat` window. Shared by every instance on the database: a proof accepted by one is
/// refused by all the others.
pub trait ReplayStore: Send + Sync {
    /// Records the proof whose `jti` has digest `jti_hash` until `expires_at`, atomically:
    /// true when it was not recorded yet (or only by a record expired at `now`), false when
    /// a live record already holds it. Whatever the concurrency, at most one caller gets
    /// true for a digest inside its window.
    fn record_dpop_jti(
        &self,
        jti_hash: &[u8],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Fut<bool>;
}
