//! Refresh-token rotation in one transaction that locks the presented token's row first:
//! a concurrent rotation of the same token, on any connection of any instance, waits for
//! this one to commit and then sees the token used. The rule is core's
//! [`tessera_core::refresh::decide`].

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use tessera_core::StoreError;
use tessera_core::model::{RefreshRecord, RotateOutcome, Session, Timestamp};
use tessera_core::refresh::{Decision, decide};

use super::rows::{self, refresh_columns, session_columns};
use super::sessions::{insert_refresh, revoke};
use super::{begin, commit};
use crate::error::StoreResultExt;

pub(super) async fn rotate_refresh(
    pool: &PgPool,
    hash: &[u8],
    next: &RefreshRecord,
    now: Timestamp,
    grace: Duration,
) -> Result<RotateOutcome, StoreError> {
    let mut tx = begin(pool).await?;
    let found = presented(&mut tx, hash).await?;
    let decision = decide(found, now, grace);
    match &decision {
        Decision::Rotate { session } => rotate(&mut tx, hash, next, session, now).await?,
        Decision::Replay { session } => {
            revoke(&mut tx, &session.id, now).await?;
        }
        Decision::Retry { .. } | Decision::Invalid => {}
    }
    commit(tx).await?;
    Ok(decision.into_outcome(now))
}

/// The presented record and its session, if the token is known, both locked until the
/// transaction ends: the token so that it is decided once, the session so that a
/// revocation of the family and a rotation in it happen one after the other.
async fn presented(
    conn: &mut PgConnection,
    hash: &[u8],
) -> Result<Option<(RefreshRecord, Session)>, StoreError> {
    let sql = concat!(
        "SELECT ",
        refresh_columns!(),
        " FROM refresh_tokens WHERE hash = $1 FOR UPDATE"
    );
    let row = sqlx::query(sql)
        .bind(hash)
        .fetch_optional(&mut *conn)
        .await
        .or_store("refresh")?;
    let Some(record) = row.as_ref().map(rows::refresh).transpose()? else {
        return Ok(None);
    };
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE id = $1 FOR NO KEY UPDATE"
    );
    let row = sqlx::query(sql)
        .bind(record.session_id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .or_store("session")?;
    let session = row.as_ref().map(rows::session).transpose()?;
    Ok(session.map(|session| (record, session)))
}

/// Marks the presented token used, stores `next` after it and touches the session.
async fn rotate(
    conn: &mut PgConnection,
    hash: &[u8],
    next: &RefreshRecord,
    session: &Session,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE refresh_tokens SET used_at = $1, successor_sealed = $2 WHERE hash = $3")
        .bind(now.secs())
        .bind(&next.successor_sealed)
        .bind(hash)
        .execute(&mut *conn)
        .await
        .or_store("refresh token")?;
    insert_refresh(&mut *conn, &session.id, next).await?;
    sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2")
        .bind(now.secs())
        .bind(session.id.as_str())
        .execute(&mut *conn)
        .await
        .or_store("session")?;
    Ok(())
}
