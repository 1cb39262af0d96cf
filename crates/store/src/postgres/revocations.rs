//! The revocation feed of access-token `jti`s.

use sqlx::{PgConnection, PgPool};
use tessera_core::StoreError;
use tessera_core::model::{Jti, Revocation, Timestamp};

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
    jti: &Jti,
    exp: Timestamp,
) -> Result<i64, StoreError> {
    let mut tx = begin(pool).await?;
    lock_feed(&mut tx).await?;
    let cursor = upsert(&mut tx, jti, exp).await?;
    notify(&mut tx).await?;
    commit(tx).await?;
    Ok(cursor)
}

/// Takes the transaction-scoped lock that orders the feed's writers (see [`revoke_jti`]).
pub(super) async fn lock_feed(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('tessera.revocations', 0))")
        .execute(conn)
        .await
        .or_store("revocation")?;
    Ok(())
}

/// Inserts the `jti` or lengthens its entry; answers its cursor. Needs [`lock_feed`] first.
pub(super) async fn upsert(
    conn: &mut PgConnection,
    jti: &Jti,
    exp: Timestamp,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO revocations (jti, exp) VALUES ($1, $2) \
         ON CONFLICT (jti) DO UPDATE SET exp = GREATEST(revocations.exp, excluded.exp) \
         RETURNING cursor",
    )
    .bind(jti.as_str())
    .bind(exp.secs())
    .fetch_one(conn)
    .await
    .or_store("revocation")
}

/// Wakes the other instances' feeds, at commit (see `hints`).
pub(super) async fn notify(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, current_schema())")
        .bind(hints::CHANNEL)
        .execute(conn)
        .await
        .or_store("revocation")?;
    Ok(())
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
    .bind(now.secs())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .or_store("revocation")?;
    rows::all(&found, rows::revocation)
}

pub(super) async fn is_revoked(pool: &PgPool, jti: &Jti) -> Result<bool, StoreError> {
    if !storable(jti.as_str()) {
        return Ok(false);
    }
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revocations WHERE jti = $1)")
        .bind(jti.as_str())
        .fetch_one(pool)
        .await
        .or_store("revocation")
}
