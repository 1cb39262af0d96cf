//! What the operations side needs: the revocation feed for guards, health, housekeeping.

use super::Authority;
use crate::error::StoreError;
use crate::model::Revocation;
use crate::store::Store;

impl<S: Store> Authority<S> {
    /// Revocations after `cursor` that have not expired yet, oldest first, at most `limit`
    /// (the `/revocations` feed).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn revocations_since(
        &self,
        cursor: i64,
        limit: u32,
    ) -> Result<Vec<Revocation>, StoreError> {
        self.store
            .revocations_since(cursor, self.now(), limit)
            .await
    }

    /// Resolves when another instance may have revoked something: a hint to read the feed
    /// sooner than the next poll (see
    /// [`RevocationStore::revocations_hint`](crate::store::RevocationStore::revocations_hint)).
    pub async fn revocations_hint(&self) {
        self.store.revocations_hint().await;
    }

    /// Checks that the store answers (readiness).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// Deletes expired revocations, refresh records and failed-login counters, and audit
    /// events past their retention; returns how many went. Run it periodically.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let expired = self.store.purge_expired(self.now()).await?;
        Ok(expired + self.purge_events().await?)
    }
}
