//! Security-event receivers. A claim locks the due rows it takes with `FOR UPDATE SKIP
//! LOCKED`, so that two instances claiming at once never take the same receiver.

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};
use tessera_core::StoreError;
use tessera_core::model::{UnixMillis, Webhook, WebhookId};

use crate::error::StoreResultExt;
use crate::webhooks::{COLUMNS, Row, lists};

fn row(row: &PgRow) -> Result<Webhook, StoreError> {
    Row {
        id: row.try_get("id").or_store("webhooks.id")?,
        url: row.try_get("url").or_store("webhooks.url")?,
        kinds: row.try_get("kinds").or_store("webhooks.kinds")?,
        created_at: row.try_get("created_at").or_store("webhooks.created_at")?,
        cursor: row.try_get("cursor").or_store("webhooks.cursor")?,
        attempts: row.try_get("attempts").or_store("webhooks.attempts")?,
        next_attempt_at: row
            .try_get("next_attempt_at")
            .or_store("webhooks.next_attempt_at")?,
        last_error: row.try_get("last_error").or_store("webhooks.last_error")?,
        dead_letters: row
            .try_get("dead_letters")
            .or_store("webhooks.dead_letters")?,
    }
    .decode()
}

pub(super) async fn create(pool: &PgPool, webhook: &Webhook) -> Result<(), StoreError> {
    let (kinds, dead) = lists(webhook)?;
    sqlx::query(
        "INSERT INTO webhooks (id, url, kinds, created_at, cursor, attempts, next_attempt_at, \
         last_error, dead_letters) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(webhook.id.as_str())
    .bind(&webhook.url)
    .bind(kinds)
    .bind(webhook.created_at.secs())
    .bind(webhook.cursor)
    .bind(i64::from(webhook.attempts))
    .bind(webhook.next_attempt_at.millis())
    .bind(&webhook.last_error)
    .bind(dead)
    .execute(pool)
    .await
    .or_store("webhook")?;
    Ok(())
}

pub(super) async fn all(pool: &PgPool) -> Result<Vec<Webhook>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks ORDER BY created_at, id");
    // A constant column list; nothing from outside.
    let found = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .or_store("webhook")?;
    found.iter().map(row).collect()
}

pub(super) async fn delete(pool: &PgPool, id: &WebhookId) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id.as_str())
        .execute(pool)
        .await
        .or_store("webhook")?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn claim(
    pool: &PgPool,
    now: UnixMillis,
    lease_until: UnixMillis,
    limit: u32,
) -> Result<Vec<Webhook>, StoreError> {
    let sql = format!(
        "UPDATE webhooks SET leased_until = $2 WHERE id IN (SELECT id FROM webhooks \
         WHERE next_attempt_at <= $1 AND (leased_until IS NULL OR leased_until <= $1) \
         ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING {COLUMNS}"
    );
    // A constant column list; every value is bound.
    let found = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now.millis())
        .bind(lease_until.millis())
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .or_store("webhook")?;
    found.iter().map(row).collect()
}

pub(super) async fn update(
    pool: &PgPool,
    webhook: &Webhook,
    expected_cursor: i64,
    leased_until: Option<UnixMillis>,
) -> Result<bool, StoreError> {
    let (_, dead) = lists(webhook)?;
    let done = sqlx::query(
        "UPDATE webhooks SET cursor = $1, attempts = $2, next_attempt_at = $3, last_error = $4, \
         dead_letters = $5, leased_until = $6 WHERE id = $7 AND cursor = $8",
    )
    .bind(webhook.cursor)
    .bind(i64::from(webhook.attempts))
    .bind(webhook.next_attempt_at.millis())
    .bind(
        webhook
            .last_error
            .as_deref()
            .map(|e| e.replace('\0', "\u{fffd}")),
    )
    .bind(dead)
    .bind(leased_until.map(UnixMillis::millis))
    .bind(webhook.id.as_str())
    .bind(expected_cursor)
    .execute(pool)
    .await
    .or_store("webhook")?;
    Ok(done.rows_affected() > 0)
}
