//! Webhook rows, shared by both backends: the column list and the decoding of a row.

use tessera_core::StoreError;
use tessera_core::model::{Timestamp, UnixMillis, Webhook, WebhookId};

use crate::codec::{decode_list, encode_list};

/// The columns every `SELECT` and `RETURNING` of a webhook names, in this order.
pub(crate) const COLUMNS: &str =
    "id, url, kinds, created_at, cursor, attempts, next_attempt_at, last_error, dead_letters";

/// A webhook's columns as read: `id, url, kinds, created_at, cursor, attempts,
/// next_attempt_at, last_error, dead_letters`.
pub(crate) struct Row {
    pub id: String,
    pub url: String,
    pub kinds: String,
    pub created_at: i64,
    pub cursor: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub dead_letters: String,
}

impl Row {
    /// The webhook, or [`StoreError::Corrupt`] for a list that does not decode.
    pub(crate) fn decode(self) -> Result<Webhook, StoreError> {
        Ok(Webhook {
            id: WebhookId::new(self.id),
            url: self.url,
            kinds: decode_list(&self.kinds, "webhooks.kinds")?,
            created_at: Timestamp::from_secs(self.created_at),
            cursor: self.cursor,
            attempts: u32::try_from(self.attempts)
                .map_err(|_| StoreError::corrupt("webhooks.attempts out of range"))?,
            next_attempt_at: UnixMillis::from_millis(self.next_attempt_at),
            last_error: self.last_error,
            dead_letters: decode_list(&self.dead_letters, "webhooks.dead_letters")?,
        })
    }
}

/// The encoded lists of `webhook`: `kinds` and `dead_letters`.
pub(crate) fn lists(webhook: &Webhook) -> Result<(String, String), StoreError> {
    Ok((
        encode_list(&webhook.kinds)?,
        encode_list(&webhook.dead_letters)?,
    ))
}
