//! Refresh-token rotation in one `BEGIN IMMEDIATE` transaction; the rules are in
//! [`crate::rotation`].

use sqlx::SqliteConnection;
use tessera_core::StoreError;
use tessera_core::model::{RefreshRecord, RotateOutcome, Session, Timestamp};

use super::sessions::{insert_refresh, revoke, select_refresh, select_session};
use super::{Db, begin_immediate, commit};
use crate::error::StoreResultExt;
use crate::rotation::{Decision, decide};

pub(super) async fn rotate_refresh(
    db: &Db,
    hash: &[u8],
    next: &RefreshRecord,
    now: Timestamp,
    grace_secs: i64,
) -> Result<RotateOutcome, StoreError> {
    let mut tx = begin_immediate(db).await?;
    let found = presented(&mut tx, hash).await?;
    let outcome = match decide(found, now, grace_secs) {
        Decision::Invalid => RotateOutcome::Invalid,
        Decision::Rotate { session } => {
            RotateOutcome::Rotated(rotate(&mut tx, hash, next, session, now).await?)
        }
        Decision::Retry {
            session,
            successor_sealed,
        } => RotateOutcome::Retried {
            session,
            successor_sealed,
        },
        Decision::Replay { session } => {
            revoke(&mut *tx, &session.id, now).await?;
            RotateOutcome::Replayed {
                session_id: session.id,
                user_id: session.user_id,
            }
        }
    };
    commit(tx).await?;
    Ok(outcome)
}

/// The presented record and its session, if the token is known.
async fn presented(
    conn: &mut SqliteConnection,
    hash: &[u8],
) -> Result<Option<(RefreshRecord, Session)>, StoreError> {
    let Some(record) = select_refresh(&mut *conn, hash).await? else {
        return Ok(None);
    };
    let session = select_session(&mut *conn, &record.session_id).await?;
    Ok(session.map(|session| (record, session)))
}

/// Marks the presented token used, stores `next` after it and touches the session.
async fn rotate(
    conn: &mut SqliteConnection,
    hash: &[u8],
    next: &RefreshRecord,
    session: Session,
    now: Timestamp,
) -> Result<Session, StoreError> {
    sqlx::query("UPDATE refresh_tokens SET used_at = ?, successor_sealed = ? WHERE hash = ?")
        .bind(now)
        .bind(&next.successor_sealed)
        .bind(hash)
        .execute(&mut *conn)
        .await
        .or_store("refresh token")?;
    insert_refresh(&mut *conn, &session.id, next).await?;
    sqlx::query("UPDATE sessions SET last_used_at = ? WHERE id = ?")
        .bind(now)
        .bind(&session.id)
        .execute(&mut *conn)
        .await
        .or_store("session")?;
    Ok(Session {
        last_used_at: now,
        ..session
    })
}
