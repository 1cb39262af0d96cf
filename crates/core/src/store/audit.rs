//! The audit trail of security events.

use super::Fut;
use crate::model::{AuditEvent, EventQuery, NewEvent, UnixMillis};

/// Where security events are kept, in the order they were committed.
pub trait AuditStore: Send + Sync {
    /// Appends `event` at `at` and returns its id. Ids grow in commit order: a reader paging
    /// with [`EventQuery::after`] never skips an event committed later with a smaller id.
    fn append_event(&self, event: &NewEvent, at: UnixMillis) -> impl Fut<i64>;
    /// The id of the newest event (0 when there is none).
    fn latest_event_id(&self) -> impl Fut<i64>;
    /// The events after `query.after` that pass its filters, oldest first, at most
    /// [`EventQuery::page_size`].
    fn audit_events(&self, query: &EventQuery) -> impl Fut<Vec<AuditEvent>>;
    /// Deletes at most `batch` events, oldest first, among those before `before` or beyond
    /// the newest `keep` events; returns how many went. Callers repeat while it returns
    /// `batch`.
    fn purge_events(&self, before: UnixMillis, keep: u64, batch: u32) -> impl Fut<u64>;
}
