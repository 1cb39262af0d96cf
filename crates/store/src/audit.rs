//! The audit trail's SQL, shared by both backends: the filter of a query (built from the
//! filters present, so that each shape uses its index) and the decoding of a row.

use std::net::IpAddr;

use tessera_core::StoreError;
use tessera_core::model::{Actor, AuditEvent, EventKind, EventQuery, NewEvent, UnixMillis};

/// A value bound to a placeholder of [`filter`].
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum Bind {
    /// An integer (ids and milliseconds).
    Int(i64),
    /// Text (ids and kind names).
    Text(String),
}

/// The `WHERE` clause of `query` and its values in order; `placeholder(n)` writes the n-th
/// (1-based) placeholder in the backend's syntax.
pub(crate) fn filter(query: &EventQuery, placeholder: fn(usize) -> String) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Int(query.after)];
    let mut clause = format!("id > {}", placeholder(1));
    let mut add = |condition: &str, bind: Bind| {
        binds.push(bind);
        clause.push_str(&format!(" AND {condition} {}", placeholder(binds.len())));
    };
    if let Some(user) = &query.user {
        add("user_id =", Bind::Text(user.as_str().to_owned()));
    }
    if let Some(client) = &query.client {
        add("client_id =", Bind::Text(client.as_str().to_owned()));
    }
    if let Some(since) = query.since {
        add("at >=", Bind::Int(since.millis()));
    }
    if let Some(until) = query.until {
        add("at <", Bind::Int(until.millis()));
    }
    if !query.kinds.is_empty() {
        let mut names = Vec::with_capacity(query.kinds.len());
        for kind in &query.kinds {
            binds.push(Bind::Text(kind.as_str().to_owned()));
            names.push(placeholder(binds.len()));
        }
        clause.push_str(&format!(" AND kind IN ({})", names.join(", ")));
    }
    binds.push(Bind::Int(i64::from(query.page_size())));
    let sql = format!(
        "SELECT id, at, kind, user_id, client_id, ip, actor, detail FROM audit_events \
         WHERE {clause} ORDER BY id LIMIT {}",
        placeholder(binds.len())
    );
    (sql, binds)
}

/// The text columns of `event`, in the order `kind, user_id, client_id, ip, actor, detail`.
pub(crate) fn columns(event: &NewEvent) -> [Option<String>; 6] {
    [
        Some(event.kind.as_str().to_owned()),
        event.user.as_ref().map(|u| u.as_str().to_owned()),
        event.client.as_ref().map(|c| c.as_str().to_owned()),
        event.ip.map(|ip| ip.to_string()),
        event.actor.as_ref().map(|a| a.as_str().to_owned()),
        event.detail.clone(),
    ]
}

/// The columns of a stored event, as read.
pub(crate) struct Row {
    /// `id`.
    pub id: i64,
    /// `at`, milliseconds.
    pub at: i64,
    /// `kind`, `user_id`, `client_id`, `ip`, `actor`, `detail`.
    pub text: [Option<String>; 6],
}

impl Row {
    /// The event, or [`StoreError::Corrupt`] for a kind or address that does not parse.
    pub(crate) fn decode(self) -> Result<AuditEvent, StoreError> {
        let [kind, user, client, ip, actor, detail] = self.text;
        let kind: EventKind = kind
            .unwrap_or_default()
            .parse()
            .map_err(|_| StoreError::corrupt("audit_events.kind: unknown event type"))?;
        let ip = ip
            .map(|ip| ip.parse::<IpAddr>())
            .transpose()
            .map_err(|_| StoreError::corrupt("audit_events.ip: not an address"))?;
        Ok(AuditEvent {
            id: self.id,
            kind,
            at: UnixMillis::from_millis(self.at),
            user: user.map(Into::into),
            client: client.map(Into::into),
            ip,
            actor: actor.as_deref().map(Actor::parse),
            detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use tessera_core::model::UserId;

    use super::*;

    #[test]
    fn the_filter_names_only_what_the_query_sets() {
        let (sql, binds) = filter(&EventQuery::default(), |n| format!("${n}"));
        assert!(sql.contains("WHERE id > $1 ORDER BY id LIMIT $2"), "{sql}");
        assert_eq!(binds, vec![Bind::Int(0), Bind::Int(1000)]);
        let query = EventQuery {
            after: 7,
            kinds: vec![EventKind::LoginFailed, EventKind::Logout],
            user: Some(UserId::new("u_1")),
            limit: 10,
            ..EventQuery::default()
        };
        let (sql, binds) = filter(&query, |_| "?".to_owned());
        assert!(
            sql.contains("WHERE id > ? AND user_id = ? AND kind IN (?, ?) ORDER BY id LIMIT ?"),
            "{sql}"
        );
        assert_eq!(binds.len(), 5);
        assert_eq!(binds[2], Bind::Text("login_failed".into()));
    }
}
