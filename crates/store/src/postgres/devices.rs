//! Device authorization requests (RFC 8628), shared by every instance on the database: a
//! device may poll one instance while its user approves at another. The races are settled
//! by locks: creators of one user code queue on an advisory lock on it, so that two cannot
//! both find it free; a decision, a poll or a redemption is one statement that waits for a
//! concurrent writer of the row and then checks its condition again on what that writer
//! committed.

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};
use tessera_core::StoreError;
use tessera_core::model::{DeviceApproval, DeviceAuthorization, DeviceState, Timestamp};

use super::{begin, commit, storable};
use crate::codec::encode_list;
use crate::devices::{COLUMNS, Row, decided};
use crate::error::StoreResultExt;

/// Reads one column of a request row; a value of the wrong type means corrupt data.
fn get<'r, T>(row: &'r PgRow, column: &'static str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column).or_store(column)
}

/// A `device_authorizations` row, named as in [`COLUMNS`].
fn row(row: &PgRow) -> Result<DeviceAuthorization, StoreError> {
    Row {
        device_code_hash: get(row, "device_code_hash")?,
        user_code: get(row, "user_code")?,
        client_id: get(row, "client_id")?,
        scope: get(row, "scope")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        interval_secs: get(row, "interval_secs")?,
        last_polled_at: get(row, "last_polled_at")?,
        state: get(row, "state")?,
        user_id: get(row, "user_id")?,
        auth_time: get(row, "auth_time")?,
        amr: get(row, "amr")?,
        acr: get(row, "acr")?,
    }
    .decode()
}

/// Stores `request` pending, unpolled and undecided, unless a live request holds its user
/// code: then [`StoreError::Conflict`] naming the code, with nothing written.
///
/// Under READ COMMITTED two creators of one code could each check before the other's
/// insert commits, and both insert (the code is no unique key: expired requests keep
/// theirs). So each first takes a transaction-scoped advisory lock on the code: the second
/// waits for the first to commit, and its conditional `INSERT`, whose snapshot is taken
/// after the lock, then sees the first's row.
pub(super) async fn create(pool: &PgPool, request: &DeviceAuthorization) -> Result<(), StoreError> {
    if !storable(request.client_id.as_str()) {
        // No client has such an id: the foreign key would refuse it.
        return Err(StoreError::NotFound);
    }
    let mut tx = begin(pool).await?;
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended('tessera.device_user_code:' || $1, 0))",
    )
    .bind(&request.user_code)
    .execute(&mut *tx)
    .await
    .or_store("device authorization")?;
    let inserted = sqlx::query(
        "INSERT INTO device_authorizations (device_code_hash, user_code, client_id, scope, \
         created_at, expires_at, interval_secs, last_polled_at, state, user_id, auth_time, \
         amr, acr) \
         SELECT $1, $2, $3, $4, $5, $6, $7, NULL, $8, NULL, NULL, '[]', NULL \
         WHERE NOT EXISTS (SELECT 1 FROM device_authorizations \
           WHERE user_code = $2 AND expires_at > $5)",
    )
    .bind(&request.device_code_hash)
    .bind(&request.user_code)
    .bind(request.client_id.as_str())
    .bind(request.scope.to_string())
    .bind(request.created_at.secs())
    .bind(request.expires_at.secs())
    .bind(request.interval_secs)
    .bind(DeviceState::Pending.as_str())
    .execute(&mut *tx)
    .await
    .or_store("device authorization")?;
    if inserted.rows_affected() == 0 {
        // Dropping the transaction rolls it back (and releases the lock); it wrote nothing.
        return Err(StoreError::Conflict(format!(
            "device user code {}",
            request.user_code
        )));
    }
    commit(tx).await
}

