//! The audit trail. Writes are serialized by SQLite, so ids grow in commit order.

use rusqlite::types::{ToSql, ToSqlOutput};
use rusqlite::{Connection, params, params_from_iter};
use tessera_core::StoreError;
use tessera_core::model::{AuditEvent, EventQuery, NewEvent, UnixMillis};

use super::error::SqlResultExt;
use super::{many, scalar};
use crate::audit::{Bind, Row, columns, filter};

impl ToSql for Bind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Self::Int(n) => n.to_sql(),
            Self::Text(text) => text.to_sql(),
        }
    }
}

pub(super) fn append(
    conn: &Connection,
    event: &NewEvent,
    at: UnixMillis,
) -> Result<i64, StoreError> {
    let [kind, user, client, ip, actor, detail] = columns(event);
    scalar(
        conn,
        "INSERT INTO audit_events (at, kind, user_id, client_id, ip, actor, detail) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![at.millis(), kind, user, client, ip, actor, detail],
        "audit event",
    )
}

pub(super) fn latest(conn: &Connection) -> Result<i64, StoreError> {
    scalar(
        conn,
        "SELECT coalesce(max(id), 0) FROM audit_events",
        [],
        "audit event",
    )
}

pub(super) fn events(conn: &Connection, query: &EventQuery) -> Result<Vec<AuditEvent>, StoreError> {
    let (sql, binds) = filter(query, |_| "?".to_owned());
    let rows = many(
        conn,
        &sql,
        params_from_iter(binds.iter()),
        "audit event",
        |row| {
            Ok(Row {
                id: row.get(0).or_store("audit_events.id")?,
                at: row.get(1).or_store("audit_events.at")?,
                text: [
                    row.get(2).or_store("audit_events.kind")?,
                    row.get(3).or_store("audit_events.user_id")?,
                    row.get(4).or_store("audit_events.client_id")?,
                    row.get(5).or_store("audit_events.ip")?,
                    row.get(6).or_store("audit_events.actor")?,
                    row.get(7).or_store("audit_events.detail")?,
                ],
            })
        },
    )?;
    rows.into_iter().map(Row::decode).collect()
}

/// Deletes up to `batch` events older than `before`, then up to `batch` beyond the newest
/// `keep`; each by its index, oldest first.
pub(super) fn purge(
    conn: &Connection,
    before: UnixMillis,
    keep: u64,
    batch: u32,
) -> Result<u64, StoreError> {
    let aged = conn
        .prepare_cached(
            "DELETE FROM audit_events WHERE id IN \
             (SELECT id FROM audit_events WHERE at < ? ORDER BY at LIMIT ?)",
        )
        .and_then(|mut stmt| stmt.execute(params![before.millis(), batch]))
        .or_store("audit purge")?;
    let newest: Option<i64> = scalar(conn, "SELECT max(id) FROM audit_events", [], "audit purge")?;
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    let last_dropped = newest.unwrap_or(0).saturating_sub(keep);
    let surplus = conn
        .prepare_cached(
            "DELETE FROM audit_events WHERE id IN \
             (SELECT id FROM audit_events WHERE id <= ? ORDER BY id LIMIT ?)",
        )
        .and_then(|mut stmt| stmt.execute(params![last_dropped, batch]))
        .or_store("audit purge")?;
    Ok(u64::try_from(aged + surplus).unwrap_or(u64::MAX))
}
