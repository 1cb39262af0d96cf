//! Security-event receivers. SQLite serializes writers, so a claim (one `UPDATE … RETURNING`)
//! is atomic.

use rusqlite::{Connection, Row as SqlRow, params};
use tessera_core::StoreError;
use tessera_core::model::{UnixMillis, Webhook, WebhookId};

use super::error::SqlResultExt;
use super::many;
use crate::webhooks::{COLUMNS, Row, lists};

fn row(row: &SqlRow<'_>) -> Result<Row, StoreError> {
    Ok(Row {
        id: row.get(0).or_store("webhooks.id")?,
        url: row.get(1).or_store("webhooks.url")?,
        kinds: row.get(2).or_store("webhooks.kinds")?,
        created_at: row.get(3).or_store("webhooks.created_at")?,
        cursor: row.get(4).or_store("webhooks.cursor")?,
        attempts: row.get(5).or_store("webhooks.attempts")?,
        next_attempt_at: row.get(6).or_store("webhooks.next_attempt_at")?,
        last_error: row.get(7).or_store("webhooks.last_error")?,
        dead_letters: row.get(8).or_store("webhooks.dead_letters")?,
    })
}

pub(super) fn create(conn: &Connection, webhook: &Webhook) -> Result<(), StoreError> {
    let (kinds, dead) = lists(webhook)?;
    conn.prepare_cached(
        "INSERT INTO webhooks (id, url, kinds, created_at, cursor, attempts, next_attempt_at, \
         last_error, dead_letters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            webhook.id.as_str(),
            webhook.url,
            kinds,
            webhook.created_at.secs(),
            webhook.cursor,
            webhook.attempts,
            webhook.next_attempt_at.millis(),
            webhook.last_error,
            dead,
        ])
    })
    .or_store("webhook")?;
    Ok(())
}

pub(super) fn all(conn: &Connection) -> Result<Vec<Webhook>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks ORDER BY created_at, id");
    let rows = many(conn, &sql, [], "webhook", row)?;
    rows.into_iter().map(Row::decode).collect()
}

pub(super) fn delete(conn: &Connection, id: &WebhookId) -> Result<bool, StoreError> {
    let gone = conn
        .prepare_cached("DELETE FROM webhooks WHERE id = ?")
        .and_then(|mut stmt| stmt.execute([id.as_str()]))
        .or_store("webhook")?;
    Ok(gone > 0)
}

pub(super) fn claim(
    conn: &Connection,
    now: UnixMillis,
    lease_until: UnixMillis,
    limit: u32,
) -> Result<Vec<Webhook>, StoreError> {
    let sql = format!(
        "UPDATE webhooks SET leased_until = ?2 WHERE id IN (SELECT id FROM webhooks \
         WHERE next_attempt_at <= ?1 AND (leased_until IS NULL OR leased_until <= ?1) \
         ORDER BY next_attempt_at, id LIMIT ?3) RETURNING {COLUMNS}"
    );
    let params = params![now.millis(), lease_until.millis(), limit];
    let rows = many(conn, &sql, params, "webhook", row)?;
    rows.into_iter().map(Row::decode).collect()
}

pub(super) fn update(
    conn: &Connection,
    webhook: &Webhook,
    expected_cursor: i64,
    leased_until: Option<UnixMillis>,
) -> Result<bool, StoreError> {
    let (_, dead) = lists(webhook)?;
    let changed = conn
        .prepare_cached(
            "UPDATE webhooks SET cursor = ?, attempts = ?, next_attempt_at = ?, last_error = ?, \
             dead_letters = ?, leased_until = ? WHERE id = ? AND cursor = ?",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                webhook.cursor,
                webhook.attempts,
                webhook.next_attempt_at.millis(),
                webhook.last_error,
                dead,
                leased_until.map(UnixMillis::millis),
                webhook.id.as_str(),
                expected_cursor,
            ])
        })
        .or_store("webhook")?;
    Ok(changed > 0)
}