/// The pending request with this user code, if not expired at `now`.
pub(super) async fn pending_by_user_code(
    pool: &PgPool,
    user_code: &str,
    now: Timestamp,
) -> Result<Option<DeviceAuthorization>, StoreError> {
    if !storable(user_code) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM device_authorizations \
         WHERE user_code = $1 AND state = 'pending' AND expires_at > $2"
    );
    // A constant column list; the values are bound.
    let found = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_code)
        .bind(now.secs())
        .fetch_optional(pool)
        .await
        .or_store("device authorization")?;
    found.as_ref().map(row).transpose()
}

/// Approves or denies the pending, live request with this user code; false, with nothing
/// written, when there is none. One statement: a concurrent decision holds the row lock,
/// and once it commits this one finds the request no longer pending.
pub(super) async fn decide(
    pool: &PgPool,
    user_code: &str,
    approval: Option<&DeviceApproval>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if !storable(user_code) {
        return Ok(false);
    }
    if approval.is_some_and(|a| !storable(a.user_id.as_str())) {
        // No user has such an id: the foreign key would refuse it.
        return Err(StoreError::NotFound);
    }
    let amr = encode_list(approval.map_or(&[][..], |a| a.amr.as_slice()))?;
    let done = sqlx::query(
        "UPDATE device_authorizations SET state = $1, user_id = $2, auth_time = $3, amr = $4, \
         acr = $5 WHERE user_code = $6 AND state = 'pending' AND expires_at > $7",
    )
    .bind(decided(approval).as_str())
    .bind(approval.map(|a| a.user_id.as_str()))
    .bind(approval.map(|a| a.auth_time.secs()))
    .bind(amr)
    .bind(approval.and_then(|a| a.acr.as_deref()))
    .bind(user_code)
    .bind(now.secs())
    .execute(pool)
    .await
    .or_store("device authorization")?;
    Ok(done.rows_affected() == 1)
}

/// Records a poll at `now` and answers the request as it was before; `None` for an unknown
/// digest. One statement: the subquery locks the row and reads it (after a concurrent poll
/// commits, as that poll left it), the `UPDATE` writes the new poll time, and `RETURNING`
/// answers what the subquery read.
pub(super) async fn poll(
    pool: &PgPool,
    device_code_hash: &[u8],
    now: Timestamp,
) -> Result<Option<DeviceAuthorization>, StoreError> {
    // `prev`, not `old`: PostgreSQL 18 gives `old` a meaning of its own in `RETURNING`.
    let sql = format!(
        "UPDATE device_authorizations AS d SET last_polled_at = $2 \
         FROM (SELECT {COLUMNS} FROM device_authorizations WHERE device_code_hash = $1 \
           FOR UPDATE) AS prev \
         WHERE d.device_code_hash = prev.device_code_hash \
         RETURNING prev.*"
    );
    // A constant column list; the values are bound.
    let found = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(device_code_hash)
        .bind(now.secs())
        .fetch_optional(pool)
        .await
        .or_store("device authorization")?;
    found.as_ref().map(row).transpose()
}

/// Lengthens the polling interval by `by_secs`; an unknown digest changes nothing. One
/// statement, so concurrent slow-downs add up.
pub(super) async fn slow_down(
    pool: &PgPool,
    device_code_hash: &[u8],
    by_secs: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE device_authorizations SET interval_secs = interval_secs + $1 \
         WHERE device_code_hash = $2",
    )
    .bind(by_secs)
    .bind(device_code_hash)
    .execute(pool)
    .await
    .or_store("device authorization")?;
    Ok(())
}

/// Marks the approved request redeemed: true for the one caller whose `UPDATE` found it
/// approved (the others wait for its row lock, then find it redeemed).
pub(super) async fn redeem(pool: &PgPool, device_code_hash: &[u8]) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE device_authorizations SET state = 'redeemed' \
         WHERE device_code_hash = $1 AND state = 'approved'",
    )
    .bind(device_code_hash)
    .execute(pool)
    .await
    .or_store("device authorization")?;
    Ok(done.rows_affected() == 1)
}
