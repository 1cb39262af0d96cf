//! Loading a whole snapshot in one transaction: on any error it is dropped, which rolls back
//! every row written so far.
//!
//! It takes the same transaction-scoped locks as the writers it could race: the keys' lock
//! (so that a concurrent `insert_key_after` compares against the imported keys, not around
//! them), then the feed's (so that the imported revocations' cursors become visible in
//! order). Each lock is taken only when the snapshot writes there, always in that order;
//! other writers take at most one of them, so no two transactions can wait on each other.

use sqlx::{PgConnection, PgPool};
use tessera_core::StoreError;
use tessera_core::model::{KeyId, KeyState, Timestamp};
use tessera_core::transfer::Snapshot;

use super::{accounts, begin, clients, commit, keys, revocations};
use crate::error::named_conflict;

/// Writes every record of `snapshot` and retires the keys in `retire`, all or nothing.
pub(super) async fn import(
    pool: &PgPool,
    snapshot: &Snapshot,
    retire: &[KeyId],
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = begin(pool).await?;
    for user in &snapshot.users {
        accounts::insert(&mut *tx, user)
            .await
            .map_err(named_conflict("user", &user.username))?;
    }
    for client in &snapshot.clients {
        clients::insert(&mut *tx, client)
            .await
            .map_err(named_conflict("client", client.id.as_str()))?;
    }
    write_keys(&mut tx, snapshot, retire, now).await?;
    write_revocations(&mut tx, snapshot).await?;
    commit(tx).await
}

/// Inserts the snapshot's keys, then retires those in `retire`, under the keys' lock.
async fn write_keys(
    conn: &mut PgConnection,
    snapshot: &Snapshot,
    retire: &[KeyId],
    now: Timestamp,
) -> Result<(), StoreError> {
    if snapshot.keys.is_empty() && retire.is_empty() {
        return Ok(());
    }
    keys::lock_keys(conn).await?;
    for key in &snapshot.keys {
        keys::insert(&mut *conn, key)
            .await
            .map_err(named_conflict("signing key", key.kid.as_str()))?;
    }
    for kid in retire {
        keys::set_key_state(&mut *conn, kid, KeyState::Retired, now).await?;
    }
    Ok(())
}

/// Adds the snapshot's revocations to the feed (new cursors), under the feed's lock, and
/// wakes the other instances at commit.
async fn write_revocations(conn: &mut PgConnection, snapshot: &Snapshot) -> Result<(), StoreError> {
    if snapshot.revocations.is_empty() {
        return Ok(());
    }
    revocations::lock_feed(conn).await?;
    for revocation in &snapshot.revocations {
        revocations::upsert(conn, &revocation.jti, revocation.exp).await?;
    }
    revocations::notify(conn).await
}
