//! Failed-login counters and lock-outs per account (times in milliseconds).

use tessera_core::StoreError;

use super::Db;
use crate::error::StoreResultExt;

/// Adds one failure, starting over when the counter has expired; returns the new count.
pub(super) async fn count_login_failure(
    db: &Db,
    account: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<u32, StoreError> {
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO login_lockouts (account, failures, locked_until, expires_at) \
         VALUES (?1, 1, NULL, ?3) \
         ON CONFLICT (account) DO UPDATE SET \
           failures = CASE WHEN expires_at <= ?2 THEN 1 ELSE failures + 1 END, \
           locked_until = CASE WHEN expires_at <= ?2 THEN NULL ELSE locked_until END, \
           expires_at = CASE WHEN expires_at <= ?2 THEN ?3 \
                        ELSE max(?3, coalesce(locked_until, 0)) END \
         RETURNING failures",
    )
    .bind(account)
    .bind(now_ms)
    .bind(expires_at_ms)
    .fetch_one(&db.writer)
    .await
    .or_store("login lock-out")?;
    Ok(u32::try_from(failures).unwrap_or(u32::MAX))
}

/// Extends the lock to `until_ms`, and the counter's expiry with it.
pub(super) async fn lock_login(db: &Db, account: &str, until_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE login_lockouts SET locked_until = max(coalesce(locked_until, 0), ?2), \
         expires_at = max(expires_at, ?2) WHERE account = ?1",
    )
    .bind(account)
    .bind(until_ms)
    .execute(&db.writer)
    .await
    .or_store("login lock-out")?;
    Ok(())
}

pub(super) async fn login_locked_until(db: &Db, account: &str) -> Result<Option<i64>, StoreError> {
    let until: Option<Option<i64>> =
        sqlx::query_scalar("SELECT locked_until FROM login_lockouts WHERE account = ?")
            .bind(account)
            .fetch_optional(&db.reader)
            .await
            .or_store("login lock-out")?;
    Ok(until.flatten())
}

pub(super) async fn clear_login_failures(db: &Db, account: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM login_lockouts WHERE account = ?")
        .bind(account)
        .execute(&db.writer)
        .await
        .or_store("login lock-out")?;
    Ok(done.rows_affected() > 0)
}
