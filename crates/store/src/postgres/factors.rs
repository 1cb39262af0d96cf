//! Second factors: TOTP authenticators and recovery codes, shared by every instance on the
//! database. The races are settled by the authenticator's row lock: a conditional `UPDATE`
//! or upsert waits for a concurrent writer of the row and then checks its condition again on
//! what that writer committed, so one caller per time step gets the step, and a confirmed
//! authenticator is never replaced.

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row as _, Transaction};
use tessera_core::StoreError;
use tessera_core::model::{Timestamp, TotpFactor, UserId};

use super::{begin, commit, storable};
use crate::error::StoreResultExt;
use crate::factors::{COLUMNS, Row, step};

/// A `totp_factors` row, in the order of [`COLUMNS`].
fn row(row: &PgRow) -> Result<TotpFactor, StoreError> {
    Row {
        user_id: row.try_get("user_id").or_store("totp_factors.user_id")?,
        sealed_secret: row
            .try_get("sealed_secret")
            .or_store("totp_factors.sealed_secret")?,
        created_at: row
            .try_get("created_at")
            .or_store("totp_factors.created_at")?,
        confirmed_at: row
            .try_get("confirmed_at")
            .or_store("totp_factors.confirmed_at")?,
        last_step: row
            .try_get("last_step")
            .or_store("totp_factors.last_step")?,
        last_used_at: row
            .try_get("last_used_at")
            .or_store("totp_factors.last_used_at")?,
    }
    .decode()
}

/// Stores `factor` unconfirmed, or restarts an unconfirmed enrollment; false, with nothing
/// written, when a confirmed one is there (the upsert's `WHERE` then changes no row). One
/// statement: against a concurrent confirmation it waits for the row lock and sees the result.
pub(super) async fn begin_totp(pool: &PgPool, factor: &TotpFactor) -> Result<bool, StoreError> {
    if !storable(factor.user_id.as_str()) {
        // No user has such an id: the foreign key would refuse it.
        return Err(StoreError::NotFound);
    }
    let done = sqlx::query(
        "INSERT INTO totp_factors (user_id, sealed_secret, created_at, confirmed_at, last_step, \
         last_used_at) VALUES ($1, $2, $3, NULL, 0, NULL) \
         ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, \
           created_at = excluded.created_at, confirmed_at = NULL, last_step = 0, \
           last_used_at = NULL \
         WHERE totp_factors.confirmed_at IS NULL",
    )
    .bind(factor.user_id.as_str())
    .bind(&factor.sealed_secret)
    .bind(factor.created_at.secs())
    .execute(pool)
    .await
    .or_store("totp factor")?;
    Ok(done.rows_affected() == 1)
}

/// The user's authenticator, confirmed or not.
pub(super) async fn totp_of(
    pool: &PgPool,
    user: &UserId,
) -> Result<Option<TotpFactor>, StoreError> {
    if !storable(user.as_str()) {
        return Ok(None);
    }
    let sql = format!("SELECT {COLUMNS} FROM totp_factors WHERE user_id = $1");
    // A constant column list; the id is bound.
    let found = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user.as_str())
        .fetch_optional(pool)
        .await
        .or_store("totp factor")?;
    found.as_ref().map(row).transpose()
}

/// Confirms the unconfirmed authenticator and replaces the recovery codes in one
/// transaction; false, with nothing written, when there is no unconfirmed authenticator.
/// The `UPDATE` keeps the row locked to the commit, so a concurrent confirmation, restart or
/// regeneration of codes waits and then sees this one.
pub(super) async fn confirm_totp(
    pool: &PgPool,
    user: &UserId,
    at_step: u64,
    at: Timestamp,
    recovery_macs: &[Vec<u8>],
) -> Result<bool, StoreError> {
    let at_step = step(at_step)?;
    if !storable(user.as_str()) {
        return Ok(false);
    }
    let mut tx = begin(pool).await?;
    let confirmed = sqlx::query(
        "UPDATE totp_factors SET confirmed_at = $1, last_step = $2, last_used_at = $1 \
         WHERE user_id = $3 AND confirmed_at IS NULL",
    )
    .bind(at.secs())
    .bind(at_step)
    .bind(user.as_str())
    .execute(&mut *tx)
    .await
    .or_store("totp factor")?;
    if confirmed.rows_affected() == 0 {
        // Dropping the transaction rolls it back; it wrote nothing anyway.
        return Ok(false);
    }
    write_recovery_codes(&mut tx, user, recovery_macs).await?;
    commit(tx).await?;
    Ok(true)
}

