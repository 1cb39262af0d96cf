//! Sessions (refresh families) and their refresh records, apart from rotation.

use rusqlite::{Connection, params};
use tessera_core::StoreError;
use tessera_core::model::{RefreshRecord, Session, SessionId, Timestamp, UserId};

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
         last_used_at, revoked_at, login_session_id, dpop_jkt) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            session.id.as_str(),
            session.user_id.as_str(),
            session.client_id.as_str(),
            session.scope.to_string(),
            session.created_at.secs(),
            session.expires_at.secs(),
            session.last_used_at.secs(),
            session.revoked_at.map(Timestamp::secs),
            session.login_session_id.as_ref().map(|id| id.as_str()),
            session.dpop_jkt.as_deref(),
        ],
        "session",
    )?;
    insert_refresh(conn, &session.id, first)
}

/// Stores `record` as a fresh, unused token of session `session_id`.
pub(super) fn insert_refresh(
    conn: &Connection,
    session_id: &SessionId,
    record: &RefreshRecord,
) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, used_at, \
         successor_sealed) VALUES (?, ?, ?, ?, NULL, NULL)",
        params![
            record.hash,
            session_id.as_str(),
            record.created_at.secs(),
            record.expires_at.secs()
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
pub(super) fn session_by_id(
    conn: &Connection,
    id: &SessionId,
) -> Result<Option<Session>, StoreError> {
    let sql = concat!("SELECT ", session_columns!(), " FROM sessions WHERE id = ?");
    optional(conn, sql, [id.as_str()], "session", rows::session)
}

pub(super) fn sessions_of(
    conn: &Connection,
    user_id: &UserId,
    now: Timestamp,
) -> Result<Vec<Session>, StoreError> {
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? \
         ORDER BY created_at, id"
    );
    let params = params![user_id.as_str(), now.secs()];
    many(conn, sql, params, "session", rows::session)
}

/// Ends a live session; false if it was not live.
pub(super) fn revoke_session(
    conn: &Connection,
    cache: &Cache,
    id: &SessionId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    cache.forget_session(id.as_str());
    let ended = exec(
        conn,
        "UPDATE sessions SET revoked_at = ? \
         WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
        params![now.secs(), id.as_str(), now.secs()],
        "session",
    )?;
    Ok(ended > 0)
}
