-- The audit trail: security events, oldest first by `id` (AUTOINCREMENT, so that an id is
-- never reused after a purge and readers can page by it). `at` is in milliseconds since the
-- Unix epoch; ids, reason codes and addresses only, never a secret, token or password.
CREATE TABLE audit_events (
    id        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    user_id   TEXT,
    client_id TEXT,
    ip        TEXT,
    actor     TEXT,
    detail    TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_user ON audit_events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX audit_events_client ON audit_events (client_id, id) WHERE client_id IS NOT NULL;
CREATE INDEX audit_events_kind ON audit_events (kind, id);
