-- Helpers for seeding a benchmark database (never a production one): they are created in
-- the database the benchmark made for itself, next to Tessera's tables, and go with it.
--
-- Refresh tokens are derived from a secret seed and a number, so that the database holds
-- only their SHA-256 digests, as Tessera stores them, while the benchmark can recompute the
-- token text of any row: token(i) = base64url(SHA-256(seed || ':' || i)), 43 characters,
-- the shape of a real one (256 bits as unpadded base64url).

-- Unpadded base64url of a digest of at most 57 bytes (encode() wraps lines at 76 chars).
CREATE OR REPLACE FUNCTION bench_b64url(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT translate(encode(data, 'base64'), '+/=', '-_') $$;

CREATE OR REPLACE FUNCTION bench_token(seed text, i bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT bench_b64url(sha256(convert_to(seed || ':' || i, 'UTF8'))) $$;

-- Ids as Tessera makes them: a kind prefix and 128 bits as base64url (22 characters).
CREATE OR REPLACE FUNCTION bench_id(prefix text, kind text, i bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT prefix || left(bench_b64url(sha256(convert_to(kind || ':' || i, 'UTF8'))), 22) $$;

-- Users bench_user<i> for i in [lo, hi], all with the same password hash (verification
-- costs the same whoever the user is).
CREATE OR REPLACE PROCEDURE bench_seed_users(lo bigint, hi bigint, hash text, at bigint)
LANGUAGE sql
AS $$
    INSERT INTO users (id, username, username_key, email, roles, password_hash, created_at,
                       password_changed_at)
    SELECT bench_id('u_', 'user', i), 'bench_user' || i, 'bench_user' || i,
           'bench_user' || i || '@example.test', '[]', hash, at, at
    FROM generate_series(lo, hi) AS i
$$;

-- For i in [lo, hi]: session i of user ((i - 1) % users) + 1 through `client`, live for
-- 30 days, with its one refresh token token(seed, i), live for 14 days (the defaults).
CREATE OR REPLACE PROCEDURE bench_seed_tokens(lo bigint, hi bigint, users bigint, client text,
                                              scope text, seed text, at bigint)
LANGUAGE sql
AS $$
    INSERT INTO sessions (id, user_id, client_id, scope, created_at, expires_at, last_used_at)
    SELECT bench_id('s_', 'session', i), bench_id('u_', 'user', (i - 1) % users + 1), client,
           scope, at, at + 30 * 86400, at
    FROM generate_series(lo, hi) AS i;
    INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at)
    SELECT sha256(convert_to(bench_token(seed, i), 'UTF8')), bench_id('s_', 'session', i),
           at, at + 14 * 86400
    FROM generate_series(lo, hi) AS i;
$$;
