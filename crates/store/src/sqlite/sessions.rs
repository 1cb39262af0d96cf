//! Sessions (refresh families) and their refresh records, apart from rotation.

use rusqlite::{Connection, params};
use tessera_core::StoreError;
use tessera_core::model::{RefreshRecord, Session, Timestamp};

use super::cache::Cache;
use super::rows::{self, refresh_columns, session_columns};
use super::{exec, many, optional};

/// Stores the session and its first refresh record; runs in the caller's transaction.
pub(super) fn create_session(
    conn: &Connection,
    session: &Session,
    first: &RefreshRecord,
) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO sessions (id, user_id, client_id, scope, created_at, expires_at, \
         last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            session.id,
            session.user_id,
            session.client_id,
            session.scope,
            session.created_at,
            session.expires_at,
            session.last_used_at,
            session.revoked_at,
        ],
        "session",
    )?;
    insert_refresh(conn, &session.id, first)
}

/// Stores `record` as a fresh, unused token of session `session_id`.
pub(super) fn insert_refresh(
    conn: &Connection,
    session_id: &str,
    record: &RefreshRecord,
) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, used_at, \
         successor_sealed) VALUES (?, ?, ?, ?, NULL, NULL)",
        params![
            record.hash,
            session_id,
            record.created_at,
            record.expires_at
        ],
        "refresh token",
    )?;
    Ok(())
}

/// Reads a refresh record by the digest of its token.
pub(super) fn refresh_record(
    conn: &Connection,
    hash: &[u8],
) -> Result<Option<RefreshRecord>, StoreError> {
    let sql = concat!(
        "SELECT ",
        refresh_columns!(),
        " FROM refresh_tokens WHERE hash = ?"
    );
    optional(conn, sql, [hash], "refresh", rows::refresh)
}

pub(super) fn session_by_refresh(
    conn: &Connection,
    hash: &[u8],
) -> Result<Option<Session>, StoreError> {
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM refresh_tokens JOIN sessions ON sessions.id = refresh_tokens.session_id \
         WHERE refresh_tokens.hash = ?"
    );
    optional(conn, sql, [hash], "session", rows::session)
}

/// Reads a session by id.
pub(super) fn session_by_id(conn: &Connection, id: &str) -> Result<Option<Session>, StoreError> {
    let sql = concat!("SELECT ", session_columns!(), " FROM sessions WHERE id = ?");
    optional(conn, sql, [id], "session", rows::session)
}

pub(super) fn sessions_of(
    conn: &Connection,
    user_id: &str,
    now: Timestamp,
) -> Result<Vec<Session>, StoreError> {
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? \
         ORDER BY created_at, id"
    );
    many(conn, sql, params![user_id, now], "session", rows::session)
}

/// Ends a live session; false if it was not live.
pub(super) fn revoke_session(
    conn: &Connection,
    cache: &Cache,
    id: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    cache.forget_session(id);
    let ended = exec(
        conn,
        "UPDATE sessions SET revoked_at = ? \
         WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
        params![now, id, now],
        "session",
    )?;
    Ok(ended > 0)
}
