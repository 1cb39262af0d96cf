-- Browser sign-in (authorization code flow, OpenID Connect): single sign-on sessions, the
-- clients each one authorized, authorization codes, consents, and the outbox of back-channel
-- logout notifications. Secrets (the session cookie, the code) are stored as SHA-256 digests.

-- What a client needs for the browser flows, as one JSON object (redirect URIs, post-logout
-- redirect URIs, back-channel logout URI, first party, allowed origins).
ALTER TABLE clients ADD COLUMN web TEXT NOT NULL DEFAULT '{}';

-- The single sign-on session a refresh family came from, if any: ending that ends it too.
-- No foreign key: a purged login session leaves its (already revoked) families alone.
ALTER TABLE sessions ADD COLUMN login_session_id TEXT;
CREATE INDEX sessions_login_session_id ON sessions (login_session_id);

CREATE TABLE login_sessions (
    id              TEXT    NOT NULL PRIMARY KEY,
    secret_hash     BLOB    NOT NULL UNIQUE,
    user_id         TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time       INTEGER NOT NULL,
    amr             TEXT    NOT NULL DEFAULT '[]',
    acr             TEXT,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    ended_at        INTEGER
);
CREATE INDEX login_sessions_user_id ON login_sessions (user_id, expires_at);
CREATE INDEX login_sessions_idle_expires_at ON login_sessions (idle_expires_at);
CREATE INDEX login_sessions_expires_at ON login_sessions (expires_at);
CREATE INDEX login_sessions_ended_at ON login_sessions (ended_at);

-- The clients a login session authorized, to be told when it ends.
CREATE TABLE login_session_clients (
    login_session_id TEXT    NOT NULL REFERENCES login_sessions (id) ON DELETE CASCADE,
    client_id        TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (login_session_id, client_id)
);

-- Authorization codes by digest. Once exchanged, `used_at`, `session_id`, `access_jti` and
-- `access_exp` record what the exchange issued, so that a replay can revoke it.
CREATE TABLE authorization_codes (
    hash             BLOB    NOT NULL PRIMARY KEY,
    client_id        TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    redirect_uri     TEXT    NOT NULL,
    code_challenge   TEXT    NOT NULL,
    user_id          TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    login_session_id TEXT    NOT NULL,
    scope            TEXT    NOT NULL,
    nonce            TEXT,
    auth_time        INTEGER NOT NULL,
    amr              TEXT    NOT NULL DEFAULT '[]',
    acr              TEXT,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER,
    session_id       TEXT,
    access_jti       TEXT,
    access_exp       INTEGER
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

-- What each user allowed each client.
CREATE TABLE consents (
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope      TEXT    NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- Back-channel logout notifications waiting for delivery, written in the transaction that
-- ends the session. No foreign key to the user: a deleted user's sessions are still told.
CREATE TABLE logout_outbox (
    id               TEXT    NOT NULL PRIMARY KEY,
    client_id        TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    uri              TEXT    NOT NULL,
    login_session_id TEXT    NOT NULL,
    user_id          TEXT    NOT NULL,
    jti              TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  INTEGER NOT NULL,
    leased_until     INTEGER,
    delivered_at     INTEGER,
    gave_up_at       INTEGER
);
CREATE INDEX logout_outbox_due ON logout_outbox (next_attempt_at);
CREATE INDEX logout_outbox_delivered_at ON logout_outbox (delivered_at);
CREATE INDEX logout_outbox_gave_up_at ON logout_outbox (gave_up_at);
