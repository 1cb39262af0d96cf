//! The DPoP proofs seen recently, so that each proof is accepted once (RFC 9449 §11.1), for
//! a server whose replay set lives in its own memory (the guard; `tessera serve` on SQLite,
//! where one server owns the data directory).
//!
//! A proof is accepted only while its `iat` is inside the checker's window, so a `jti` need
//! be remembered only until then ([`Proof::replay_until`](super::Proof::replay_until));
//! after that the proof is refused as stale anyway. The set is bounded: past its capacity
//! the oldest entry is dropped, which reopens that proof to a replay for the rest of its
//! window. The capacity should therefore exceed the proofs one process accepts in one window
//! (the default, 100,000, covers about 1,400 DPoP requests a second with the default 70 s
//! window). The set is per process: a proof replayed to another instance is not detected,
//! which the short `iat` window and `htu` (a proof names one server and path) keep small.
//!
//! Entries are keyed hashes of what identifies the proof (16 bytes an entry whatever the
//! `jti`'s length): a collision would refuse a fresh proof, never accept a replay, and with a
//! random 64-bit key it is vanishingly unlikely.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::sync::{Mutex, PoisonError};

use nohash_hasher::BuildNoHashHasher;

/// The default number of proofs remembered.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// Proofs seen, each until the last second its `iat` is accepted.
///
/// ```
/// use tessera_jose::dpop::ReplayCache;
///
/// let seen = ReplayCache::new(100_000);
/// // The key's thumbprint and the proof's jti; remembered until 160, checked at 100.
/// assert!(seen.first_use(&("thumbprint", "jti-1"), 160, 100));
/// assert!(!seen.first_use(&("thumbprint", "jti-1"), 160, 130), "a replay");
/// ```
#[derive(Debug)]
pub struct ReplayCache {
    capacity: usize,
    hasher: std::collections::hash_map::RandomState,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Key to the second after which the proof is stale.
    until: HashMap<u64, i64, BuildNoHashHasher<u64>>,
    /// Keys in the order they came, to drop the oldest first.
    order: VecDeque<(u64, i64)>,
}

impl ReplayCache {
    /// A cache of at most `capacity` proofs (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            hasher: std::collections::hash_map::RandomState::new(),
            state: Mutex::default(),
        }
    }

    /// Records the proof identified by `id` (its key's thumbprint and `jti`, or a digest of
    /// them), remembered until `until` (Unix seconds); false when it was seen before and is
    /// still remembered at `now` (a replay).
    pub fn first_use<I: Hash + ?Sized>(&self, id: &I, until: i64, now: i64) -> bool {
        let key = self.hasher.hash_one(id);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.drop_expired(now);
        if state.until.get(&key).is_some_and(|&seen| seen >= now) {
            return false;
        }
        while state.order.len() >= self.capacity {
            state.drop_oldest();
        }
        state.until.insert(key, until);
        state.order.push_back((key, until));
        true
    }

    /// How many proofs are remembered.
    pub fn len(&self) -> usize {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.order.len()
    }

    /// Whether no proof is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every proof remembered only until before `now`, and answers how many: the
    /// periodic sweep that catches the entries [`Self::first_use`] leaves behind a fresher
    /// one.
    pub fn purge(&self, now: i64) -> usize {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let before = state.order.len();
        state.order.retain(|&(_, until)| until >= now);
        state.until.retain(|_, until| *until >= now);
        before - state.order.len()
    }
}

impl State {
    /// Drops the expired entries at the front. Proofs come roughly in `iat` order, so this
    /// finds nearly all; one behind a fresher entry goes when the capacity pushes it out.
    fn drop_expired(&mut self, now: i64) {
        while self.order.front().is_some_and(|&(_, until)| until < now) {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        if let Some((key, until)) = self.order.pop_front() {
            // The key may have been recorded again since (after it expired): keep that one.
            if self.until.get(&key) == Some(&until) {
                self.until.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_accepted_once_within_its_window() {
        let cache = ReplayCache::new(10);
        assert!(cache.first_use(&("k", "j1"), 160, 100));
        assert!(!cache.first_use(&("k", "j1"), 160, 150), "replayed");
        assert!(
            !cache.first_use(&("k", "j1"), 160, 160),
            "replayed at the last second"
        );
        assert!(cache.first_use(&("k", "j2"), 160, 150), "another jti");
        assert!(
            cache.first_use(&("other", "j1"), 160, 150),
            "another key's jti"
        );
        // Past its window the checker refuses the proof as stale; the entry may go.
        assert!(cache.first_use(&("k", "j1"), 230, 161));
    }

    #[test]
    fn expired_entries_are_dropped() {
        let cache = ReplayCache::new(100);
        for i in 0..50 {
            assert!(cache.first_use(&("k", &i.to_string()), 100, 0));
        }
        assert_eq!(cache.len(), 50);
        assert!(cache.first_use(&("k", "late"), 200, 101));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_bound_holds_under_100k_distinct_jtis() {
        let cache = ReplayCache::new(1_000);
        for i in 0..100_000 {
            assert!(cache.first_use(&("k", &format!("jti-{i}")), 1_000, 0));
            assert!(cache.len() <= 1_000);
        }
        let state = cache.state.lock().expect("lock");
        assert_eq!((state.order.len(), state.until.len()), (1_000, 1_000));
        drop(state);
        // The newest are still refused; the oldest were dropped to make room.
        assert!(!cache.first_use(&("k", "jti-99999"), 1_000, 0));
        assert!(cache.first_use(&("k", "jti-0"), 1_000, 0));
    }

    #[test]
    fn purge_forgets_every_expired_entry_even_behind_a_fresher_one() {
        let cache = ReplayCache::new(100);
        assert!(cache.first_use(&("k", "fresh"), 500, 0));
        assert!(cache.first_use(&("k", "old-1"), 10, 0));
        assert!(cache.first_use(&("k", "old-2"), 20, 0));
        assert_eq!(cache.purge(20), 1, "until 20 still lives at 20");
        assert_eq!(cache.purge(21), 1);
        assert_eq!(cache.len(), 1);
        assert!(!cache.first_use(&("k", "fresh"), 500, 21));
        assert!(cache.first_use(&("k", "old-1"), 80, 21));
    }

    #[test]
    fn a_zero_capacity_still_remembers_the_last_proof() {
        let cache = ReplayCache::new(0);
        assert!(cache.first_use(&("k", "a"), 100, 0));
        assert!(!cache.first_use(&("k", "a"), 100, 0));
        assert_eq!(cache.len(), 1);
    }
}
