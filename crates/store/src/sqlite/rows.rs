//! Rows to records. The column lists here and the `SELECT`s that use them go together.

use rusqlite::Row;
use rusqlite::types::FromSql;
use tessera_core::StoreError;
use tessera_core::model::{
    AuthorizationCode, Client, CodeOutcome, Consent, KeyRecord, LoginSession, LogoutNotice,
    RefreshRecord, Revocation, Session, Timestamp, User,
};

use super::error::SqlResultExt;
use crate::codec::{decode_list, decode_web, parse_alg, parse_key_state, parse_scope};

pub(super) use crate::columns::{
    client_columns, code_columns, consent_columns, key_columns, login_session_columns,
    notice_columns, refresh_columns, session_columns, user_columns,
};

/// Reads one column by position; a value of the wrong type means corrupt data.
fn get<T: FromSql>(row: &Row<'_>, index: usize, column: &'static str) -> Result<T, StoreError> {
    row.get(index).or_store(column)
}

/// An account's id and stored role list.
pub(super) fn id_and_roles(row: &Row<'_>) -> Result<(String, String), StoreError> {
    Ok((get(row, 0, "id")?, get(row, 1, "roles")?))
}

/// Reads a column of seconds.
fn time(row: &Row<'_>, index: usize, column: &'static str) -> Result<Timestamp, StoreError> {
    get(row, index, column).map(Timestamp::from_secs)
}

/// Reads a nullable column of seconds.
fn opt_time(
    row: &Row<'_>,
    index: usize,
    column: &'static str,
) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<i64>>(row, index, column)?.map(Timestamp::from_secs))
}

/// A `users` row.
pub(super) fn user(row: &Row<'_>) -> Result<User, StoreError> {
    Ok(User {
        id: get::<String>(row, 0, "id")?.into(),
        username: get(row, 1, "username")?,
        email: get(row, 2, "email")?,
        roles: decode_list(&get::<String>(row, 3, "roles")?, "roles")?,
        password_hash: get(row, 4, "password_hash")?,
        disabled: get(row, 5, "disabled")?,
        created_at: time(row, 6, "created_at")?,
        password_changed_at: time(row, 7, "password_changed_at")?,
    })
}

/// A `clients` row.
pub(super) fn client(row: &Row<'_>) -> Result<Client, StoreError> {
    Ok(Client {
        id: get::<String>(row, 0, "id")?.into(),
        name: get(row, 1, "name")?,
        secret_hash: get(row, 2, "secret_hash")?,
        grants: decode_list(&get::<String>(row, 3, "grants")?, "grants")?,
        scopes: decode_list(&get::<String>(row, 4, "scopes")?, "scopes")?,
        audiences: decode_list(&get::<String>(row, 5, "audiences")?, "audiences")?,
        created_at: time(row, 6, "created_at")?,
        web: decode_web(&get::<String>(row, 7, "web")?)?,
    })
}

/// A `sessions` row.
pub(super) fn session(row: &Row<'_>) -> Result<Session, StoreError> {
    Ok(Session {
        id: get::<String>(row, 0, "id")?.into(),
        user_id: get::<String>(row, 1, "user_id")?.into(),
        client_id: get::<String>(row, 2, "client_id")?.into(),
        scope: parse_scope(&get::<String>(row, 3, "scope")?)?,
        created_at: time(row, 4, "created_at")?,
        expires_at: time(row, 5, "expires_at")?,
        last_used_at: time(row, 6, "last_used_at")?,
        revoked_at: opt_time(row, 7, "revoked_at")?,
        login_session_id: get::<Option<String>>(row, 8, "login_session_id")?.map(Into::into),
        dpop_jkt: get::<Option<String>>(row, 9, "dpop_jkt")?,
    })
}

/// A `refresh_tokens` row.
pub(super) fn refresh(row: &Row<'_>) -> Result<RefreshRecord, StoreError> {
    Ok(RefreshRecord {
        hash: get(row, 0, "hash")?,
        session_id: get::<String>(row, 1, "session_id")?.into(),
        created_at: time(row, 2, "created_at")?,
        expires_at: time(row, 3, "expires_at")?,
        used_at: opt_time(row, 4, "used_at")?,
        successor_sealed: get(row, 5, "successor_sealed")?,
    })
}

