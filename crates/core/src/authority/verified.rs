//! Access tokens that passed the signature and claim checks, remembered so that a client
//! sending the same token with every request (as clients do until it expires) costs one
//! signature check, not one per request.
//!
//! A hit must be the same token byte for byte (the whole token is stored and compared, a
//! keyed hash of its tail only finds the slot), checked under the same key ring (a rotation
//! or retirement replaces the ring and so empties the cache in effect), and still unexpired
//! with the validator's leeway. What can change without the token changing (its
//! revocation, its session) is not cached here: the caller asks the store on every
//! request. Only tokens that passed every check are stored, so forged tokens never enter or
//! evict anything. The cache itself is [`tessera_jose::VerifiedCache`], shared with the
//! guard; this module binds it to our claims and key ring.

use std::sync::Arc;

use tessera_jose::VerifiedCache;

use super::AccessClaims;
use crate::keys::KeyRing;
use crate::model::Timestamp;

/// How many tokens are remembered; a full cache first drops what can no longer hit.
pub(super) const CAPACITY: usize = 4096;

/// A bounded map from access token to its verified claims.
#[derive(Debug)]
pub(super) struct VerifiedTokens {
    /// Keyed by the ring the signature was checked with (held, so its address cannot be
    /// reused; compared by identity).
    cache: VerifiedCache<AccessClaims, Arc<KeyRing>>,
}

impl VerifiedTokens {
    /// An empty cache of at most `capacity` tokens whose expiry is checked with `leeway`
    /// seconds, as the validator does.
    pub(super) fn new(capacity: usize, leeway: i64) -> Self {
        Self {
            cache: VerifiedCache::new(capacity, leeway),
        }
    }

    /// The claims of `token` if it was verified with `ring` and is not expired at `now`.
    pub(super) fn get(
        &self,
        token: &str,
        ring: &Arc<KeyRing>,
        now: Timestamp,
    ) -> Option<AccessClaims> {
        self.cache.get(token.as_bytes(), ring, now.secs())
    }

    /// Remembers a token that passed every check with `ring`.
    pub(super) fn insert(
        &self,
        token: &str,
        claims: &AccessClaims,
        ring: &Arc<KeyRing>,
        now: Timestamp,
    ) {
        let (value, exp) = (claims.clone(), claims.exp.secs());
        self.cache
            .insert(token, value, exp, Arc::clone(ring), now.secs());
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.cache.len()
    }
}

#[cfg(test)]
mod tests {
    use tessera_jose::Algorithm;

    use super::*;
    use crate::keys::generate_record;
    use crate::seal::MasterKey;

    const EXP: Timestamp = Timestamp::from_secs(1_000);
    const ZERO: Timestamp = Timestamp::EPOCH;

    fn ring() -> Arc<KeyRing> {
        let master = MasterKey::from_bytes([7; 32]);
        let record = generate_record(Algorithm::ES256, ZERO, ZERO, &master).expect("key");
        Arc::new(KeyRing::load(&[record], &master, ZERO).expect("ring"))
    }

    fn claims(jti: &str) -> AccessClaims {
        AccessClaims {
            iss: "https://issuer.test".into(),
            sub: "u_1".into(),
            aud: vec!["api".into()],
            exp: EXP,
            iat: ZERO,
            jti: jti.into(),
            client_id: "c_1".into(),
            scope: "read".into(),
            roles: Vec::new(),
            sid: None,
            cnf_jkt: None,
            act: None,
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
        assert_eq!(cache.get(&token, &ring, ZERO), None, "empty cache");
        cache.insert(&token, &claims("j1"), &ring, ZERO);
        assert_eq!(cache.get(&token, &ring, ZERO), Some(claims("j1")));
        // Same tail (same slot), different token: a miss, never the other's claims.
        assert_eq!(cache.get(&self::token("b"), &ring, ZERO), None);
        // Another ring (after a rotation or a retirement): a miss.
        assert_eq!(cache.get(&token, &self::ring(), ZERO), None);
        // The validator's leeway rule: usable while now < exp + 60.
        assert!(cache.get(&token, &ring, EXP.plus_secs(59)).is_some());
        assert_eq!(cache.get(&token, &ring, EXP.plus_secs(60)), None);
    }

    #[test]
    fn a_token_sharing_a_slot_replaces_the_other() {
        let cache = VerifiedTokens::new(8, 60);
        let ring = ring();
        cache.insert(&token("a"), &claims("j1"), &ring, ZERO);
        cache.insert(&token("b"), &claims("j2"), &ring, ZERO);
        assert_eq!(cache.get(&token("a"), &ring, ZERO), None);
        assert_eq!(cache.get(&token("b"), &ring, ZERO), Some(claims("j2")));
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_drops_stale_entries_first() {
        let cache = VerifiedTokens::new(16, 0);
        let ring = ring();
        for i in 0..16 {
            let mut stale = claims("old");
            stale.exp = Timestamp::from_secs(10);
            cache.insert(&format!("old-{i}"), &stale, &ring, ZERO);
        }
        assert_eq!(cache.len(), 16);
        // At time 20 every entry so far has expired: room is made by dropping them all.
        cache.insert("fresh-0", &claims("new"), &ring, Timestamp::from_secs(20));
        assert_eq!(cache.len(), 1);
        for i in 1..100 {
            cache.insert(
                &format!("fresh-{i}"),
                &claims("new"),
                &ring,
                Timestamp::from_secs(20),
            );
            assert!(cache.len() <= 16, "over capacity at {i}");
        }
        assert!(
            cache
                .get("fresh-99", &ring, Timestamp::from_secs(20))
                .is_some()
        );
    }

    #[test]
    fn capacity_zero_turns_the_cache_off() {
        let cache = VerifiedTokens::new(0, 60);
        let ring = ring();
        cache.insert("t", &claims("j"), &ring, ZERO);
        assert_eq!(cache.get("t", &ring, ZERO), None);
    }
}
