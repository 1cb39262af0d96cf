//! A bounded cache of tokens that passed every check.
//!
//! A client sends the same access token with every request until it expires, so after the
//! first request the signature check is repeated work. A hit still checks what can change:
//! the expiry (against the clock, with the leeway), the revoked set, and that the key set is
//! the one the token was verified with. Only tokens that passed are cached, so attack traffic
//! (which cannot produce a valid signature) never enters it.
//!
//! The cache is [`tessera_jose::VerifiedCache`] (shared with the Tessera server): a keyed
//! hash finds the slot, and a hit requires the presented token to equal the cached one byte
//! for byte, so a hash collision, accidental or crafted, is only a miss. Entries are keyed
//! by the key cache's generation, which every JWKS refresh bumps.

use crate::token::AccessToken;

/// Verified tokens, each with its key in the revoked set, under a key-cache generation.
pub(crate) type VerifiedCache = tessera_jose::VerifiedCache<Hit, u64>;

/// A cache hit: the verified token and its key in the revoked set.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub(crate) token: AccessToken,
    /// Its `jti`'s key in the revoked set, worked out once rather than on every hit.
    pub(crate) revoked_key: u64,
}

impl Hit {
    /// Remembers this verified token, presented as `token`, under `generation`.
    pub(crate) fn cache_in(&self, cache: &VerifiedCache, token: &str, generation: u64, now: i64) {
        let expires_at = self.token.expires_at();
        cache.insert(token, self.clone(), expires_at, generation, now);
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
        token("1", 1_000).cache_in(&cache, "a.b.c", 7, 500);
        let hit = cache.get(b"a.b.c", &7, 500).expect("hit");
        assert_eq!((hit.token.jti(), hit.revoked_key), ("1", 42));
        assert!(cache.get(b"a.b.d", &7, 500).is_none(), "another token");
        assert!(cache.get(b"a.b.c ", &7, 500).is_none(), "a longer one");
        assert!(cache.get(b"a.b.", &7, 500).is_none(), "a prefix");
        assert!(cache.get(b"a.b.c", &8, 500).is_none(), "keys changed since");
        assert!(
            cache.get(b"a.b.c", &7, 1_059).is_some(),
            "within the leeway"
        );
        assert!(cache.get(b"a.b.c", &7, 1_060).is_none(), "expired");
    }

    // A planted hash collision is a miss: tested where the cache's slots live
    // (tessera-jose, `a_hash_collision_is_a_miss_not_a_hit`).

    #[test]
    fn the_cache_stays_within_its_capacity() {
        let cache = VerifiedCache::new(16, 0);
        for i in 0..100 {
            token(&i.to_string(), 1_000).cache_in(&cache, &format!("t{i}"), 1, 0);
        }
        assert!(cache.len() <= 16, "{}", cache.len());
        let off = VerifiedCache::new(0, 0);
        token("1", 1_000).cache_in(&off, "t", 1, 0);
        assert!(off.get(b"t", &1, 0).is_none());
    }
}
