//! Removal of what has expired, in one transaction.

use tessera_core::StoreError;
use tessera_core::model::Timestamp;

use super::{Db, begin_immediate, commit};
use crate::error::StoreResultExt;

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
/// the number of rows deleted.
pub(super) async fn purge_expired(db: &Db, now: Timestamp) -> Result<u64, StoreError> {
    let mut tx = begin_immediate(db).await?;
    let mut deleted = 0;
    for sql in PURGES {
        let done = sqlx::query(sql)
            .bind(now)
            .execute(&mut *tx)
            .await
            .or_store("purge")?;
        deleted += done.rows_affected();
    }
    commit(tx).await?;
    Ok(deleted)
}
