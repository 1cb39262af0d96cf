//! A bounded cache of tokens that passed every check, so that a client sending the same
//! token with every request (as clients do until it expires) costs one signature check, not
//! one per request.
//!
//! A hit needs the same token byte for byte (the whole token is stored and compared; the
//! hash only finds the slot), verified under the same [`Generation`] of keys (after a key
//! rotation or a JWKS refresh, entries of the older keys are simply never hit), and still
//! unexpired with the validator's leeway. What can change without the token changing (its
//! revocation, its session, the scopes a route needs) is the caller's to check on every
//! request. Only tokens that passed are stored, so forged tokens never enter or evict
//! anything.
//!
//! Slots are found by a keyed 64-bit hash (foldhash, seeded at random per cache) of the
//! token's last 32 bytes: the end of the signature, which differs between any
//! two tokens an issuer signs. That costs a few nanoseconds whatever the token's length. A
//! collision, accidental or crafted, is only a miss (and, on insertion, a replacement),
//! never another token's value: safety comes from the comparison, speed from the hash.
//!
//! Memory: at most `capacity` entries, each the token's bytes plus the value. A full cache
//! first drops what can no longer hit (expired, older keys), then one entry in eight.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, PoisonError, RwLock};

use nohash_hasher::BuildNoHashHasher;

/// How many trailing bytes of a token are hashed to find its slot.
const HASHED_TAIL: usize = 32;

/// What a token was verified under, compared on every hit: a key set's generation number
/// (`u64`), or the key set itself behind an [`Arc`] (compared by identity).
pub trait Generation {
    /// True when `self` and `other` are the same generation of keys.
    fn is_same(&self, other: &Self) -> bool;
}

impl Generation for u64 {
    fn is_same(&self, other: &Self) -> bool {
        self == other
    }
}

/// By identity: the cache holds the `Arc`, so its address cannot be reused by another
/// value while an entry refers to it.
impl<T: ?Sized> Generation for Arc<T> {
    fn is_same(&self, other: &Self) -> bool {
        Arc::ptr_eq(self, other)
    }
}

#[derive(Debug)]
struct Entry<V, G> {
    /// The token as presented: a hit needs equality with it, not just the same slot.
    token: Box<[u8]>,
    value: V,
    /// Seconds since the epoch (its `exp`).
    expires_at: i64,
    generation: G,
}

type Entries<V, G> = HashMap<u64, Entry<V, G>, BuildNoHashHasher<u64>>;

/// Values (verified claims, or what a caller derives from them) of at most `capacity`
/// tokens, each found only by the very token it was verified from.
///
/// ```
/// use tessera_jose::VerifiedCache;
///
/// let cache: VerifiedCache<&str> = VerifiedCache::new(1_000, 60);
/// let (generation, now, exp) = (1_u64, 1_000, 1_900);
/// cache.insert("eyJ.eyJ.sig", "claims", exp, generation, now);
/// assert_eq!(cache.get(b"eyJ.eyJ.sig", &generation, now), Some("claims"));
/// assert_eq!(cache.get(b"eyJ.eyJ.sig", &2, now), None); // other keys since
/// assert_eq!(cache.get(b"eyJ.eyJ.sig", &generation, exp + 60), None); // expired
/// ```
#[derive(Debug)]
pub struct VerifiedCache<V, G = u64> {
    capacity: usize,
    leeway: i64,
    hasher: foldhash::fast::RandomState,
    entries: RwLock<Entries<V, G>>,
}

impl<V: Clone, G: Generation> VerifiedCache<V, G> {
    /// An empty cache of at most `capacity` tokens (0 turns it off), whose expiry is
    /// checked with `leeway_secs`, as the validator does.
    pub fn new(capacity: usize, leeway_secs: i64) -> Self {
        Self {
            capacity,
            leeway: leeway_secs,
            hasher: foldhash::fast::RandomState::default(),
            entries: RwLock::new(HashMap::default()),
        }
    }

