//! Access tokens that passed the signature and claim checks, remembered so that a client
//! sending the same token with every request (as clients do until it expires) costs one
//! signature check, not one per request.
//!
//! A hit must be the same token byte for byte (the whole token is stored and compared, the
//! hash only finds the slot), checked under the same key ring (a rotation or retirement
//! replaces the ring and so empties the cache in effect), and still unexpired with the
//! validator's leeway. What can change without the token changing (its revocation, its
//! session) is not cached here: the caller asks the store on every request. Only tokens
//! that passed every check are stored, so forged tokens never enter or evict anything.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, PoisonError, RwLock};

use super::AccessClaims;
use crate::keys::KeyRing;
use crate::model::Timestamp;

/// How many tokens are remembered; a full cache first drops what can no longer hit.
pub(super) const CAPACITY: usize = 4096;

/// How many trailing bytes of a token are hashed: the end of the signature, which differs
/// between any two tokens we issue (equality is checked on the whole token).
const HASHED_TAIL: usize = 32;

#[derive(Debug)]
struct Entry {
    token: Box<str>,
    claims: AccessClaims,
    /// The ring the signature was checked with (held, so its address cannot be reused).
    ring: Arc<KeyRing>,
}

/// A bounded map from access token to its verified claims.
#[derive(Debug)]
pub(super) struct VerifiedTokens {
    capacity: usize,
    leeway: i64,
    hasher: RandomState,
    entries: RwLock<HashMap<u64, Entry>>,
}

impl VerifiedTokens {
    /// An empty cache of at most `capacity` tokens whose expiry is checked with `leeway`
    /// seconds, as the validator does.
    pub(super) fn new(capacity: usize, leeway: i64) -> Self {
        Self {
            capacity,
            leeway,
            hasher: RandomState::new(),
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The claims of `token` if it was verified with `ring` and is not expired at `now`.
    pub(super) fn get(
        &self,
        token: &str,
        ring: &Arc<KeyRing>,
        now: Timestamp,
    ) -> Option<AccessClaims> {
        let slot = self.slot(token);
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&slot)?;
        let usable = *entry.token == *token
            && Arc::ptr_eq(&entry.ring, ring)
            && self.fresh(&entry.claims, now);
        usable.then(|| entry.claims.clone())
    }

    /// Remembers a token that passed every check with `ring`.
    pub(super) fn insert(
        &self,
        token: &str,
        claims: &AccessClaims,
        ring: &Arc<KeyRing>,
        now: Timestamp,
    ) {
        if self.capacity == 0 {
            return;
        }
        let slot = self.slot(token);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(&slot) {
            self.make_room(&mut entries, ring, now);
        }
        let entry = Entry {
            token: token.into(),
            claims: claims.clone(),
            ring: Arc::clone(ring),
        };
        entries.insert(slot, entry);
    }

    /// The validator's expiry rule: usable while `now < exp + leeway`.
    fn fresh(&self, claims: &AccessClaims, now: Timestamp) -> bool {
        now < claims.exp.saturating_add(self.leeway)
    }

    fn slot(&self, token: &str) -> u64 {
        let bytes = token.as_bytes();
        let tail = &bytes[bytes.len().saturating_sub(HASHED_TAIL)..];
        self.hasher.hash_one(tail)
    }

    /// Drops expired entries and those of an older ring, then, if still full, one in eight.
    fn make_room(&self, entries: &mut HashMap<u64, Entry>, ring: &Arc<KeyRing>, now: Timestamp) {
        entries.retain(|_, e| Arc::ptr_eq(&e.ring, ring) && self.fresh(&e.claims, now));
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
    use tessera_jose::Algorithm;

    use super::*;
    use crate::keys::generate_record;
    use crate::seal::MasterKey;

    const EXP: Timestamp = 1_000;

    fn ring() -> Arc<KeyRing> {
        let master = MasterKey::from_bytes([7; 32]);
        let record = generate_record(Algorithm::ES256, 0, 0, &master).expect("key");
        Arc::new(KeyRing::load(&[record], &master, 0).expect("ring"))
    }

    fn claims(jti: &str) -> AccessClaims {
        AccessClaims {
            iss: "https://issuer.test".into(),
            sub: "u_1".into(),
            aud: vec!["api".into()],
            exp: EXP,
            iat: 0,
            jti: jti.into(),
            client_id: "c_1".into(),
            scope: "read".into(),
            roles: Vec::new(),
            sid: None,
        }
    }

    /// A token-shaped string: `prefix` then a shared 40-byte tail, so that two of them
    /// land in the same slot.
    fn token(prefix: &str) -> String {
        format!("{prefix}.payload.{}", "s".repeat(40))
    }

    #[test]
    fn a_hit_needs_the_same_token_the_same_ring_and_an_unexpired_token() {
        let cache = VerifiedTokens::new(8, 60);
        let ring = ring();
        let token = token("a");
        assert_eq!(cache.get(&token, &ring, 0), None, "empty cache");
        cache.insert(&token, &claims("j1"), &ring, 0);
        assert_eq!(cache.get(&token, &ring, 0), Some(claims("j1")));
        // Same tail (same slot), different token: a miss, never the other's claims.
        assert_eq!(cache.get(&self::token("b"), &ring, 0), None);
        // Another ring (after a rotation or a retirement): a miss.
        assert_eq!(cache.get(&token, &self::ring(), 0), None);
        // The validator's leeway rule: usable while now < exp + 60.
        assert!(cache.get(&token, &ring, EXP + 59).is_some());
        assert_eq!(cache.get(&token, &ring, EXP + 60), None);
    }

    #[test]
    fn a_token_sharing_a_slot_replaces_the_other() {
        let cache = VerifiedTokens::new(8, 60);
        let ring = ring();
        cache.insert(&token("a"), &claims("j1"), &ring, 0);
        cache.insert(&token("b"), &claims("j2"), &ring, 0);
        assert_eq!(cache.get(&token("a"), &ring, 0), None);
        assert_eq!(cache.get(&token("b"), &ring, 0), Some(claims("j2")));
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_drops_stale_entries_first() {
        let cache = VerifiedTokens::new(16, 0);
        let ring = ring();
        for i in 0..16 {
            let mut stale = claims("old");
            stale.exp = 10;
            cache.insert(&format!("old-{i}"), &stale, &ring, 0);
        }
        assert_eq!(cache.len(), 16);
        // At time 20 every entry so far has expired: room is made by dropping them all.
        cache.insert("fresh-0", &claims("new"), &ring, 20);
        assert_eq!(cache.len(), 1);
        for i in 1..100 {
            cache.insert(&format!("fresh-{i}"), &claims("new"), &ring, 20);
            assert!(cache.len() <= 16, "over capacity at {i}");
        }
        assert!(cache.get("fresh-99", &ring, 20).is_some());
    }

    #[test]
    fn capacity_zero_turns_the_cache_off() {
        let cache = VerifiedTokens::new(0, 60);
        let ring = ring();
        cache.insert("t", &claims("j"), &ring, 0);
        assert_eq!(cache.get("t", &ring, 0), None);
    }
}
