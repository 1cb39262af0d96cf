-- Tessera's schema on SQLite. Times are seconds since the Unix epoch (INTEGER); digests and
-- sealed values are BLOBs; lists are JSON arrays in TEXT. The PostgreSQL schema in
-- migrations/postgres keeps the same numbering and the same tables.

CREATE TABLE users (
    id                  TEXT    NOT NULL PRIMARY KEY,
    username            TEXT    NOT NULL,
    -- The username folded to lower case (Unicode, by the application), so that lookups are
    -- case-insensitive and behave the same on every backend.
    username_key        TEXT    NOT NULL,
    email               TEXT,
    roles               TEXT    NOT NULL DEFAULT '[]',
    password_hash       TEXT    NOT NULL,
    disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);

CREATE TABLE clients (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    secret_hash BLOB,
    grants      TEXT    NOT NULL DEFAULT '[]',
    scopes      TEXT    NOT NULL DEFAULT '[]',
    audiences   TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL
);
CREATE INDEX clients_created_at ON clients (created_at);

-- A session is one refresh-token family. Deleting its user or client deletes it.
CREATE TABLE sessions (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id    TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_user_id ON sessions (user_id, expires_at);
CREATE INDEX sessions_client_id ON sessions (client_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Refresh tokens, by SHA-256 digest only. `successor_sealed` holds the successor token,
-- sealed under the master key, once this one has been used.
CREATE TABLE refresh_tokens (
    hash             BLOB    NOT NULL PRIMARY KEY,
    session_id       TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER,
    successor_sealed BLOB
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE signing_keys (
    kid            TEXT    NOT NULL PRIMARY KEY,
    alg            TEXT    NOT NULL,
    public_jwk     TEXT    NOT NULL,
    private_sealed BLOB    NOT NULL,
    state          TEXT    NOT NULL
                   CHECK (state IN ('published', 'active', 'retiring', 'retired')),
    created_at     INTEGER NOT NULL,
    activates_at   INTEGER NOT NULL,
    retired_at     INTEGER
);
CREATE INDEX signing_keys_created_at ON signing_keys (created_at);
CREATE INDEX signing_keys_state ON signing_keys (state, created_at);

-- The revocation feed. AUTOINCREMENT: a cursor is never reused, even after a purge.
CREATE TABLE revocations (
    cursor INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    jti    TEXT    NOT NULL UNIQUE,
    exp    INTEGER NOT NULL
);
CREATE INDEX revocations_exp ON revocations (exp);
