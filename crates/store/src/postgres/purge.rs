//! Removal of what has expired, in bounded batches.
//!
//! Under load the tables hold millions of rows and a purge may find hundreds of thousands
//! expired at once (after an outage, or the first run on an old database). One statement
//! over all of them would hold their row locks, bloat the WAL in one transaction and could
//! run into the statement timeout; so each statement below deletes at most [`BATCH`] rows
//! and commits on its own, and the purge repeats it until a batch comes back short.
//!
//! Every batch picks its rows with `FOR UPDATE SKIP LOCKED`: a row that a request holds
//! (a refresh token being rotated, a session being revoked, a counter being bumped) is left
//! for the next purge instead of making the purge wait, and two instances purging at the
//! same time split the rows between them instead of queueing on each other. Each
//! selection uses an index on the expiry column (migration 0001).

use sqlx::PgPool;
use tessera_core::StoreError;
use tessera_core::model::Timestamp;

use crate::error::StoreResultExt;

/// Rows deleted per statement: large enough that the round trips do not matter, small
/// enough that one batch takes milliseconds.
const BATCH: i64 = 5_000;

/// Each statement takes `now` as `$1` and the batch size as `$2`, deletes at most that many
/// rows, and is run until it deletes fewer. The order matters: refresh records of expired
/// sessions go before the sessions, so that they are counted rather than cascaded.
const PURGES: [&str; 11] = [
    "DELETE FROM revocations WHERE cursor IN (SELECT cursor FROM revocations \
     WHERE exp <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM refresh_tokens WHERE hash IN (SELECT hash FROM refresh_tokens \
     WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM refresh_tokens WHERE hash IN (SELECT r.hash FROM refresh_tokens r \
     JOIN sessions s ON s.id = r.session_id WHERE s.expires_at <= $1 \
     LIMIT $2 FOR UPDATE OF r SKIP LOCKED)",
    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
     WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Lock-out times are in milliseconds.
    "DELETE FROM login_lockouts WHERE account IN (SELECT account FROM login_lockouts \
     WHERE expires_at <= $1 * 1000 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Login sessions that can no longer sign anyone in, with the clients they noted.
    "DELETE FROM login_sessions WHERE id IN (SELECT id FROM login_sessions \
     WHERE ended_at IS NOT NULL LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM login_sessions WHERE id IN (SELECT id FROM login_sessions \
     WHERE idle_expires_at <= $1 OR expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Codes are kept an hour past expiry, so that a late replay is still recognised.
    "DELETE FROM authorization_codes WHERE hash IN (SELECT hash FROM authorization_codes \
     WHERE expires_at <= $1 - 3600 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Delivered notices go after a day, given-up ones after a week.
    "DELETE FROM logout_outbox WHERE id IN (SELECT id FROM logout_outbox \
     WHERE delivered_at <= $1 - 86400 OR gave_up_at <= $1 - 604800 \
     LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // DPoP proofs whose `iat` window has closed.
    "DELETE FROM dpop_jtis WHERE jti_hash IN (SELECT jti_hash FROM dpop_jtis \
     WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Device requests are kept an hour past expiry, so that a late poll hears
    // `expired_token` rather than `invalid_grant` (index of migration 0008).
    "DELETE FROM device_authorizations WHERE device_code_hash IN (SELECT device_code_hash \
     FROM device_authorizations WHERE expires_at <= $1 - 3600 \
     LIMIT $2 FOR UPDATE SKIP LOCKED)",
];

/// Deletes expired revocations, expired refresh records, sessions past their absolute
/// expiry together with their refresh records, expired failed-login counters, login
/// sessions past their end, spent or stale codes, settled logout notices, DPoP proof
/// records past their window and device requests an hour past their expiry; returns the
/// number of rows deleted. Rows locked by a request at the time are left for the next
/// purge. An error stops the purge; the batches committed before it stay deleted.
pub(super) async fn purge_expired(pool: &PgPool, now: Timestamp) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for sql in PURGES {
        deleted += purge_in_batches(pool, sql, now).await?;
    }
    Ok(deleted)
}

/// Runs one batched statement until a batch deletes fewer than [`BATCH`] rows. Each run is
/// a transaction of its own (autocommit), so its locks last one batch.
async fn purge_in_batches(
    pool: &PgPool,
    sql: &'static str,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let mut deleted = 0;
    loop {
        let batch = sqlx::query(sql)
            .bind(now.secs())
            .bind(BATCH)
            .execute(pool)
            .await
            .or_store("purge")?
            .rows_affected();
        deleted += batch;
        if batch < BATCH.unsigned_abs() {
            return Ok(deleted);
        }
    }
}
