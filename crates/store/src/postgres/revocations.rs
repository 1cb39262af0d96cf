//! The revocation feed of access-token `jti`s.

use sqlx::PgPool;
use tessera_core::StoreError;
use tessera_core::model::{Revocation, Timestamp};

use super::{begin, commit, storable};
use super::{hints, rows};
use crate::error::StoreResultExt;

/// Inserts the `jti`, or keeps its existing entry (and cursor) with the later `exp`.
///
/// Writers take one transaction-scoped lock in turn: an identity is drawn at insert but
/// becomes visible at commit, and without the lock a reader could see cursor 8 before a
/// slower transaction commits cursor 7, and then page past 7 for ever.
pub(super) async fn revoke_jti(
    pool: &PgPool,
    jti: &str,
    exp: Timestamp,
) -> Result<i64, StoreError> {
    let mut tx = begin(pool).await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('tessera.revocations', 0))")
        .execute(&mut *tx)
        .await
        .or_store("revocation")?;
    let cursor = sqlx::query_scalar(
        "INSERT INTO revocations (jti, exp) VALUES ($1, $2) \
         ON CONFLICT (jti) DO UPDATE SET exp = GREATEST(revocations.exp, excluded.exp) \
         RETURNING cursor",
    )
    .bind(jti)
    .bind(exp)
    .fetch_one(&mut *tx)
    .await
    .or_store("revocation")?;
    // Delivered at commit to every instance listening on this schema (see `hints`).
    sqlx::query("SELECT pg_notify($1, current_schema())")
        .bind(hints::CHANNEL)
        .execute(&mut *tx)
        .await
        .or_store("revocation")?;
    commit(tx).await?;
    Ok(cursor)
}

pub(super) async fn revocations_since(
    pool: &PgPool,
    cursor: i64,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Revocation>, StoreError> {
    let found = sqlx::query(
        "SELECT cursor, jti, exp FROM revocations WHERE cursor > $1 AND exp > $2 \
         ORDER BY cursor LIMIT $3",
    )
    .bind(cursor)
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .or_store("revocation")?;
    rows::all(&found, rows::revocation)
}

pub(super) async fn is_revoked(pool: &PgPool, jti: &str) -> Result<bool, StoreError> {
    if !storable(jti) {
        return Ok(false);
    }
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revocations WHERE jti = $1)")
        .bind(jti)
        .fetch_one(pool)
        .await
        .or_store("revocation")
}
