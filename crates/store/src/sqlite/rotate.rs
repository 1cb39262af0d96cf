//! Refresh-token rotation inside the caller's write transaction (`BEGIN IMMEDIATE`, so
//! what it reads cannot change before it writes); the rule is core's
//! [`tessera_core::refresh::decide`].

use std::time::Duration;

use rusqlite::{Connection, params};
use tessera_core::StoreError;
use tessera_core::model::{RefreshRecord, RotateOutcome, Session, Timestamp};
use tessera_core::refresh::{Decision, decide};

use super::cache::Cache;
use super::exec;
use super::sessions::{insert_refresh, refresh_record, revoke_session, session_by_id};

pub(super) fn rotate_refresh(
    conn: &Connection,
    cache: &Cache,
    hash: &[u8],
    next: &RefreshRecord,
    now: Timestamp,
    grace: Duration,
) -> Result<RotateOutcome, StoreError> {
    let found = presented(conn, hash)?;
    if let Some((_, session)) = &found {
        // Rotation touches the session, and a replay ends it.
        cache.forget_session(session.id.as_str());
    }
    let decision = decide(found, now, grace);
    match &decision {
        Decision::Rotate { session } => rotate(conn, hash, next, session, now)?,
        Decision::Replay { session } => {
            revoke_session(conn, cache, &session.id, now)?;
        }
        Decision::Retry { .. } | Decision::Invalid => {}
    }
    Ok(decision.into_outcome(now))
}

/// The presented record and its session, if the token is known.
fn presented(
    conn: &Connection,
    hash: &[u8],
) -> Result<Option<(RefreshRecord, Session)>, StoreError> {
    let Some(record) = refresh_record(conn, hash)? else {
        return Ok(None);
    };
    let session = session_by_id(conn, &record.session_id)?;
    Ok(session.map(|session| (record, session)))
}

/// Marks the presented token used, stores `next` after it and touches the session.
fn rotate(
    conn: &Connection,
    hash: &[u8],
    next: &RefreshRecord,
    session: &Session,
    now: Timestamp,
) -> Result<(), StoreError> {
    exec(
        conn,
        "UPDATE refresh_tokens SET used_at = ?, successor_sealed = ? WHERE hash = ?",
        params![now.secs(), next.successor_sealed, hash],
        "refresh token",
    )?;
    insert_refresh(conn, &session.id, next)?;
    exec(
        conn,
        "UPDATE sessions SET last_used_at = ? WHERE id = ?",
        params![now.secs(), session.id.as_str()],
        "session",
    )?;
    Ok(())
}
