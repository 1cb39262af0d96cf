//! Failed-login counters and lock-outs per account (times in milliseconds).
//!
//! Each statement is atomic on its own (`INSERT … ON CONFLICT DO UPDATE` takes the row
//! lock), so instances counting failures for one account at once all count.

use std::borrow::Cow;

use sqlx::PgPool;
use tessera_core::StoreError;
use tessera_core::model::{LockoutKey, UnixMillis};

use crate::error::StoreResultExt;

/// Adds one failure, starting over when the counter has expired; returns the new count.
pub(super) async fn count_login_failure(
    pool: &PgPool,
    account: &LockoutKey,
    now: UnixMillis,
    expires_at: UnixMillis,
) -> Result<u32, StoreError> {
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO login_lockouts AS l (account, failures, locked_until, expires_at) \
         VALUES ($1, 1, NULL, $3) \
         ON CONFLICT (account) DO UPDATE SET \
           failures = CASE WHEN l.expires_at <= $2 THEN 1 ELSE l.failures + 1 END, \
           locked_until = CASE WHEN l.expires_at <= $2 THEN NULL ELSE l.locked_until END, \
           expires_at = CASE WHEN l.expires_at <= $2 THEN $3 \
                        ELSE GREATEST($3, coalesce(l.locked_until, 0)) END \
         RETURNING failures",
    )
    .bind(account_key(account.as_str()))
    .bind(now.millis())
    .bind(expires_at.millis())
    .fetch_one(pool)
    .await
    .or_store("login lock-out")?;
    Ok(u32::try_from(failures).unwrap_or(u32::MAX))
}

/// Extends the lock to `until`, and the counter's expiry with it.
pub(super) async fn lock_login(
    pool: &PgPool,
    account: &LockoutKey,
    until: UnixMillis,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE login_lockouts SET locked_until = GREATEST(coalesce(locked_until, 0), $2), \
         expires_at = GREATEST(expires_at, $2) WHERE account = $1",
    )
    .bind(account_key(account.as_str()))
    .bind(until.millis())
    .execute(pool)
    .await
    .or_store("login lock-out")?;
    Ok(())
}

pub(super) async fn login_locked_until(
    pool: &PgPool,
    account: &LockoutKey,
) -> Result<Option<UnixMillis>, StoreError> {
    let until: Option<Option<i64>> =
        sqlx::query_scalar("SELECT locked_until FROM login_lockouts WHERE account = $1")
            .bind(account_key(account.as_str()))
            .fetch_optional(pool)
            .await
            .or_store("login lock-out")?;
    Ok(until.flatten().map(UnixMillis::from_millis))
}

pub(super) async fn clear_login_failures(
    pool: &PgPool,
    account: &LockoutKey,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM login_lockouts WHERE account = $1")
        .bind(account_key(account.as_str()))
        .execute(pool)
        .await
        .or_store("login lock-out")?;
    Ok(done.rows_affected() > 0)
}

/// The stored key of an account. The name comes straight from a login form and PostgreSQL
/// text cannot hold NUL, so NUL and the escape character itself are escaped; every other
/// name is stored as it is. Failures for a name with NUL are then counted like any other.
fn account_key(account: &str) -> Cow<'_, str> {
    if !account.contains(['\0', '\\']) {
        return Cow::Borrowed(account);
    }
    Cow::Owned(account.replace('\\', "\\\\").replace('\0', "\\0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_keys_escape_nul_without_collisions() {
        assert_eq!(account_key("alice"), "alice");
        assert_eq!(account_key("a\0b"), "a\\0b");
        assert_ne!(account_key("a\0b"), account_key("a\\0b"));
        assert!(!account_key("a\\0b\0").contains('\0'));
    }
}
