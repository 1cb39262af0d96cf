//! Failed-login counters and lock-outs per account (times in milliseconds).

use rusqlite::{Connection, OptionalExtension, params};
use tessera_core::StoreError;
use tessera_core::model::{LockoutKey, UnixMillis};

use super::error::SqlResultExt;
use super::{exec, scalar};

/// Adds one failure, starting over when the counter has expired; returns the new count.
pub(super) fn count_login_failure(
    conn: &Connection,
    account: &LockoutKey,
    now: UnixMillis,
    expires_at: UnixMillis,
) -> Result<u32, StoreError> {
    let failures: i64 = scalar(
        conn,
        "INSERT INTO login_lockouts (account, failures, locked_until, expires_at) \
             VALUES (?1, 1, NULL, ?3) \
             ON CONFLICT (account) DO UPDATE SET \
               failures = CASE WHEN expires_at <= ?2 THEN 1 ELSE failures + 1 END, \
               locked_until = CASE WHEN expires_at <= ?2 THEN NULL ELSE locked_until END, \
               expires_at = CASE WHEN expires_at <= ?2 THEN ?3 \
                            ELSE max(?3, coalesce(locked_until, 0)) END \
             RETURNING failures",
        params![account.as_str(), now.millis(), expires_at.millis()],
        "login lock-out",
    )?;
    Ok(u32::try_from(failures).unwrap_or(u32::MAX))
}

/// Extends the lock to `until`, and the counter's expiry with it.
pub(super) fn lock_login(
    conn: &Connection,
    account: &LockoutKey,
    until: UnixMillis,
) -> Result<(), StoreError> {
    exec(
        conn,
        "UPDATE login_lockouts SET locked_until = max(coalesce(locked_until, 0), ?2), \
         expires_at = max(expires_at, ?2) WHERE account = ?1",
        params![account.as_str(), until.millis()],
        "login lock-out",
    )?;
    Ok(())
}

pub(super) fn login_locked_until(
    conn: &Connection,
    account: &LockoutKey,
) -> Result<Option<UnixMillis>, StoreError> {
    let until: Option<Option<i64>> = conn
        .prepare_cached("SELECT locked_until FROM login_lockouts WHERE account = ?")
        .and_then(|mut stmt| {
            stmt.query_row([account.as_str()], |row| row.get(0))
                .optional()
        })
        .or_store("login lock-out")?;
    Ok(until.flatten().map(UnixMillis::from_millis))
}

pub(super) fn clear_login_failures(
    conn: &Connection,
    account: &LockoutKey,
) -> Result<bool, StoreError> {
    let deleted = exec(
        conn,
        "DELETE FROM login_lockouts WHERE account = ?",
        [account.as_str()],
        "login lock-out",
    )?;
    Ok(deleted > 0)
}
