//! Loading a whole snapshot as one write call: the engine runs it inside one savepoint of
//! its `BEGIN IMMEDIATE` transaction, so a failure anywhere (a clash on the last record, an
//! unknown key to retire) rolls back every row it wrote, and success is answered only after
//! the commit.

use rusqlite::Connection;
use tessera_core::StoreError;
use tessera_core::model::{KeyId, KeyState, Timestamp};
use tessera_core::transfer::Snapshot;

use super::cache::Cache;
use super::{accounts, clients, keys, revocations};
use crate::error::named_conflict;

/// Writes every record of `snapshot`, then retires the keys in `retire`; runs in the
/// caller's write transaction.
pub(super) fn import(
    conn: &Connection,
    cache: &Cache,
    snapshot: &Snapshot,
    retire: &[KeyId],
    now: Timestamp,
) -> Result<(), StoreError> {
    for user in &snapshot.users {
        accounts::create_user(conn, user).map_err(named_conflict("user", &user.username))?;
    }
    for client in &snapshot.clients {
        clients::create_client(conn, cache, client)
            .map_err(named_conflict("client", client.id.as_str()))?;
    }
    for key in &snapshot.keys {
        keys::insert_key(conn, key).map_err(named_conflict("signing key", key.kid.as_str()))?;
    }
    for revocation in &snapshot.revocations {
        revocations::revoke_jti(conn, cache, &revocation.jti, revocation.exp)?;
    }
    for kid in retire {
        keys::set_key_state(conn, kid, KeyState::Retired, now)?;
    }
    Ok(())
}