/// Records `at_step` if it is later than the last accepted step of a confirmed authenticator.
/// One statement: callers racing with one step queue on the row lock, and each after the
/// first finds the step recorded.
pub(super) async fn use_totp_step(
    pool: &PgPool,
    user: &UserId,
    at_step: u64,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let at_step = step(at_step)?;
    if !storable(user.as_str()) {
        return Ok(false);
    }
    let done = sqlx::query(
        "UPDATE totp_factors SET last_step = $1, last_used_at = $2 \
         WHERE user_id = $3 AND confirmed_at IS NOT NULL AND last_step < $1",
    )
    .bind(at_step)
    .bind(at.secs())
    .bind(user.as_str())
    .execute(pool)
    .await
    .or_store("totp factor")?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the user's recovery codes in one transaction. The authenticator's row, if any,
/// is locked first, so that two regenerations (or one and a confirmation) at once do not
/// each delete the old codes and leave both new sets behind: the second waits, then deletes
/// what the first wrote.
pub(super) async fn replace_recovery_codes(
    pool: &PgPool,
    user: &UserId,
    recovery_macs: &[Vec<u8>],
) -> Result<(), StoreError> {
    if !storable(user.as_str()) {
        // No user has such an id: there is nothing to delete, and nowhere to insert.
        return if recovery_macs.is_empty() {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        };
    }
    let mut tx = begin(pool).await?;
    sqlx::query("SELECT 1 FROM totp_factors WHERE user_id = $1 FOR UPDATE")
        .bind(user.as_str())
        .fetch_optional(&mut *tx)
        .await
        .or_store("totp factor")?;
    write_recovery_codes(&mut tx, user, recovery_macs).await?;
    commit(tx).await
}

/// Deletes the user's recovery codes and inserts `recovery_macs`, in `tx`, with one
/// statement each whatever the number of codes.
async fn write_recovery_codes(
    tx: &mut Transaction<'static, Postgres>,
    user: &UserId,
    recovery_macs: &[Vec<u8>],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user.as_str())
        .execute(&mut **tx)
        .await
        .or_store("recovery code")?;
    if recovery_macs.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO recovery_codes (user_id, code_mac) SELECT $1, mac FROM unnest($2::bytea[]) \
         AS codes (mac)",
    )
    .bind(user.as_str())
    .bind(recovery_macs)
    .execute(&mut **tx)
    .await
    .or_store("recovery code")?;
    Ok(())
}

/// Spends a recovery code: true for the one caller whose `DELETE` took its row.
pub(super) async fn use_recovery_code(
    pool: &PgPool,
    user: &UserId,
    mac: &[u8],
) -> Result<bool, StoreError> {
    if !storable(user.as_str()) {
        return Ok(false);
    }
    let done = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_mac = $2")
        .bind(user.as_str())
        .bind(mac)
        .execute(pool)
        .await
        .or_store("recovery code")?;
    Ok(done.rows_affected() == 1)
}

/// How many unspent recovery codes the user has.
pub(super) async fn recovery_codes_left(pool: &PgPool, user: &UserId) -> Result<u32, StoreError> {
    if !storable(user.as_str()) {
        return Ok(0);
    }
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE user_id = $1")
        .bind(user.as_str())
        .fetch_one(pool)
        .await
        .or_store("recovery code")?;
    Ok(u32::try_from(left).unwrap_or(u32::MAX))
}

/// Deletes the authenticator and the recovery codes in one transaction; true when either
/// had a row.
pub(super) async fn remove_factors(pool: &PgPool, user: &UserId) -> Result<bool, StoreError> {
    if !storable(user.as_str()) {
        return Ok(false);
    }
    let mut tx = begin(pool).await?;
    let totp = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
        .bind(user.as_str())
        .execute(&mut *tx)
        .await
        .or_store("totp factor")?;
    let codes = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user.as_str())
        .execute(&mut *tx)
        .await
        .or_store("recovery code")?;
    commit(tx).await?;
    Ok(totp.rows_affected() + codes.rows_affected() > 0)
}
