//! The revocation feed of access-token `jti`s.

use tessera_core::StoreError;
use tessera_core::model::{Revocation, Timestamp};

use super::{Db, rows};
use crate::error::StoreResultExt;

/// Inserts the `jti`, or keeps its existing entry (and cursor) with the later `exp`.
pub(super) async fn revoke_jti(db: &Db, jti: &str, exp: Timestamp) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO revocations (jti, exp) VALUES (?, ?) \
         ON CONFLICT (jti) DO UPDATE SET exp = max(exp, excluded.exp) \
         RETURNING cursor",
    )
    .bind(jti)
    .bind(exp)
    .fetch_one(&db.writer)
    .await
    .or_store("revocation")
}

pub(super) async fn revocations_since(
    db: &Db,
    cursor: i64,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Revocation>, StoreError> {
    let found = sqlx::query(
        "SELECT cursor, jti, exp FROM revocations WHERE cursor > ? AND exp > ? \
         ORDER BY cursor LIMIT ?",
    )
    .bind(cursor)
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(&db.reader)
    .await
    .or_store("revocation")?;
    rows::all(&found, rows::revocation)
}

pub(super) async fn is_revoked(db: &Db, jti: &str) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revocations WHERE jti = ?)")
        .bind(jti)
        .fetch_one(&db.reader)
        .await
        .or_store("revocation")
}
