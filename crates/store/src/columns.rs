//! The column lists of the records both backends read: their schemas mirror each other
//! (migrations/sqlite and migrations/postgres, numbered alike), so one list serves both. Each
//! backend's `rows` module reads them in this order.

/// Columns of a user row.
macro_rules! user_columns {
    () => {
        "id, username, email, roles, password_hash, disabled, created_at, password_changed_at"
    };
}

/// Columns of a client row.
macro_rules! client_columns {
    () => {
        "id, name, secret_hash, grants, scopes, audiences, created_at, web"
    };
}

/// Columns of a session row, qualified so that they can be read from a join.
macro_rules! session_columns {
    () => {
        "sessions.id AS id, sessions.user_id AS user_id, sessions.client_id AS client_id, \
         sessions.scope AS scope, sessions.created_at AS created_at, \
         sessions.expires_at AS expires_at, sessions.last_used_at AS last_used_at, \
         sessions.revoked_at AS revoked_at, sessions.login_session_id AS login_session_id, \
         sessions.dpop_jkt AS dpop_jkt"
    };
}

/// Columns of a refresh-token row.
macro_rules! refresh_columns {
    () => {
        "hash, session_id, created_at, expires_at, used_at, successor_sealed"
    };
}

/// Columns of a signing-key row.
macro_rules! key_columns {
    () => {
        "kid, alg, public_jwk, private_sealed, state, created_at, activates_at, retired_at"
    };
}

/// Columns of a login-session row.
macro_rules! login_session_columns {
    () => {
        "id, secret_hash, user_id, auth_time, amr, acr, created_at, last_seen_at, \
         idle_expires_at, expires_at, ended_at"
    };
}

/// Columns of an authorization-code row.
macro_rules! code_columns {
    () => {
        "hash, client_id, redirect_uri, code_challenge, user_id, login_session_id, scope, \
         nonce, auth_time, amr, acr, created_at, expires_at"
    };
}

/// Columns of a consent row.
macro_rules! consent_columns {
    () => {
        "user_id, client_id, scope, granted_at"
    };
}

/// Columns of a logout-outbox row.
macro_rules! notice_columns {
    () => {
        "id, client_id, uri, login_session_id, user_id, jti, created_at, attempts, \
         next_attempt_at"
    };
}

pub(crate) use {
    client_columns, code_columns, consent_columns, key_columns, login_session_columns,
    notice_columns, refresh_columns, session_columns, user_columns,
};
