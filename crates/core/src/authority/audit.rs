//! The audit trail: every rule that records a security event calls [`Authority::audit`];
//! operators read the trail through [`Authority::events`].

use super::Authority;
use crate::error::{AdminError, StoreError};
use crate::events::SecurityEvent;
use crate::model::{AuditEvent, EventQuery, NewEvent};
use crate::store::Store;

/// Events deleted per statement by the retention purge, so that it never holds the store
/// for long.
const PURGE_BATCH: u32 = 5_000;

/// The most batches one purge run deletes; the next run goes on.
const PURGE_BATCHES_PER_RUN: u32 = 20;

impl<S: Store> Authority<S> {
    /// Appends `event` to the trail. The change it records has already been committed, so
    /// a failed append does not undo it or fail the request: the failure goes to the event
    /// sink as [`SecurityEvent::AuditLost`], for the logs.
    pub(super) async fn audit(&self, event: NewEvent) -> Option<i64> {
        match self.store.append_event(&event, self.now_millis()).await {
            Ok(id) => Some(id),
            Err(err) => {
                self.emit(SecurityEvent::AuditLost {
                    kind: event.kind,
                    cause: err.to_string(),
                });
                None
            }
        }
    }

    /// Records an event that only the caller can see (a sign-in refused by a per-address
    /// throttle, say). Events of the authority's own rules are recorded by the rules.
    pub async fn record_event(&self, event: NewEvent) {
        self.audit(event).await;
    }

    /// The events that pass `query`, oldest first (see [`EventQuery`]).
    ///
    /// # Errors
    /// [`AdminError::Invalid`] for a time range that ends before it starts; the store's
    /// errors.
    pub async fn events(&self, query: &EventQuery) -> Result<Vec<AuditEvent>, AdminError> {
        if let (Some(since), Some(until)) = (query.since, query.until)
            && until < since
        {
            return Err(AdminError::invalid("the time range ends before it starts"));
        }
        Ok(self.store.audit_events(query).await?)
    }

    /// Deletes events older than the retention period or beyond the most kept, in bounded
    /// batches; returns how many went.
    pub(super) async fn purge_events(&self) -> Result<u64, StoreError> {
        let now = self.now_millis();
        let before = crate::model::UnixMillis::from_millis(now.millis().saturating_sub(
            i64::try_from(self.config.audit_retention.as_millis()).unwrap_or(i64::MAX),
        ));
        let mut purged = 0;
        for _ in 0..PURGE_BATCHES_PER_RUN {
            let rows = self
                .store
                .purge_events(before, self.config.audit_max_events, PURGE_BATCH)
                .await?;
            purged += rows;
            if rows < u64::from(PURGE_BATCH) {
                break;
            }
        }
        Ok(purged)
    }
}
