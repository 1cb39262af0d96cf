//! A bounded cache of tokens that passed every check, keyed by the SHA-256 of the token.
//!
//! A client sends the same access token with every request until it expires, so after the
//! first request the signature check is repeated work. A hit still checks what can change:
//! the expiry (against the clock, with the leeway), the revoked set, and that the key set is
//! the one the token was verified with. Only tokens that passed are cached, so attack traffic
//! (which cannot produce a valid signature) never enters it.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use aws_lc_rs::digest::{SHA256, digest};

use crate::token::AccessToken;

/// The token's SHA-256: collision-resistant, so a hit is the same token.
type Key = [u8; 32];

#[derive(Debug)]
struct Entry {
    token: AccessToken,
    /// The key-cache generation it was verified under.
    generation: u64,
}

/// Verified tokens, at most `capacity` of them.
#[derive(Debug)]
pub(crate) struct VerifiedCache {
    capacity: usize,
    leeway: i64,
    entries: RwLock<HashMap<Key, Entry>>,
}

impl VerifiedCache {
    /// A cache of at most `capacity` tokens (0 turns it off).
    pub(crate) fn new(capacity: usize, leeway: i64) -> Self {
        Self {
            capacity,
            leeway,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The token if it was verified under `generation` and has not expired at `now`.
    pub(crate) fn get(&self, token: &str, generation: u64, now: i64) -> Option<AccessToken> {
        if self.capacity == 0 {
            return None;
        }
        let key = key(token);
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&key)?;
        let fresh = now < entry.token.expires_at().saturating_add(self.leeway);
        (fresh && entry.generation == generation).then(|| entry.token.clone())
    }

    /// Remembers a token that passed every check.
    pub(crate) fn insert(&self, token: &str, verified: &AccessToken, generation: u64, now: i64) {
        if self.capacity == 0 {
            return;
        }
        let key = key(token);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity {
            self.make_room(&mut entries, generation, now);
        }
        let entry = Entry {
            token: verified.clone(),
            generation,
        };
        entries.insert(key, entry);
    }

    /// Drops expired and outdated entries, then, if still full, one in eight.
    fn make_room(&self, entries: &mut HashMap<Key, Entry>, generation: u64, now: i64) {
        let leeway = self.leeway;
        entries.retain(|_, e| {
            e.generation == generation && now < e.token.expires_at().saturating_add(leeway)
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

fn key(token: &str) -> Key {
    let mut key = [0u8; 32];
    key.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    key
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tessera_jose::Claims;

    use super::*;

    fn token(jti: &str, exp: i64) -> AccessToken {
        let claims = json!({"sub": "s", "jti": jti, "exp": exp, "client_id": "c"});
        let serde_json::Value::Object(map) = claims else {
            panic!("object")
        };
        AccessToken::from_claims(Claims::from_map(map).expect("claims")).expect("token")
    }

    #[test]
    fn hits_need_the_same_token_generation_and_an_unexpired_token() {
        let cache = VerifiedCache::new(10, 60);
        cache.insert("a.b.c", &token("1", 1_000), 7, 500);
        assert!(cache.get("a.b.c", 7, 500).is_some());
        assert!(cache.get("a.b.d", 7, 500).is_none(), "another token");
        assert!(cache.get("a.b.c", 8, 500).is_none(), "keys changed since");
        assert!(cache.get("a.b.c", 7, 1_059).is_some(), "within the leeway");
        assert!(cache.get("a.b.c", 7, 1_060).is_none(), "expired");
    }

    #[test]
    fn the_cache_stays_within_its_capacity() {
        let cache = VerifiedCache::new(16, 0);
        for i in 0..100 {
            cache.insert(&format!("t{i}"), &token(&i.to_string(), 1_000), 1, 0);
        }
        assert!(cache.len() <= 16, "{}", cache.len());
        let off = VerifiedCache::new(0, 0);
        off.insert("t", &token("1", 1_000), 1, 0);
        assert!(off.get("t", 1, 0).is_none());
    }
}
