//! Device authorization requests (RFC 8628). Each write runs inside the savepoint of its call
//! in the single writer's `BEGIN IMMEDIATE` transaction (see [`engine`](super::engine)), which
//! holds SQLite's write lock: a check and the write that depends on it (a user code free
//! among live requests, the row a poll read) cannot be interleaved with another writer, in
//! this process or another.

use rusqlite::{Connection, Row as SqlRow, params};
use tessera_core::StoreError;
use tessera_core::model::{DeviceApproval, DeviceAuthorization, DeviceState, Timestamp};

use super::error::SqlResultExt;
use super::{exec, optional};
use crate::codec::encode_list;
use crate::devices::{COLUMNS, Row, decided};

/// A `device_authorizations` row, in the order of [`COLUMNS`].
fn row(row: &SqlRow<'_>) -> Result<DeviceAuthorization, StoreError> {
    Row {
        device_code_hash: row
            .get(0)
            .or_store("device_authorizations.device_code_hash")?,
        user_code: row.get(1).or_store("device_authorizations.user_code")?,
        client_id: row.get(2).or_store("device_authorizations.client_id")?,
        scope: row.get(3).or_store("device_authorizations.scope")?,
        created_at: row.get(4).or_store("device_authorizations.created_at")?,
        expires_at: row.get(5).or_store("device_authorizations.expires_at")?,
        interval_secs: row.get(6).or_store("device_authorizations.interval_secs")?,
        last_polled_at: row
            .get(7)
            .or_store("device_authorizations.last_polled_at")?,
        state: row.get(8).or_store("device_authorizations.state")?,
        user_id: row.get(9).or_store("device_authorizations.user_id")?,
        auth_time: row.get(10).or_store("device_authorizations.auth_time")?,
        amr: row.get(11).or_store("device_authorizations.amr")?,
        acr: row.get(12).or_store("device_authorizations.acr")?,
    }
    .decode()
}

/// Stores `request` pending, unpolled and undecided, unless a live request holds its user
/// code: then [`StoreError::Conflict`] naming the code, with nothing written. One
/// conditional `INSERT`; the write lock keeps a concurrent creator out between its check
/// and its insert.
pub(super) fn create(conn: &Connection, request: &DeviceAuthorization) -> Result<(), StoreError> {
    let inserted = exec(
        conn,
        "INSERT INTO device_authorizations (device_code_hash, user_code, client_id, scope, \
         created_at, expires_at, interval_secs, last_polled_at, state, user_id, auth_time, \
         amr, acr) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, NULL, NULL, '[]', NULL \
         WHERE NOT EXISTS (SELECT 1 FROM device_authorizations \
           WHERE user_code = ?2 AND expires_at > ?5)",
        params![
            request.device_code_hash,
            request.user_code,
            request.client_id.as_str(),
            request.scope.to_string(),
            request.created_at.secs(),
            request.expires_at.secs(),
            request.interval_secs,
            DeviceState::Pending.as_str(),
        ],
        "device authorization",
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "device user code {}",
            request.user_code
        )));
    }
    Ok(())
}

/// The pending request with this user code, if not expired at `now`.
pub(super) fn pending_by_user_code(
    conn: &Connection,
    user_code: &str,
    now: Timestamp,
) -> Result<Option<DeviceAuthorization>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM device_authorizations \
         WHERE user_code = ?1 AND state = 'pending' AND expires_at > ?2"
    );
    optional(
        conn,
        &sql,
        params![user_code, now.secs()],
        "device authorization",
        row,
    )
}

/// Approves or denies the pending, live request with this user code; false, with nothing
/// written, when there is none.
pub(super) fn decide(
    conn: &Connection,
    user_code: &str,
    approval: Option<&DeviceApproval>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let amr = encode_list(approval.map_or(&[][..], |a| a.amr.as_slice()))?;
    let decided = exec(
        conn,
        "UPDATE device_authorizations SET state = ?1, user_id = ?2, auth_time = ?3, amr = ?4, \
         acr = ?5 WHERE user_code = ?6 AND state = 'pending' AND expires_at > ?7",
        params![
            decided(approval).as_str(),
            approval.map(|a| a.user_id.as_str()),
            approval.map(|a| a.auth_time.secs()),
            amr,
            approval.and_then(|a| a.acr.as_deref()),
            user_code,
            now.secs(),
        ],
        "device authorization",
    )?;
    Ok(decided == 1)
}

/// Records a poll at `now` and answers the request as it was before; `None` for an unknown
/// digest. The read and the write share the writer's transaction, so no other poll comes
/// between them.
pub(super) fn poll(
    conn: &Connection,
    device_code_hash: &[u8],
    now: Timestamp,
) -> Result<Option<DeviceAuthorization>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM device_authorizations WHERE device_code_hash = ?");
    let Some(before) = optional(conn, &sql, [device_code_hash], "device authorization", row)?
    else {
        return Ok(None);
    };
    exec(
        conn,
        "UPDATE device_authorizations SET last_polled_at = ?1 WHERE device_code_hash = ?2",
        params![now.secs(), device_code_hash],
        "device authorization",
    )?;
    Ok(Some(before))
}

/// Lengthens the polling interval by `by_secs`; an unknown digest changes nothing.
pub(super) fn slow_down(
    conn: &Connection,
    device_code_hash: &[u8],
    by_secs: i64,
) -> Result<(), StoreError> {
    exec(
        conn,
        "UPDATE device_authorizations SET interval_secs = interval_secs + ?1 \
         WHERE device_code_hash = ?2",
        params![by_secs, device_code_hash],
        "device authorization",
    )?;
    Ok(())
}

/// Marks the approved request redeemed: true when it was approved, once.
pub(super) fn redeem(conn: &Connection, device_code_hash: &[u8]) -> Result<bool, StoreError> {
    let redeemed = exec(
        conn,
        "UPDATE device_authorizations SET state = 'redeemed' \
         WHERE device_code_hash = ? AND state = 'approved'",
        [device_code_hash],
        "device authorization",
    )?;
    Ok(redeemed == 1)
}
