//! The revoked-token set: a keyed 64-bit hash of each revoked `jti` with its `exp`, kept
//! until the token could no longer pass validation anyway.
//!
//! An entry costs 16 bytes plus one control byte in a hash table kept at most 7/8 full and
//! grown by doubling, so between about 19 and 39 bytes per entry at any size. A lookup is one
//! hash and one probe, so it costs the same with no entry as with a million.
//!
//! The hash key is random per process, so nobody can craft a `jti` that collides with a
//! revoked one; an accidental collision (about 1 in 10^13 per lookup with a million entries)
//! refuses a good token, never accepts a bad one.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{PoisonError, RwLock};

use nohash_hasher::BuildNoHashHasher;

/// Revoked `jti`s, each kept until its `exp` plus the leeway has passed.
#[derive(Debug)]
pub struct RevokedSet {
    key: RandomState,
    leeway: i64,
    entries: RwLock<HashMap<u64, i64, BuildNoHashHasher<u64>>>,
}

impl RevokedSet {
    /// An empty set; entries are kept `leeway_secs` past their `exp`, as long as a validator
    /// with that leeway would still accept the token.
    pub fn new(leeway_secs: i64) -> Self {
        Self {
            key: RandomState::new(),
            leeway: leeway_secs.max(0),
            entries: RwLock::new(HashMap::default()),
        }
    }

    /// Records a revoked `jti` that expires at `exp` (seconds since the epoch).
    pub fn insert(&self, jti: &str, exp: i64) {
        let hash = self.key.hash_one(jti);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let kept = entries.entry(hash).or_insert(exp);
        // Two revocations of one jti (or a collision): keep the later expiry.
        *kept = (*kept).max(exp);
    }

    /// True when `jti` was revoked.
    pub fn contains(&self, jti: &str) -> bool {
        self.contains_key(self.key_of(jti))
    }

    /// The key `jti` is kept under, for [`Self::contains_key`]: the verified-token cache
    /// works it out once per token instead of on every request.
    pub(crate) fn key_of(&self, jti: &str) -> u64 {
        self.key.hash_one(jti)
    }

    /// True when the `jti` whose [`Self::key_of`] is `key` was revoked.
    pub(crate) fn contains_key(&self, key: u64) -> bool {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&key)
    }

    /// Drops entries whose tokens have expired (beyond the leeway) at `now`; returns how
    /// many were dropped.
    pub fn purge(&self, now: i64) -> usize {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let before = entries.len();
        let leeway = self.leeway;
        entries.retain(|_, exp| exp.saturating_add(leeway) > now);
        if entries.capacity() > 4 * entries.len().max(1024) {
            entries.shrink_to_fit();
        }
        before - entries.len()
    }

    /// How many entries the set holds.
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when the set holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An upper estimate of the table's memory, in bytes: each bucket holds a 16-byte entry
    /// and a control byte, and there are at most 8/7 buckets per unit of capacity.
    pub fn memory_bytes(&self) -> usize {
        let capacity = self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .capacity();
        let buckets = (capacity * 8).div_ceil(7).next_power_of_two();
        buckets * (size_of::<(u64, i64)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_jtis_are_found_and_others_are_not() {
        let set = RevokedSet::new(60);
        assert!(!set.contains("a"));
        set.insert("a", 1_000);
        assert!(set.contains("a"));
        assert!(!set.contains("b"));
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn purge_keeps_entries_until_exp_plus_leeway() {
        let set = RevokedSet::new(60);
        set.insert("early", 1_000);
        set.insert("late", 2_000);
        assert_eq!(set.purge(1_059), 0);
        assert_eq!(set.purge(1_060), 1);
        assert!(!set.contains("early"));
        assert!(set.contains("late"));
    }

    #[test]
    fn a_second_revocation_keeps_the_later_expiry() {
        let set = RevokedSet::new(0);
        set.insert("a", 2_000);
        set.insert("a", 1_000);
        assert_eq!(set.purge(1_500), 0);
        assert!(set.contains("a"));
    }

    #[test]
    fn a_million_entries_cost_at_most_64_bytes_each() {
        let set = RevokedSet::new(60);
        for i in 0..1_000_000u32 {
            set.insert(&format!("jti-{i:08}"), 4_102_444_800);
        }
        assert_eq!(set.len(), 1_000_000);
        let per_entry = set.memory_bytes() / set.len();
        assert!(per_entry <= 64, "{per_entry} bytes per entry");
        assert!(set.contains("jti-00999999"));
        assert!(!set.contains("jti-01000000"));
    }
}
