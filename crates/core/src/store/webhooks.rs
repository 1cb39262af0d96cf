//! Security-event receivers and their place in the audit trail: the durable outbox of the
//! webhooks is the trail itself, read by each receiver from its cursor.

use super::Fut;
use crate::model::{UnixMillis, Webhook, WebhookId};

/// Where receivers and their delivery state live.
pub trait WebhookStore: Send + Sync {
    /// Adds a receiver. An existing id is [`crate::StoreError::Conflict`].
    fn create_webhook(&self, webhook: &Webhook) -> impl Fut<()>;
    /// Every receiver, oldest first.
    fn webhooks(&self) -> impl Fut<Vec<Webhook>>;
    /// Removes a receiver; false when there was none.
    fn delete_webhook(&self, id: &WebhookId) -> impl Fut<bool>;
    /// Claims up to `limit` receivers due at `now` (next attempt due, and not leased by
    /// another deliverer whose lease runs past `now`), leasing them until `lease_until`.
    /// Two concurrent callers never claim the same receiver.
    fn claim_webhooks(
        &self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> impl Fut<Vec<Webhook>>;
    /// Stores `webhook`'s delivery state (cursor, attempts, next attempt, last error, dead
    /// letters) and its lease (`None` releases it), if its cursor is still
    /// `expected_cursor`; false (nothing written) when it moved meanwhile or the receiver is
    /// gone.
    fn update_webhook(
        &self,
        webhook: &Webhook,
        expected_cursor: i64,
        leased_until: Option<UnixMillis>,
    ) -> impl Fut<bool>;
}
