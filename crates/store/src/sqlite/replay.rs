//! The `jti`s of accepted DPoP proofs.

use rusqlite::{Connection, OptionalExtension, params};
use tessera_core::StoreError;
use tessera_core::model::Timestamp;

use super::error::SqlResultExt;

/// Inserts the digest, or takes over a record that expired at `now`; true when it did
/// either. One statement in the writer's transaction: SQLite has one writer at a time.
pub(super) fn record_dpop_jti(
    conn: &Connection,
    jti_hash: &[u8],
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let inserted: Option<i64> = conn
        .prepare_cached(
            "INSERT INTO dpop_jtis (jti_hash, expires_at) VALUES (?1, ?2) \
             ON CONFLICT (jti_hash) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE dpop_jtis.expires_at <= ?3 \
             RETURNING 1",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![jti_hash, expires_at.secs(), now.secs()], |row| {
                row.get(0)
            })
            .optional()
        })
        .or_store("dpop proof")?;
    Ok(inserted.is_some())
}
