//! The revocation feed of access-token `jti`s.

use rusqlite::{Connection, params};
use tessera_core::StoreError;
use tessera_core::model::{Jti, Revocation, Timestamp};

use super::cache::Cache;
use super::{many, rows, scalar};

/// Inserts the `jti`, or keeps its existing entry (and cursor) with the later `exp`.
pub(super) fn revoke_jti(
    conn: &Connection,
    cache: &Cache,
    jti: &Jti,
    exp: Timestamp,
) -> Result<i64, StoreError> {
    // Dropped rather than set: if the commit fails, the jti is not revoked.
    cache.forget_revocation(jti.as_str());
    scalar(
        conn,
        "INSERT INTO revocations (jti, exp) VALUES (?, ?) \
         ON CONFLICT (jti) DO UPDATE SET exp = max(exp, excluded.exp) \
         RETURNING cursor",
        params![jti.as_str(), exp.secs()],
        "revocation",
    )
}

pub(super) fn revocations_since(
    conn: &Connection,
    cursor: i64,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Revocation>, StoreError> {
    many(
        conn,
        "SELECT cursor, jti, exp FROM revocations WHERE cursor > ? AND exp > ? \
         ORDER BY cursor LIMIT ?",
        params![cursor, now.secs(), i64::from(limit)],
        "revocation",
        rows::revocation,
    )
}

pub(super) fn is_revoked(conn: &Connection, jti: &Jti) -> Result<bool, StoreError> {
    scalar(
        conn,
        "SELECT EXISTS (SELECT 1 FROM revocations WHERE jti = ?)",
        [jti.as_str()],
        "revocation",
    )
}