    /// The value cached for exactly `token`, if it was verified under `generation` and
    /// has not expired at `now` (seconds since the epoch): usable while
    /// `now < exp + leeway`.
    ///
    /// `token` may be any bytes (the candidate of a header not yet checked): only a token
    /// stored after passing every check can match it.
    pub fn get(&self, token: &[u8], generation: &G, now: i64) -> Option<V> {
        if self.capacity == 0 {
            return None;
        }
        let slot = self.slot(token);
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&slot)?;
        let usable = self.fresh(entry.expires_at, now)
            && entry.generation.is_same(generation)
            && *entry.token == *token;
        usable.then(|| entry.value.clone())
    }

    /// Remembers `value` for a token that passed every check under `generation` and
    /// expires at `expires_at`. A token sharing its slot is replaced.
    pub fn insert(&self, token: &str, value: V, expires_at: i64, generation: G, now: i64) {
        if self.capacity == 0 {
            return;
        }
        let slot = self.slot(token.as_bytes());
        let entry = Entry {
            token: token.as_bytes().into(),
            value,
            expires_at,
            generation,
        };
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(&slot) {
            self.make_room(&mut entries, &entry.generation, now);
        }
        entries.insert(slot, entry);
    }

    /// How many tokens the cache holds.
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when the cache holds no token.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The validator's expiry rule.
    fn fresh(&self, expires_at: i64, now: i64) -> bool {
        now < expires_at.saturating_add(self.leeway)
    }

    fn slot(&self, token: &[u8]) -> u64 {
        let tail = &token[token.len().saturating_sub(HASHED_TAIL)..];
        self.hasher.hash_one(tail)
    }

    /// Drops expired entries and those of another generation than `current`, then, if
    /// still full, one in eight.
    fn make_room(&self, entries: &mut Entries<V, G>, current: &G, now: i64) {
        entries.retain(|_, e| e.generation.is_same(current) && self.fresh(e.expires_at, now));
        if entries.len() >= self.capacity {
            let mut n = 0u32;
            entries.retain(|_, _| {
                n = n.wrapping_add(1);
                !n.is_multiple_of(8)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token-shaped string: `prefix` then a shared 40-byte tail, so that two of them
    /// land in the same slot.
    fn same_tail(prefix: &str) -> String {
        format!("{prefix}.payload.{}", "s".repeat(40))
    }

    #[test]
    fn hits_need_the_same_token_generation_and_an_unexpired_token() {
        let cache = VerifiedCache::new(10, 60);
        assert_eq!(cache.get(b"a.b.c", &7, 500), None, "empty cache");
        cache.insert("a.b.c", "one", 1_000, 7, 500);
        assert_eq!(cache.get(b"a.b.c", &7, 500), Some("one"));
        assert_eq!(cache.get(b"a.b.d", &7, 500), None, "another token");
        assert_eq!(cache.get(b"a.b.c ", &7, 500), None, "a longer one");
        assert_eq!(cache.get(b"a.b.", &7, 500), None, "a prefix");
        assert_eq!(cache.get(b"", &7, 500), None, "nothing");
        assert_eq!(cache.get(b"a.b.c", &8, 500), None, "keys changed since");
        assert_eq!(
            cache.get(b"a.b.c", &7, 1_059),
            Some("one"),
            "within the leeway"
        );
        assert_eq!(cache.get(b"a.b.c", &7, 1_060), None, "expired");
    }

    #[test]
    fn a_token_with_the_same_tail_is_a_miss_and_replaces_the_other() {
        let cache = VerifiedCache::new(8, 60);
        cache.insert(&same_tail("a"), 1, 1_000, 0, 0);
        assert_eq!(cache.get(same_tail("b").as_bytes(), &0, 0), None);
        cache.insert(&same_tail("b"), 2, 1_000, 0, 0);
        assert_eq!(cache.get(same_tail("a").as_bytes(), &0, 0), None);
        assert_eq!(cache.get(same_tail("b").as_bytes(), &0, 0), Some(2));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_hash_collision_is_a_miss_not_a_hit() {
        let cache = VerifiedCache::new(10, 60);
        let slot = cache.slot(b"a.b.c");
        // Plant an entry for another token under the slot of "a.b.c", as a collision would.
        let planted = Entry {
            token: b"x.y.z"[..].into(),
            value: "other",
            expires_at: 1_000,
            generation: 7,
        };
        cache.entries.write().expect("lock").insert(slot, planted);
        assert_eq!(cache.get(b"a.b.c", &7, 500), None);
    }

    #[test]
    fn an_arc_generation_is_compared_by_identity() {
        let keys = Arc::new("keys");
        let cache = VerifiedCache::new(4, 0);
        cache.insert("t", 1, 1_000, Arc::clone(&keys), 0);
        assert_eq!(cache.get(b"t", &keys, 0), Some(1));
        assert_eq!(
            cache.get(b"t", &Arc::new("keys"), 0),
            None,
            "equal, not the same"
        );
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_drops_stale_entries_first() {
        let cache = VerifiedCache::new(16, 0);
        for i in 0..16 {
            cache.insert(&format!("old-{i}"), i, 10, 1, 0);
        }
        assert_eq!(cache.len(), 16);
        // At time 20 every entry so far has expired: room is made by dropping them all.
        cache.insert("fresh-0", 0, 1_000, 1, 20);
        assert_eq!(cache.len(), 1);
        for i in 1..100 {
            cache.insert(&format!("fresh-{i}"), i, 1_000, 1, 20);
            assert!(cache.len() <= 16, "over capacity at {i}");
        }
        assert_eq!(cache.get(b"fresh-99", &1, 20), Some(99));
    }

    #[test]
    fn a_full_cache_drops_entries_of_older_keys_first() {
        let cache = VerifiedCache::new(4, 0);
        for i in 0..4 {
            cache.insert(&format!("old-{i}"), i, 1_000, 1, 0);
        }
        cache.insert("new", 9, 1_000, 2, 0);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(b"new", &2, 0), Some(9));
    }

    #[test]
    fn capacity_zero_turns_the_cache_off() {
        let cache = VerifiedCache::new(0, 60);
        cache.insert("t", 1, 1_000, 0, 0);
        assert_eq!(cache.get(b"t", &0, 0), None);
        assert!(cache.is_empty());
    }
}
