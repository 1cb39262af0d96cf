-- The audit trail: security events, oldest first by `id`. Writers take one transaction-scoped
-- lock in turn (as the revocation feed does), so ids become visible in order and a reader
-- paging by id never skips one. `at` is in milliseconds since the Unix epoch; ids, reason
-- codes and addresses only, never a secret, token or password.
CREATE TABLE audit_events (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT   COLLATE "C" NOT NULL,
    user_id   TEXT   COLLATE "C",
    client_id TEXT   COLLATE "C",
    ip        TEXT,
    actor     TEXT   COLLATE "C",
    detail    TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_user ON audit_events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX audit_events_client ON audit_events (client_id, id) WHERE client_id IS NOT NULL;
CREATE INDEX audit_events_kind ON audit_events (kind, id);
