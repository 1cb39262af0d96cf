//! The audit trail. Appends take the trail's transaction-scoped lock in the same statement,
//! so that ids become visible in the order they were drawn (see `revocations::revoke_jti`
//! for why a reader paging by id needs that).

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};
use tessera_core::StoreError;
use tessera_core::model::{AuditEvent, EventQuery, NewEvent, UnixMillis};

use super::storable;
use crate::audit::{Bind, Row, columns, filter};
use crate::error::StoreResultExt;

pub(super) async fn append(
    pool: &PgPool,
    event: &NewEvent,
    at: UnixMillis,
) -> Result<i64, StoreError> {
    // PostgreSQL text cannot hold NUL; no field of an event should, but none may fail it.
    let [kind, user, client, ip, actor, detail] =
        columns(event).map(|text| text.map(|t| t.replace('\0', "\u{fffd}")));
    sqlx::query_scalar(
        "WITH trail AS (SELECT pg_advisory_xact_lock(hashtextextended('tessera.audit', 0))) \
         INSERT INTO audit_events (at, kind, user_id, client_id, ip, actor, detail) \
         SELECT $1, $2, $3, $4, $5, $6, $7 FROM trail RETURNING id",
    )
    .bind(at.millis())
    .bind(kind)
    .bind(user)
    .bind(client)
    .bind(ip)
    .bind(actor)
    .bind(detail)
    .fetch_one(pool)
    .await
    .or_store("audit event")
}

pub(super) async fn latest(pool: &PgPool) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_events")
        .fetch_one(pool)
        .await
        .or_store("audit event")
}

pub(super) async fn events(
    pool: &PgPool,
    query: &EventQuery,
) -> Result<Vec<AuditEvent>, StoreError> {
    // PostgreSQL text cannot hold NUL, so no stored id has one: nothing matches.
    let named = [
        query.user.as_ref().map(|u| u.as_str()),
        query.client.as_ref().map(|c| c.as_str()),
    ];
    if named.into_iter().flatten().any(|id| !storable(id)) {
        return Ok(Vec::new());
    }
    let (sql, binds) = filter(query, |n| format!("${n}"));
    // Built only from fixed fragments (see `audit::filter`); every value is bound.
    let mut statement = sqlx::query(sqlx::AssertSqlSafe(sql));
    for bind in binds {
        statement = match bind {
            Bind::Int(n) => statement.bind(n),
            Bind::Text(text) => statement.bind(text),
        };
    }
    let found = statement.fetch_all(pool).await.or_store("audit event")?;
    found.iter().map(|row| decode(row)?.decode()).collect()
}

fn decode(row: &PgRow) -> Result<Row, StoreError> {
    let text = |column: &'static str| row.try_get::<Option<String>, _>(column).or_store(column);
    Ok(Row {
        id: row.try_get("id").or_store("audit_events.id")?,
        at: row.try_get("at").or_store("audit_events.at")?,
        text: [
            text("kind")?,
            text("user_id")?,
            text("client_id")?,
            text("ip")?,
            text("actor")?,
            text("detail")?,
        ],
    })
}

/// Deletes up to `batch` events older than `before`, then up to `batch` beyond the newest
/// `keep`; each by its index, oldest first.
pub(super) async fn purge(
    pool: &PgPool,
    before: UnixMillis,
    keep: u64,
    batch: u32,
) -> Result<u64, StoreError> {
    let aged = sqlx::query(
        "DELETE FROM audit_events WHERE id IN \
         (SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2)",
    )
    .bind(before.millis())
    .bind(i64::from(batch))
    .execute(pool)
    .await
    .or_store("audit purge")?
    .rows_affected();
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    let surplus = sqlx::query(
        "DELETE FROM audit_events WHERE id IN \
         (SELECT id FROM audit_events \
          WHERE id <= (SELECT coalesce(max(id), 0) FROM audit_events) - $1 \
          ORDER BY id LIMIT $2)",
    )
    .bind(keep)
    .bind(i64::from(batch))
    .execute(pool)
    .await
    .or_store("audit purge")?
    .rows_affected();
    Ok(aged + surplus)
}
