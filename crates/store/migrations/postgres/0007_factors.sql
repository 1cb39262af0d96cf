-- Second factors. `totp_factors` holds a user's TOTP authenticator (RFC 6238), at most one:
-- the shared secret sealed under the master key (bound to the user id), `confirmed_at` NULL
-- while enrollment waits for a first code, and `last_step` the time step of the last code
-- accepted (0 before any), so that a code is accepted once and never one of an earlier step.
-- `recovery_codes` holds the user's unspent recovery codes, by MAC only: spending one
-- deletes its row. Times are seconds since the Unix epoch. Deleting the user deletes both.
-- The same tables and columns as migrations/sqlite/0007, in PostgreSQL's types.
CREATE TABLE totp_factors (
    user_id       TEXT   COLLATE "C" NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret BYTEA  NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT NOT NULL DEFAULT 0 CHECK (last_step >= 0),
    last_used_at  BIGINT
);

CREATE TABLE recovery_codes (
    user_id  TEXT  COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_mac BYTEA NOT NULL,
    PRIMARY KEY (user_id, code_mac)
);
