//! Failed-login counters and lock-outs.
//!
//! Kept in the store, not in one server's memory, so that a lock-out survives a restart,
//! holds across every instance on the database, and can be lifted by another process
//! (`tessera user unlock`). The policy (how many failures, how long a lock) is the
//! authority's ([`crate::lockout`]); the store only counts and remembers.

use super::Fut;
use crate::model::{LockoutKey, UnixMillis};

/// Where failed-login counters live.
pub trait LockoutStore: Send + Sync {
    /// Counts a failed login against `account` and returns the new count, atomically. A
    /// counter whose expiry is at or before `now` starts again from 1 and loses its lock.
    /// The counter then expires at `expires_at` (or at the end of its lock, if later).
    fn count_login_failure(
        &self,
        account: &LockoutKey,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> impl Fut<u32>;
    /// Locks `account` until `until` (a later lock already there is kept). Does nothing if
    /// the account has no counter.
    fn lock_login(&self, account: &LockoutKey, until: UnixMillis) -> impl Fut<()>;
    /// The end of `account`'s lock (which may be past), if it has one.
    fn login_locked_until(&self, account: &LockoutKey) -> impl Fut<Option<UnixMillis>>;
    /// Forgets `account`'s failures and lock (after a successful login, or an admin
    /// unlock); true when there was something to forget.
    fn clear_login_failures(&self, account: &LockoutKey) -> impl Fut<bool>;
}
