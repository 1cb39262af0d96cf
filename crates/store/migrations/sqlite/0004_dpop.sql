-- DPoP (RFC 9449). The proofs already accepted, by the SHA-256 of their `jti`, until a replay
-- could no longer pass the `iat` window (`expires_at`, seconds since the Unix epoch): a
-- proof is accepted once, whichever instance sees it. The purge removes expired rows.
CREATE TABLE dpop_jtis (
    jti_hash   BLOB    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dpop_jtis_expires_at ON dpop_jtis (expires_at);

-- The thumbprint of the DPoP key a public client's refresh family is bound to (RFC 9449 §5);
-- NULL for a family that is not bound.
ALTER TABLE sessions ADD COLUMN dpop_jkt TEXT;
