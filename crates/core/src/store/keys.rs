//! Signing keys, their private halves sealed under the master key.

use super::Fut;
use crate::model::{KeyId, KeyRecord, KeyState, Timestamp};

/// Where signing keys live.
pub trait KeyStore: Send + Sync {
    /// Inserts a key. [`StoreError::Conflict`](crate::StoreError::Conflict) when its kid
    /// exists.
    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()>;
    /// Inserts `key` only if the newest key in the store (by creation, whatever its state)
    /// is still `newest_seen` (`None`: the store holds no key), and says whether it did.
    ///
    /// This compare-and-set lets several instances run the rotation plan at the same time
    /// and still create each new key once, so it must be atomic against other instances.
    fn insert_key_after(&self, key: &KeyRecord, newest_seen: Option<&KeyId>) -> impl Fut<bool>;
    /// All keys not yet retired, oldest first.
    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>>;
    /// All keys, oldest first.
    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>>;
    /// Moves a key to `state` (and stamps `retired_at = now` when it stops signing).
    /// [`StoreError::NotFound`](crate::StoreError::NotFound) for an unknown kid.
    fn set_key_state(&self, kid: &KeyId, state: KeyState, now: Timestamp) -> impl Fut<()>;
}
