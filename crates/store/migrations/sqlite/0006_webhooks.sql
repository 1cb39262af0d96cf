-- Security-event receivers (webhooks). Each reads the audit trail from its `cursor` (the id
-- of the last event delivered, given up or not meant for it); the trail is the outbox, so a
-- receiver needs no queue of its own. `kinds` is a JSON array of event type names ([]: all);
-- `dead_letters` a JSON array of the event ids given up. `created_at` in seconds, the other
-- times in milliseconds since the Unix epoch.
CREATE TABLE webhooks (
    id              TEXT    NOT NULL PRIMARY KEY,
    url             TEXT    NOT NULL,
    kinds           TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    cursor          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    leased_until    INTEGER,
    last_error      TEXT,
    dead_letters    TEXT    NOT NULL DEFAULT '[]'
);
