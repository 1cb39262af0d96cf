-- Security-event receivers (webhooks). Each reads the audit trail from its `cursor` (the id
-- of the last event delivered, given up or not meant for it); the trail is the outbox, so a
-- receiver needs no queue of its own. `kinds` is a JSON array of event type names ([]: all);
-- `dead_letters` a JSON array of the event ids given up. `created_at` in seconds, the other
-- times in milliseconds since the Unix epoch.
CREATE TABLE webhooks (
    id              TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    url             TEXT   NOT NULL,
    kinds           TEXT   NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL,
    cursor          BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    leased_until    BIGINT,
    last_error      TEXT,
    dead_letters    TEXT   NOT NULL DEFAULT '[]'
);
