-- Tessera's schema on PostgreSQL: the same tables, columns and numbering as
-- migrations/sqlite. Times are seconds since the Unix epoch (BIGINT); digests and sealed
-- values are BYTEA; lists are JSON arrays in TEXT, decoded by the application as on SQLite.
-- Identifiers and usernames compare and sort byte-wise (COLLATE "C"), as SQLite does, so that
-- listings come out in the same order on both backends whatever the database's locale.

CREATE TABLE users (
    id                  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    username            TEXT COLLATE "C" NOT NULL,
    -- The username folded to lower case (Unicode, by the application), so that lookups are
    -- case-insensitive and behave the same on every backend.
    username_key        TEXT COLLATE "C" NOT NULL,
    email               TEXT,
    roles               TEXT    NOT NULL DEFAULT '[]',
    password_hash       TEXT    NOT NULL,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT  NOT NULL,
    password_changed_at BIGINT  NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);

CREATE TABLE clients (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    secret_hash BYTEA,
    grants      TEXT    NOT NULL DEFAULT '[]',
    scopes      TEXT    NOT NULL DEFAULT '[]',
    audiences   TEXT    NOT NULL DEFAULT '[]',
    created_at  BIGINT  NOT NULL
);
CREATE INDEX clients_created_at ON clients (created_at);

-- A session is one refresh-token family. Deleting its user or client deletes it.
CREATE TABLE sessions (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id    TEXT COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope        TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_user_id ON sessions (user_id, expires_at);
CREATE INDEX sessions_client_id ON sessions (client_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Refresh tokens, by SHA-256 digest only. `successor_sealed` holds the successor token,
-- sealed under the master key, once this one has been used.
CREATE TABLE refresh_tokens (
    hash             BYTEA  NOT NULL PRIMARY KEY,
    session_id       TEXT COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    used_at          BIGINT,
    successor_sealed BYTEA
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- `seq` orders keys created in the same second by insertion, as SQLite's rowid does.
CREATE TABLE signing_keys (
    kid            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    seq            BIGINT GENERATED ALWAYS AS IDENTITY,
    alg            TEXT   NOT NULL,
    public_jwk     TEXT   NOT NULL,
    private_sealed BYTEA  NOT NULL,
    state          TEXT   NOT NULL
                   CHECK (state IN ('published', 'active', 'retiring', 'retired')),
    created_at     BIGINT NOT NULL,
    activates_at   BIGINT NOT NULL,
    retired_at     BIGINT
);
CREATE INDEX signing_keys_created_at ON signing_keys (created_at, seq);
CREATE INDEX signing_keys_state ON signing_keys (state, created_at);

-- The revocation feed. An identity is never reused, even after a purge; writers take a
-- lock while they insert, so that cursors also become visible in their order.
CREATE TABLE revocations (
    cursor BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    jti    TEXT COLLATE "C" NOT NULL UNIQUE,
    exp    BIGINT NOT NULL
);
CREATE INDEX revocations_exp ON revocations (exp);
