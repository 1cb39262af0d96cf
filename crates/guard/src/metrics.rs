//! Counters of accepted and rejected requests by reason, and a hook to export them.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Receives every decision the guard makes, to feed an application's metrics (Prometheus,
/// OpenTelemetry, …). Called on the request path: keep it cheap and non-blocking.
pub trait MetricsHook: Debug + Send + Sync {
    /// A request passed.
    fn accepted(&self) {}
    /// A request was refused; `reason` is the [`crate::Rejection::code`], one of a fixed set
    /// (refused DPoP proofs and bindings have codes starting with `dpop_`).
    fn rejected(&self, reason: &'static str) {
        let _ = reason;
    }
}

/// A snapshot of the guard's built-in counters.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests that passed.
    pub accepted: u64,
    /// Requests refused, by [`crate::Rejection::code`] (a fixed set of labels; DPoP proof
    /// and binding refusals start with `dpop_`).
    pub rejected: BTreeMap<&'static str, u64>,
    /// JWKS fetches so far (the first included).
    pub jwks_fetches: u64,
    /// Revoked tokens currently remembered.
    pub revoked_entries: usize,
    /// DPoP proofs currently remembered against replay (at most the replay capacity).
    pub dpop_proofs_remembered: usize,
}

/// The built-in counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
}

impl Counters {
    pub(crate) fn accept(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reject(&self, reason: &'static str) {
        let mut rejected = self.rejected.lock().unwrap_or_else(PoisonError::into_inner);
        *rejected.entry(reason).or_default() += 1;
    }

    pub(crate) fn snapshot(&self) -> (u64, BTreeMap<&'static str, u64>) {
        let rejected = self
            .rejected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        (self.accepted.load(Ordering::Relaxed), rejected)
    }
}
