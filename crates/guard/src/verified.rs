//! A bounded cache of tokens that passed every check.
//!
//! A client sends the same access token with every request until it expires, so after the
//! first request the signature check is repeated work. A hit still checks what can change:
//! the expiry (against the clock, with the leeway), the revoked set, and that the key set is
//! the one the token was verified with. Only tokens that passed are cached, so attack traffic
//! (which cannot produce a valid signature) never enters it.
//!
//! Entries are found by a keyed 64-bit hash of the token (foldhash, seeded at random per
//! cache) and keep the token itself: a hit requires the presented token to equal the cached
//! one byte for byte, so a hash collision, accidental or crafted, is only a miss. The hash
//! is there for speed (a few dozen nanoseconds for a typical token); safety comes from the
//! comparison.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::sync::{PoisonError, RwLock};

use crate::revoked::AlreadyHashed;
use crate::token::AccessToken;

#[derive(Debug)]
struct Entry {
    /// The token as presented: a hit needs equality with it, not just the same hash.
    token: Box<str>,
    verified: AccessToken,
    /// The key-cache generation it was verified under.
    generation: u64,
    /// Its `jti`'s key in the revoked set, worked out once rather than on every hit.
    revoked_key: u64,
}

/// A cache hit: the verified token and its key in the revoked set.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub(crate) token: AccessToken,
    pub(crate) revoked_key: u64,
}

/// Verified tokens, at most `capacity` of them.
#[derive(Debug)]
pub(crate) struct VerifiedCache {
    capacity: usize,
    leeway: i64,
    hasher: foldhash::fast::RandomState,
    entries: RwLock<HashMap<u64, Entry, BuildHasherDefault<AlreadyHashed>>>,
}

impl VerifiedCache {
    /// A cache of at most `capacity` tokens (0 turns it off).
    pub(crate) fn new(capacity: usize, leeway: i64) -> Self {
        Self {
            capacity,
            leeway,
            hasher: foldhash::fast::RandomState::default(),
            entries: RwLock::new(HashMap::default()),
        }
    }

    /// The token if it is exactly a cached one, verified under `generation`, and has not
    /// expired at `now`.
    pub(crate) fn get(&self, token: &[u8], generation: u64, now: i64) -> Option<Hit> {
        if self.capacity == 0 {
            return None;
        }
        let hash = self.hasher.hash_one(token);
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&hash)?;
        let fresh = now < entry.verified.expires_at().saturating_add(self.leeway);
        let usable = fresh && entry.generation == generation && entry.token.as_bytes() == token;
        usable.then(|| Hit {
            token: entry.verified.clone(),
            revoked_key: entry.revoked_key,
        })
    }

    /// Remembers a token that passed every check; `revoked_key` is its `jti`'s key in the
    /// revoked set.
    pub(crate) fn insert(&self, token: &str, hit: Hit, generation: u64, now: i64) {
        if self.capacity == 0 {
            return;
        }
        let hash = self.hasher.hash_one(token.as_bytes());
        let entry = Entry {
            token: token.into(),
            verified: hit.token,
            generation,
            revoked_key: hit.revoked_key,
        };
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity {
            self.make_room(&mut entries, generation, now);
        }
        // Another token with the same hash is replaced: the cache holds one per hash.
        entries.insert(hash, entry);
    }

    /// Drops expired and outdated entries, then, if still full, one in eight.
    fn make_room(
        &self,
        entries: &mut HashMap<u64, Entry, BuildHasherDefault<AlreadyHashed>>,
        generation: u64,
        now: i64,
    ) {
        let leeway = self.leeway;
        entries.retain(|_, e| {
            e.generation == generation && now < e.verified.expires_at().saturating_add(leeway)
        });
        if entries.len() >= self.capacity {
            let mut n = 0u32;
            entries.retain(|_, _| {
                n = n.wrapping_add(1);
                !n.is_multiple_of(8)
            });
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tessera_jose::Claims;

    use super::*;

    fn token(jti: &str, exp: i64) -> Hit {
        let claims = json!({"sub": "s", "jti": jti, "exp": exp, "client_id": "c"});
        let serde_json::Value::Object(map) = claims else {
            panic!("object")
        };
        let token = AccessToken::from_claims(Claims::from_map(map).expect("claims"));
        Hit {
            token: token.expect("token"),
            revoked_key: 42,
        }
    }

    #[test]
    fn hits_need_the_same_token_generation_and_an_unexpired_token() {
        let cache = VerifiedCache::new(10, 60);
        cache.insert("a.b.c", token("1", 1_000), 7, 500);
        let hit = cache.get(b"a.b.c", 7, 500).expect("hit");
        assert_eq!((hit.token.jti(), hit.revoked_key), ("1", 42));
        assert!(cache.get(b"a.b.d", 7, 500).is_none(), "another token");
        assert!(cache.get(b"a.b.c ", 7, 500).is_none(), "a longer one");
        assert!(cache.get(b"a.b.", 7, 500).is_none(), "a prefix");
        assert!(cache.get(b"a.b.c", 8, 500).is_none(), "keys changed since");
        assert!(cache.get(b"a.b.c", 7, 1_059).is_some(), "within the leeway");
        assert!(cache.get(b"a.b.c", 7, 1_060).is_none(), "expired");
    }

    #[test]
    fn a_hash_collision_is_a_miss_not_a_hit() {
        let cache = VerifiedCache::new(10, 60);
        let hash = cache.hasher.hash_one("a.b.c".as_bytes());
        // Plant an entry for another token under the hash of "a.b.c", as a collision would.
        let planted = Entry {
            token: "x.y.z".into(),
            verified: token("1", 1_000).token,
            generation: 7,
            revoked_key: 42,
        };
        cache.entries.write().expect("lock").insert(hash, planted);
        assert!(cache.get(b"a.b.c", 7, 500).is_none());
    }

    #[test]
    fn the_cache_stays_within_its_capacity() {
        let cache = VerifiedCache::new(16, 0);
        for i in 0..100 {
            cache.insert(&format!("t{i}"), token(&i.to_string(), 1_000), 1, 0);
        }
        assert!(cache.len() <= 16, "{}", cache.len());
        let off = VerifiedCache::new(0, 0);
        off.insert("t", token("1", 1_000), 1, 0);
        assert!(off.get(b"t", 1, 0).is_none());
    }
}
