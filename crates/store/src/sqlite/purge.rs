//! Removal of what has expired, in one transaction.

use rusqlite::Connection;
use tessera_core::StoreError;
use tessera_core::model::Timestamp;

use super::cache::Cache;
use super::exec;

/// Each statement takes `now` once; their row counts add up to the result.
const PURGES: [&str; 9] = [
    "DELETE FROM revocations WHERE exp <= ?1",
    "DELETE FROM refresh_tokens WHERE expires_at <= ?1 \
     OR session_id IN (SELECT id FROM sessions WHERE expires_at <= ?1)",
    "DELETE FROM sessions WHERE expires_at <= ?1",
    // Lock-out times are in milliseconds.
    "DELETE FROM login_lockouts WHERE expires_at <= ?1 * 1000",
    // Login sessions that can no longer sign anyone in, with the clients they noted.
    "DELETE FROM login_sessions WHERE ended_at IS NOT NULL OR idle_expires_at <= ?1 \
     OR expires_at <= ?1",
    // Codes are kept an hour past expiry, so that a late replay is still recognised.
    "DELETE FROM authorization_codes WHERE expires_at <= ?1 - 3600",
    // Delivered notices go after a day, given-up ones after a week.
    "DELETE FROM logout_outbox WHERE delivered_at <= ?1 - 86400 \
     OR gave_up_at <= ?1 - 604800",
    // DPoP proofs whose `iat` window has closed.
    "DELETE FROM dpop_jtis WHERE expires_at <= ?1",
    // Device requests are kept an hour past expiry, so that a late poll hears
    // `expired_token` rather than `invalid_grant`.
    "DELETE FROM device_authorizations WHERE expires_at <= ?1 - 3600",
];

/// Deletes expired revocations, expired refresh records, sessions past their absolute
/// expiry together with their refresh records, expired failed-login counters, login
/// sessions past their end, spent or stale codes, settled logout notices, DPoP proof
/// records past their window and device requests an hour past their expiry; returns the
/// number of rows deleted. Runs in the caller's write transaction.
pub(super) fn purge_expired(
    conn: &Connection,
    cache: &Cache,
    now: Timestamp,
) -> Result<u64, StoreError> {
    cache.forget_revocations();
    cache.forget_sessions();
    let mut deleted = 0;
    for sql in PURGES {
        deleted += exec(conn, sql, [now.secs()], "purge")? as u64;
    }
    Ok(deleted)
}
