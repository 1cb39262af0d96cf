//! Second factors: TOTP authenticators and recovery codes. Each write runs inside the savepoint
//! of its call (see [`engine`](super::engine)), so a call that fails part-way leaves nothing
//! behind; SQLite serializes writers, so each conditional `UPDATE` or `DELETE` settles its
//! race on its own.

use rusqlite::{Connection, Row as SqlRow, params};
use tessera_core::StoreError;
use tessera_core::model::{Timestamp, TotpFactor, UserId};

use super::error::SqlResultExt;
use super::{exec, optional, scalar};
use crate::factors::{COLUMNS, Row, step};

/// A `totp_factors` row, in the order of [`COLUMNS`].
fn row(row: &SqlRow<'_>) -> Result<TotpFactor, StoreError> {
    Row {
        user_id: row.get(0).or_store("totp_factors.user_id")?,
        sealed_secret: row.get(1).or_store("totp_factors.sealed_secret")?,
        created_at: row.get(2).or_store("totp_factors.created_at")?,
        confirmed_at: row.get(3).or_store("totp_factors.confirmed_at")?,
        last_step: row.get(4).or_store("totp_factors.last_step")?,
        last_used_at: row.get(5).or_store("totp_factors.last_used_at")?,
    }
    .decode()
}

/// Stores `factor` unconfirmed, or restarts an unconfirmed enrollment; false, with nothing
/// written, when a confirmed one is there (the upsert's `WHERE` then changes no row).
pub(super) fn begin_totp(conn: &Connection, factor: &TotpFactor) -> Result<bool, StoreError> {
    let written = exec(
        conn,
        "INSERT INTO totp_factors (user_id, sealed_secret, created_at, confirmed_at, last_step, \
         last_used_at) VALUES (?1, ?2, ?3, NULL, 0, NULL) \
         ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, \
           created_at = excluded.created_at, confirmed_at = NULL, last_step = 0, \
           last_used_at = NULL \
         WHERE totp_factors.confirmed_at IS NULL",
        params![
            factor.user_id.as_str(),
            factor.sealed_secret,
            factor.created_at.secs()
        ],
        "totp factor",
    )?;
    Ok(written == 1)
}

/// The user's authenticator, confirmed or not.
pub(super) fn totp_of(conn: &Connection, user: &UserId) -> Result<Option<TotpFactor>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM totp_factors WHERE user_id = ?");
    optional(conn, &sql, [user.as_str()], "totp factor", row)
}

/// Confirms the unconfirmed authenticator and replaces the recovery codes; false, with
/// nothing written, when there is no unconfirmed authenticator.
pub(super) fn confirm_totp(
    conn: &Connection,
    user: &UserId,
    at_step: u64,
    at: Timestamp,
    recovery_macs: &[Vec<u8>],
) -> Result<bool, StoreError> {
    let confirmed = exec(
        conn,
        "UPDATE totp_factors SET confirmed_at = ?1, last_step = ?2, last_used_at = ?1 \
         WHERE user_id = ?3 AND confirmed_at IS NULL",
        params![at.secs(), step(at_step)?, user.as_str()],
        "totp factor",
    )?;
    if confirmed == 0 {
        return Ok(false);
    }
    replace_recovery_codes(conn, user, recovery_macs)?;
    Ok(true)
}

/// Records `at_step` if it is later than the last accepted step of a confirmed authenticator.
pub(super) fn use_totp_step(
    conn: &Connection,
    user: &UserId,
    at_step: u64,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let used = exec(
        conn,
        "UPDATE totp_factors SET last_step = ?1, last_used_at = ?2 \
         WHERE user_id = ?3 AND confirmed_at IS NOT NULL AND last_step < ?1",
        params![step(at_step)?, at.secs(), user.as_str()],
        "totp factor",
    )?;
    Ok(used == 1)
}

/// Deletes the user's recovery codes and stores `recovery_macs` in their place.
pub(super) fn replace_recovery_codes(
    conn: &Connection,
    user: &UserId,
    recovery_macs: &[Vec<u8>],
) -> Result<(), StoreError> {
    exec(
        conn,
        "DELETE FROM recovery_codes WHERE user_id = ?",
        [user.as_str()],
        "recovery code",
    )?;
    for mac in recovery_macs {
        exec(
            conn,
            "INSERT INTO recovery_codes (user_id, code_mac) VALUES (?, ?)",
            params![user.as_str(), mac],
            "recovery code",
        )?;
    }
    Ok(())
}

/// Spends a recovery code: true when its row was there to delete.
pub(super) fn use_recovery_code(
    conn: &Connection,
    user: &UserId,
    mac: &[u8],
) -> Result<bool, StoreError> {
    let spent = exec(
        conn,
        "DELETE FROM recovery_codes WHERE user_id = ? AND code_mac = ?",
        params![user.as_str(), mac],
        "recovery code",
    )?;
    Ok(spent == 1)
}

/// How many unspent recovery codes the user has.
pub(super) fn recovery_codes_left(conn: &Connection, user: &UserId) -> Result<u32, StoreError> {
    let left: i64 = scalar(
        conn,
        "SELECT count(*) FROM recovery_codes WHERE user_id = ?",
        [user.as_str()],
        "recovery code",
    )?;
    Ok(u32::try_from(left).unwrap_or(u32::MAX))
}

/// Deletes the authenticator and the recovery codes; true when either had a row.
pub(super) fn remove_factors(conn: &Connection, user: &UserId) -> Result<bool, StoreError> {
    let totp = exec(
        conn,
        "DELETE FROM totp_factors WHERE user_id = ?",
        [user.as_str()],
        "totp factor",
    )?;
    let codes = exec(
        conn,
        "DELETE FROM recovery_codes WHERE user_id = ?",
        [user.as_str()],
        "recovery code",
    )?;
    Ok(totp + codes > 0)
}
