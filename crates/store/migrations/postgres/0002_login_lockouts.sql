-- Failed-login counters per account, so that a lock-out survives a restart, holds for every
-- instance on this database, and can be lifted from another process (`tessera user unlock`).
-- `account` is the username as typed at login, folded to lower case (unknown usernames are
-- counted too, so that they look like known ones). Times here are milliseconds since the
-- Unix epoch: lock-outs start at one second.
CREATE TABLE login_lockouts (
    account      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    failures     BIGINT  NOT NULL CHECK (failures >= 0),
    locked_until BIGINT,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX login_lockouts_expires_at ON login_lockouts (expires_at);
