//! Removal of what has expired, in one transaction.

use rusqlite::Connection;
use tessera_core::StoreError;
use tessera_core::model::Timestamp;

use super::cache::Cache;
use super::exec;

/// Each statement takes `now` once; their row counts add up to the result.
const PURGES: [&str; 4] = [
    "DELETE FROM revocations WHERE exp <= ?1",
    "DELETE FROM refresh_tokens WHERE expires_at <= ?1 \
     OR session_id IN (SELECT id FROM sessions WHERE expires_at <= ?1)",
    "DELETE FROM sessions WHERE expires_at <= ?1",
    // Lock-out times are in milliseconds.
    "DELETE FROM login_lockouts WHERE expires_at <= ?1 * 1000",
];

/// Deletes expired revocations, expired refresh records, sessions past their absolute
/// expiry together with their refresh records, and expired failed-login counters; returns
/// the number of rows deleted. Runs in the caller's write transaction.
pub(super) fn purge_expired(
    conn: &Connection,
    cache: &Cache,
    now: Timestamp,
) -> Result<u64, StoreError> {
    cache.forget_revocations();
    cache.forget_sessions();
    let mut deleted = 0;
    for sql in PURGES {
        deleted += exec(conn, sql, [now], "purge")? as u64;
    }
    Ok(deleted)
}
