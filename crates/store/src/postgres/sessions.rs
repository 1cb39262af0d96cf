//! Sessions (refresh families) and their refresh records, apart from rotation.

use sqlx::{PgConnection, PgPool};
use tessera_core::StoreError;
use tessera_core::model::{RefreshRecord, Session, Timestamp};

use super::rows::{self, refresh_columns, session_columns};
use super::{begin, commit, storable};
use crate::error::StoreResultExt;

pub(super) async fn create_session(
    pool: &PgPool,
    session: &Session,
    first: &RefreshRecord,
) -> Result<(), StoreError> {
    let mut tx = begin(pool).await?;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, client_id, scope, created_at, expires_at, \
         last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&session.id)
    .bind(&session.user_id)
    .bind(&session.client_id)
    .bind(&session.scope)
    .bind(session.created_at)
    .bind(session.expires_at)
    .bind(session.last_used_at)
    .bind(session.revoked_at)
    .execute(&mut *tx)
    .await
    .or_store("session")?;
    insert_refresh(&mut tx, &session.id, first).await?;
    commit(tx).await
}

/// Stores `record` as a fresh, unused token of session `session_id`.
pub(super) async fn insert_refresh(
    conn: &mut PgConnection,
    session_id: &str,
    record: &RefreshRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, used_at, \
         successor_sealed) VALUES ($1, $2, $3, $4, NULL, NULL)",
    )
    .bind(&record.hash)
    .bind(session_id)
    .bind(record.created_at)
    .bind(record.expires_at)
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

pub(super) async fn session_by_id(pool: &PgPool, id: &str) -> Result<Option<Session>, StoreError> {
    if !storable(id) {
        return Ok(None);
    }
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE id = $1"
    );
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(pool)
        .await
        .or_store("session")?;
    row.as_ref().map(rows::session).transpose()
}

pub(super) async fn sessions_of(
    pool: &PgPool,
    user_id: &str,
    now: Timestamp,
) -> Result<Vec<Session>, StoreError> {
    if !storable(user_id) {
        return Ok(Vec::new());
    }
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY created_at, id"
    );
    let found = sqlx::query(sql)
        .bind(user_id)
        .bind(now)
        .fetch_all(pool)
        .await
        .or_store("session")?;
    rows::all(&found, rows::session)
}

pub(super) async fn revoke_session(
    pool: &PgPool,
    id: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if !storable(id) {
        return Ok(false);
    }
    let mut conn = pool.acquire().await.or_store("session")?;
    revoke(&mut conn, id, now).await
}

/// Ends a live session; false if it was not live.
pub(super) async fn revoke(
    conn: &mut PgConnection,
    id: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE id = $2 AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .or_store("session")?;
    Ok(done.rows_affected() > 0)
}
