-- The device authorization grant (RFC 8628). `device_authorizations` holds each request a
-- device started, by the SHA-256 digest of its device code, with the code the user types
-- (normalized), the scope asked for (space-separated), the least interval between polls in
-- seconds (it grows at each `slow_down`) and the last poll. `state` is pending, approved,
-- denied or redeemed; an approval records who approved and how they had signed in
-- (`auth_time`, `amr` as a JSON array, `acr`), kept after redemption for the ID token.
-- Times are seconds since the Unix epoch. A user code is unique among live requests only
-- (the insert checks it, under an advisory lock on the code): an expired request keeps its
-- code until the purge removes it, an hour past its expiry. Deleting the client or the
-- approving user deletes the request.
-- The same table and columns as migrations/sqlite/0008, in PostgreSQL's types.
CREATE TABLE device_authorizations (
    device_code_hash BYTEA   NOT NULL PRIMARY KEY,
    user_code        TEXT COLLATE "C" NOT NULL,
    client_id        TEXT COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope            TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    interval_secs    BIGINT  NOT NULL,
    last_polled_at   BIGINT,
    state            TEXT    NOT NULL
        CHECK (state IN ('pending', 'approved', 'denied', 'redeemed')),
    user_id          TEXT COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
    auth_time        BIGINT,
    amr              TEXT    NOT NULL DEFAULT '[]',
    acr              TEXT
);
CREATE INDEX device_authorizations_user_code ON device_authorizations (user_code);
CREATE INDEX device_authorizations_expires_at ON device_authorizations (expires_at);
-- The foreign keys' cascades look requests up by client and by user.
CREATE INDEX device_authorizations_client_id ON device_authorizations (client_id);
CREATE INDEX device_authorizations_user_id ON device_authorizations (user_id);
