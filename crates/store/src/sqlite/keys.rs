//! Signing keys.

use rusqlite::{Connection, params};
use tessera_core::StoreError;
use tessera_core::model::{KeyId, KeyRecord, KeyState, Timestamp};

use super::rows::{self, key_columns};
use super::{exec, found, many, optional};

pub(super) fn insert_key(conn: &Connection, key: &KeyRecord) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO signing_keys (kid, alg, public_jwk, private_sealed, state, created_at, \
         activates_at, retired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            key.kid.as_str(),
            key.alg.as_str(),
            key.public_jwk,
            key.private_sealed,
            key.state.as_str(),
            key.created_at.secs(),
            key.activates_at.secs(),
            key.retired_at.map(Timestamp::secs),
        ],
        "key",
    )?;
    Ok(())
}

/// Inserts `key` if the newest key is still `newest_seen`. Atomic because it runs inside the
/// engine's `BEGIN IMMEDIATE` transaction: no other connection, in this process or another,
/// can insert a key between the compare and the insert.
pub(super) fn insert_key_after(
    conn: &Connection,
    key: &KeyRecord,
    newest_seen: Option<&KeyId>,
) -> Result<bool, StoreError> {
    let newest: Option<String> = optional(
        conn,
        "SELECT kid FROM signing_keys ORDER BY created_at DESC, rowid DESC LIMIT 1",
        [],
        "key",
        rows::kid,
    )?;
    if newest.as_deref() != newest_seen.map(KeyId::as_str) {
        return Ok(false);
    }
    insert_key(conn, key)?;
    Ok(true)
}

pub(super) fn live_keys(conn: &Connection) -> Result<Vec<KeyRecord>, StoreError> {
    let sql = concat!(
        "SELECT ",
        key_columns!(),
        " FROM signing_keys WHERE state <> 'retired' ORDER BY created_at, rowid"
    );
    many(conn, sql, [], "key", rows::key)
}

pub(super) fn all_keys(conn: &Connection) -> Result<Vec<KeyRecord>, StoreError> {
    let sql = concat!(
        "SELECT ",
        key_columns!(),
        " FROM signing_keys ORDER BY created_at, rowid"
    );
    many(conn, sql, [], "key", rows::key)
}

/// Moves the key to `state`. A key that stops signing keeps the first `retired_at` it got;
/// one that signs (or will) again has it cleared.
pub(super) fn set_key_state(
    conn: &Connection,
    kid: &KeyId,
    state: KeyState,
    now: Timestamp,
) -> Result<(), StoreError> {
    let stopped = matches!(state, KeyState::Retiring | KeyState::Retired);
    let updated = exec(
        conn,
        "UPDATE signing_keys SET state = ?, \
         retired_at = CASE WHEN ? THEN coalesce(retired_at, ?) ELSE NULL END WHERE kid = ?",
        params![state.as_str(), stopped, now.secs(), kid.as_str()],
        "key",
    )?;
    found(updated)
}
