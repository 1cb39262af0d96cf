//! Signing keys.

use tessera_core::StoreError;
use tessera_core::model::{KeyRecord, KeyState, Timestamp};

use super::rows::{self, key_columns};
use super::{Db, found};
use crate::codec::key_state_name;
use crate::error::StoreResultExt;

pub(super) async fn insert_key(db: &Db, key: &KeyRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, public_jwk, private_sealed, state, created_at, \
         activates_at, retired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&key.kid)
    .bind(&key.alg)
    .bind(&key.public_jwk)
    .bind(&key.private_sealed)
    .bind(key_state_name(key.state))
    .bind(key.created_at)
    .bind(key.activates_at)
    .bind(key.retired_at)
    .execute(&db.writer)
    .await
    .or_store("key")?;
    Ok(())
}

pub(super) async fn live_keys(db: &Db) -> Result<Vec<KeyRecord>, StoreError> {
    let sql = concat!(
        "SELECT ",
        key_columns!(),
        " FROM signing_keys WHERE state <> 'retired' ORDER BY created_at, rowid"
    );
    let found = sqlx::query(sql)
        .fetch_all(&db.reader)
        .await
        .or_store("key")?;
    rows::all(&found, rows::key)
}

pub(super) async fn all_keys(db: &Db) -> Result<Vec<KeyRecord>, StoreError> {
    let sql = concat!(
        "SELECT ",
        key_columns!(),
        " FROM signing_keys ORDER BY created_at, rowid"
    );
    let found = sqlx::query(sql)
        .fetch_all(&db.reader)
        .await
        .or_store("key")?;
    rows::all(&found, rows::key)
}

/// Moves the key to `state`. A key that stops signing keeps the first `retired_at` it got;
/// one that signs (or will) again has it cleared.
pub(super) async fn set_key_state(
    db: &Db,
    kid: &str,
    state: KeyState,
    now: Timestamp,
) -> Result<(), StoreError> {
    let stopped = matches!(state, KeyState::Retiring | KeyState::Retired);
    let updated = sqlx::query(
        "UPDATE signing_keys SET state = ?, \
         retired_at = CASE WHEN ? THEN coalesce(retired_at, ?) ELSE NULL END WHERE kid = ?",
    )
    .bind(key_state_name(state))
    .bind(stopped)
    .bind(now)
    .bind(kid)
    .execute(&db.writer)
    .await
    .or_store("key")?;
    found(updated.rows_affected())
}
