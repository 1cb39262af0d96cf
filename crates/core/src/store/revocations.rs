//! The revocation feed: revoked access tokens, by `jti`, until they would have expired.

use std::future::Future;

use super::Fut;
use crate::model::{Jti, Revocation, Timestamp};

/// Where revoked access tokens live.
pub trait RevocationStore: Send + Sync {
    /// Records a revoked access token `jti` until `exp`; returns its cursor. Revoking the
    /// same `jti` again keeps one entry.
    fn revoke_jti(&self, jti: &Jti, exp: Timestamp) -> impl Fut<i64>;
    /// Revocations after `cursor` that have not expired at `now`, oldest first, at most
    /// `limit`.
    fn revocations_since(
        &self,
        cursor: i64,
        now: Timestamp,
        limit: u32,
    ) -> impl Fut<Vec<Revocation>>;
    /// True when `jti` is revoked.
    fn is_revoked(&self, jti: &Jti) -> impl Fut<bool>;
    /// Resolves when another instance may have added revocations: a hint to read the feed
    /// sooner than the next poll, never a replacement for polling. A store used by one
    /// process only may never resolve (it sees its own writes); a store shared by several
    /// instances pushes it.
    fn revocations_hint(&self) -> impl Future<Output = ()> + Send;
}
