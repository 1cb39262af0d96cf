//! Sessions (refresh families) and their refresh records, apart from rotation.

use sqlx::SqliteConnection;
use tessera_core::StoreError;
use tessera_core::model::{RefreshRecord, Session, Timestamp};

use super::rows::{self, refresh_columns, session_columns};
use super::{Db, begin_immediate, commit};
use crate::error::StoreResultExt;

pub(super) async fn create_session(
    db: &Db,
    session: &Session,
    first: &RefreshRecord,
) -> Result<(), StoreError> {
    let mut tx = begin_immediate(db).await?;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, client_id, scope, created_at, expires_at, \
         last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
    conn: &mut SqliteConnection,
    session_id: &str,
    record: &RefreshRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, used_at, \
         successor_sealed) VALUES (?, ?, ?, ?, NULL, NULL)",
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
    db: &Db,
    hash: &[u8],
) -> Result<Option<RefreshRecord>, StoreError> {
    select_refresh(&db.reader, hash).await
}

/// Reads a refresh record through any executor (a pool or an open transaction).
pub(super) async fn select_refresh<'e, E>(
    executor: E,
    hash: &[u8],
) -> Result<Option<RefreshRecord>, StoreError>
where
    E: sqlx::SqliteExecutor<'e>,
{
    let sql = concat!(
        "SELECT ",
        refresh_columns!(),
        " FROM refresh_tokens WHERE hash = ?"
    );
    let row = sqlx::query(sql)
        .bind(hash)
        .fetch_optional(executor)
        .await
        .or_store("refresh")?;
    row.as_ref().map(rows::refresh).transpose()
}

pub(super) async fn session_by_refresh(
    db: &Db,
    hash: &[u8],
) -> Result<Option<Session>, StoreError> {
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM refresh_tokens JOIN sessions ON sessions.id = refresh_tokens.session_id \
         WHERE refresh_tokens.hash = ?"
    );
    let row = sqlx::query(sql)
        .bind(hash)
        .fetch_optional(&db.reader)
        .await
        .or_store("session")?;
    row.as_ref().map(rows::session).transpose()
}

pub(super) async fn session_by_id(db: &Db, id: &str) -> Result<Option<Session>, StoreError> {
    select_session(&db.reader, id).await
}

/// Reads a session through any executor (a pool or an open transaction).
pub(super) async fn select_session<'e, E>(
    executor: E,
    id: &str,
) -> Result<Option<Session>, StoreError>
where
    E: sqlx::SqliteExecutor<'e>,
{
    let sql = concat!("SELECT ", session_columns!(), " FROM sessions WHERE id = ?");
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .or_store("session")?;
    row.as_ref().map(rows::session).transpose()
}

pub(super) async fn sessions_of(
    db: &Db,
    user_id: &str,
    now: Timestamp,
) -> Result<Vec<Session>, StoreError> {
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? \
         ORDER BY created_at, id"
    );
    let found = sqlx::query(sql)
        .bind(user_id)
        .bind(now)
        .fetch_all(&db.reader)
        .await
        .or_store("session")?;
    rows::all(&found, rows::session)
}

pub(super) async fn revoke_session(db: &Db, id: &str, now: Timestamp) -> Result<bool, StoreError> {
    revoke(&db.writer, id, now).await
}

/// Ends a live session through any executor; false if it was not live.
pub(super) async fn revoke<'e, E>(executor: E, id: &str, now: Timestamp) -> Result<bool, StoreError>
where
    E: sqlx::SqliteExecutor<'e>,
{
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = ? \
         WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
    )
    .bind(now)
    .bind(id)
    .bind(now)
    .execute(executor)
    .await
    .or_store("session")?;
    Ok(done.rows_affected() > 0)
}
