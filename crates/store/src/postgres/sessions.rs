//! Sessions (refresh families) and their refresh records, apart from rotation.

use sqlx::{PgConnection, PgPool};
use tessera_core::StoreError;
use tessera_core::model::{RefreshRecord, Session, SessionId, Timestamp, UserId};

use super::rows::{self, refresh_columns, session_columns};
use super::{begin, commit, storable};
use crate::error::StoreResultExt;

pub(super) async fn create_session(
    pool: &PgPool,
    session: &Session,
    first: &RefreshRecord,
) -> Result<(), StoreError> {
    let mut tx = begin(pool).await?;
    insert_session(&mut tx, session, first).await?;
    commit(tx).await
}

/// Inserts the session and its first refresh record on `conn` (the caller's transaction).
pub(super) async fn insert_session(
    conn: &mut PgConnection,
    session: &Session,
    first: &RefreshRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, client_id, scope, created_at, expires_at, \
         last_used_at, revoked_at, login_session_id, dpop_jkt) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(session.id.as_str())
    .bind(session.user_id.as_str())
    .bind(session.client_id.as_str())
    .bind(session.scope.to_string())
    .bind(session.created_at.secs())
    .bind(session.expires_at.secs())
    .bind(session.last_used_at.secs())
    .bind(session.revoked_at.map(Timestamp::secs))
    .bind(session.login_session_id.as_ref().map(|id| id.as_str()))
    .bind(session.dpop_jkt.as_deref())
    .execute(&mut *conn)
    .await
    .or_store("session")?;
    insert_refresh(conn, &session.id, first).await
}

/// Stores `record` as a fresh, unused token of session `session_id`.
pub(super) async fn insert_refresh(
    conn: &mut PgConnection,
    session_id: &SessionId,
    record: &RefreshRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, used_at, \
         successor_sealed) VALUES ($1, $2, $3, $4, NULL, NULL)",
    )
    .bind(&record.hash)
    .bind(session_id.as_str())
    .bind(record.created_at.secs())
    .bind(record.expires_at.secs())
    .execute(conn)
    .await
    .or_store("refresh token")?;
    Ok(())
}

pub(super) async fn refresh_record(
    pool: &PgPool,
    hash: &[u8],
) -> Result<Option<RefreshRecord>, StoreError> {
    let sql = concat!(
        "SELECT ",
        refresh_columns!(),
        " FROM refresh_tokens WHERE hash = $1"
    );
    let row = sqlx::query(sql)
        .bind(hash)
        .fetch_optional(pool)
        .await
        .or_store("refresh")?;
    row.as_ref().map(rows::refresh).transpose()
}

pub(super) async fn session_by_refresh(
    pool: &PgPool,
    hash: &[u8],
) -> Result<Option<Session>, StoreError> {
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM refresh_tokens JOIN sessions ON sessions.id = refresh_tokens.session_id \
         WHERE refresh_tokens.hash = $1"
    );
    let row = sqlx::query(sql)
        .bind(hash)
        .fetch_optional(pool)
        .await
        .or_store("session")?;
    row.as_ref().map(rows::session).transpose()
}

pub(super) async fn session_by_id(
    pool: &PgPool,
    id: &SessionId,
) -> Result<Option<Session>, StoreError> {
    if !storable(id.as_str()) {
        return Ok(None);
    }
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE id = $1"
    );
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .fetch_optional(pool)
        .await
        .or_store("session")?;
    row.as_ref().map(rows::session).transpose()
}

pub(super) async fn sessions_of(
    pool: &PgPool,
    user_id: &UserId,
    now: Timestamp,
) -> Result<Vec<Session>, StoreError> {
    if !storable(user_id.as_str()) {
        return Ok(Vec::new());
    }
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY created_at, id"
    );
    let found = sqlx::query(sql)
        .bind(user_id.as_str())
        .bind(now.secs())
        .fetch_all(pool)
        .await
        .or_store("session")?;
    rows::all(&found, rows::session)
}

pub(super) async fn revoke_session(
    pool: &PgPool,
    id: &SessionId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if !storable(id.as_str()) {
        return Ok(false);
    }
    let mut conn = pool.acquire().await.or_store("session")?;
    revoke(&mut conn, id, now).await
}

/// Ends a live session; false if it was not live.
pub(super) async fn revoke(
    conn: &mut PgConnection,
    id: &SessionId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE id = $2 AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now.secs())
    .bind(id.as_str())
    .execute(conn)
    .await
    .or_store("session")?;
    Ok(done.rows_affected() > 0)
}
