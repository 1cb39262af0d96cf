//! The `jti`s of accepted DPoP proofs, shared by every instance on the database.

use sqlx::PgPool;
use tessera_core::StoreError;
use tessera_core::model::Timestamp;

use crate::error::StoreResultExt;

/// Inserts the digest, or takes over a record that expired at `now`; true when it did
/// either. One statement: the primary key makes concurrent inserts of one digest wait for
/// each other, and only the first one returns a row.
pub(super) async fn record_dpop_jti(
    pool: &PgPool,
    jti_hash: &[u8],
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query_scalar::<_, i32>(
        "INSERT INTO dpop_jtis (jti_hash, expires_at) VALUES ($1, $2) \
         ON CONFLICT (jti_hash) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE dpop_jtis.expires_at <= $3 \
         RETURNING 1",
    )
    .bind(jti_hash)
    .bind(expires_at.secs())
    .bind(now.secs())
    .fetch_optional(pool)
    .await
    .or_store("dpop proof")?;
    Ok(inserted.is_some())
}