/// A `signing_keys` row.
pub(super) fn key(row: &Row<'_>) -> Result<KeyRecord, StoreError> {
    Ok(KeyRecord {
        kid: get::<String>(row, 0, "kid")?.into(),
        alg: parse_alg(&get::<String>(row, 1, "alg")?)?,
        public_jwk: get(row, 2, "public_jwk")?,
        private_sealed: get(row, 3, "private_sealed")?,
        state: parse_key_state(&get::<String>(row, 4, "state")?)?,
        created_at: time(row, 5, "created_at")?,
        activates_at: time(row, 6, "activates_at")?,
        retired_at: opt_time(row, 7, "retired_at")?,
    })
}

/// The first column, a kid, as text.
pub(super) fn kid(row: &Row<'_>) -> Result<String, StoreError> {
    get(row, 0, "kid")
}

/// A `revocations` row (`cursor, jti, exp`).
pub(super) fn revocation(row: &Row<'_>) -> Result<Revocation, StoreError> {
    Ok(Revocation {
        cursor: get(row, 0, "cursor")?,
        jti: get::<String>(row, 1, "jti")?.into(),
        exp: time(row, 2, "exp")?,
    })
}

/// A `login_sessions` row.
pub(super) fn login_session(row: &Row<'_>) -> Result<LoginSession, StoreError> {
    Ok(LoginSession {
        id: get::<String>(row, 0, "id")?.into(),
        secret_hash: get(row, 1, "secret_hash")?,
        user_id: get::<String>(row, 2, "user_id")?.into(),
        auth_time: time(row, 3, "auth_time")?,
        amr: decode_list(&get::<String>(row, 4, "amr")?, "amr")?,
        acr: get(row, 5, "acr")?,
        created_at: time(row, 6, "created_at")?,
        last_seen_at: time(row, 7, "last_seen_at")?,
        idle_expires_at: time(row, 8, "idle_expires_at")?,
        expires_at: time(row, 9, "expires_at")?,
        ended_at: opt_time(row, 10, "ended_at")?,
    })
}

/// An `authorization_codes` row.
pub(super) fn code(row: &Row<'_>) -> Result<AuthorizationCode, StoreError> {
    Ok(AuthorizationCode {
        hash: get(row, 0, "hash")?,
        client_id: get::<String>(row, 1, "client_id")?.into(),
        redirect_uri: get(row, 2, "redirect_uri")?,
        code_challenge: get(row, 3, "code_challenge")?,
        user_id: get::<String>(row, 4, "user_id")?.into(),
        login_session_id: get::<String>(row, 5, "login_session_id")?.into(),
        scope: parse_scope(&get::<String>(row, 6, "scope")?)?,
        nonce: get(row, 7, "nonce")?,
        auth_time: time(row, 8, "auth_time")?,
        amr: decode_list(&get::<String>(row, 9, "amr")?, "amr")?,
        acr: get(row, 10, "acr")?,
        created_at: time(row, 11, "created_at")?,
        expires_at: time(row, 12, "expires_at")?,
    })
}

/// A `consents` row.
pub(super) fn consent(row: &Row<'_>) -> Result<Consent, StoreError> {
    Ok(Consent {
        user_id: get::<String>(row, 0, "user_id")?.into(),
        client_id: get::<String>(row, 1, "client_id")?.into(),
        scope: parse_scope(&get::<String>(row, 2, "scope")?)?,
        granted_at: time(row, 3, "granted_at")?,
    })
}

/// A `logout_outbox` row.
pub(super) fn notice(row: &Row<'_>) -> Result<LogoutNotice, StoreError> {
    Ok(LogoutNotice {
        id: get::<String>(row, 0, "id")?.into(),
        client_id: get::<String>(row, 1, "client_id")?.into(),
        uri: get(row, 2, "uri")?,
        login_session_id: get::<String>(row, 3, "login_session_id")?.into(),
        user_id: get::<String>(row, 4, "user_id")?.into(),
        jti: get::<String>(row, 5, "jti")?.into(),
        created_at: time(row, 6, "created_at")?,
        attempts: get(row, 7, "attempts")?,
        next_attempt_at: time(row, 8, "next_attempt_at")?,
    })
}

/// The first column, a client id.
pub(super) fn client_id(row: &Row<'_>) -> Result<String, StoreError> {
    get(row, 0, "client_id")
}

/// The `session_id, access_jti, access_exp` of a spent authorization code.
pub(super) fn replayed(row: &Row<'_>) -> Result<CodeOutcome, StoreError> {
    Ok(CodeOutcome::Replayed {
        session_id: get::<String>(row, 0, "session_id")?.into(),
        jti: get::<String>(row, 1, "access_jti")?.into(),
        exp: time(row, 2, "access_exp")?,
    })
}
