//! Signing keys.

use sqlx::{PgConnection, PgPool};
use tessera_core::StoreError;
use tessera_core::model::{KeyId, KeyRecord, KeyState, Timestamp};

use super::rows::{self, key_columns};
use super::{begin, commit, found, storable};
use crate::error::StoreResultExt;

pub(super) async fn insert_key(pool: &PgPool, key: &KeyRecord) -> Result<(), StoreError> {
    insert(pool, key).await
}

/// Inserts `key` if the newest key is still `newest_seen`, under a transaction-scoped lock
/// so that two instances comparing at once cannot both win.
pub(super) async fn insert_key_after(
    pool: &PgPool,
    key: &KeyRecord,
    newest_seen: Option<&KeyId>,
) -> Result<bool, StoreError> {
    let mut tx = begin(pool).await?;
    lock_keys(&mut tx).await?;
    let newest: Option<String> = sqlx::query_scalar(
        "SELECT kid FROM signing_keys ORDER BY created_at DESC, seq DESC LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await
    .or_store("key")?;
    if newest.as_deref() != newest_seen.map(KeyId::as_str) {
        // Dropping the transaction rolls it back and releases the lock.
        return Ok(false);
    }
    insert(&mut *tx, key).await?;
    commit(tx).await?;
    Ok(true)
}

/// Takes the transaction-scoped lock that orders every compare-and-set on the keys (and an
/// import's key writes) across instances; the transaction's end releases it.
pub(super) async fn lock_keys(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('tessera.signing_keys', 0))")
        .execute(conn)
        .await
        .or_store("key")?;
    Ok(())
}

/// Inserts one key row.
pub(super) async fn insert<'c, E>(executor: E, key: &KeyRecord) -> Result<(), StoreError>
where
    E: sqlx::PgExecutor<'c>,
{
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, public_jwk, private_sealed, state, created_at, \
         activates_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(key.kid.as_str())
    .bind(key.alg.as_str())
    .bind(&key.public_jwk)
    .bind(&key.private_sealed)
    .bind(key.state.as_str())
    .bind(key.created_at.secs())
    .bind(key.activates_at.secs())
    .bind(key.retired_at.map(Timestamp::secs))
    .execute(executor)
    .await
    .or_store("key")?;
    Ok(())
}

pub(super) async fn live_keys(pool: &PgPool) -> Result<Vec<KeyRecord>, StoreError> {
    let sql = concat!(
        "SELECT ",
        key_columns!(),
        " FROM signing_keys WHERE state <> 'retired' ORDER BY created_at, seq"
    );
    let found = sqlx::query(sql).fetch_all(pool).await.or_store("key")?;
    rows::all(&found, rows::key)
}

pub(super) async fn all_keys(pool: &PgPool) -> Result<Vec<KeyRecord>, StoreError> {
    let sql = concat!(
        "SELECT ",
        key_columns!(),
        " FROM signing_keys ORDER BY created_at, seq"
    );
    let found = sqlx::query(sql).fetch_all(pool).await.or_store("key")?;
    rows::all(&found, rows::key)
}

/// Moves the key to `state`. A key that stops signing keeps the first `retired_at` it got;
/// one that signs (or will) again has it cleared.
pub(super) async fn set_key_state<'c, E>(
    executor: E,
    kid: &KeyId,
    state: KeyState,
    now: Timestamp,
) -> Result<(), StoreError>
where
    E: sqlx::PgExecutor<'c>,
{
    if !storable(kid.as_str()) {
        return Err(StoreError::NotFound);
    }
    let stopped = matches!(state, KeyState::Retiring | KeyState::Retired);
    let updated = sqlx::query(
        "UPDATE signing_keys SET state = $1, \
         retired_at = CASE WHEN $2 THEN coalesce(retired_at, $3) ELSE NULL END WHERE kid = $4",
    )
    .bind(state.as_str())
    .bind(stopped)
    .bind(now.secs())
    .bind(kid.as_str())
    .execute(executor)
    .await
    .or_store("key")?;
    found(updated.rows_affected())
}
