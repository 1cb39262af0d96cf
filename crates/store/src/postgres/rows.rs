//! Rows to records. The column lists here and the `SELECT`s that use them go together.

use sqlx::postgres::PgRow;
use sqlx::{Decode, Postgres, Row, Type};
use tessera_core::StoreError;
use tessera_core::model::{
    AuthorizationCode, Client, CodeOutcome, Consent, KeyRecord, LoginSession, LogoutNotice,
    RefreshRecord, Revocation, Session, Timestamp, User,
};

use crate::codec::{decode_list, decode_web, parse_alg, parse_key_state, parse_scope};
use crate::error::StoreResultExt;

pub(super) use crate::columns::{
    client_columns, code_columns, consent_columns, key_columns, login_session_columns,
    notice_columns, refresh_columns, session_columns, user_columns,
};

/// Reads one column; a value of the wrong type means corrupt data.
fn get<'r, T>(row: &'r PgRow, column: &'static str) -> Result<T, StoreError>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    row.try_get(column).or_store(column)
}

/// Reads a column of text into an id.
fn id<T: From<String>>(row: &PgRow, column: &'static str) -> Result<T, StoreError> {
    get::<String>(row, column).map(T::from)
}

/// Reads a column of seconds.
fn time(row: &PgRow, column: &'static str) -> Result<Timestamp, StoreError> {
    get(row, column).map(Timestamp::from_secs)
}

/// Reads a nullable column of seconds.
fn opt_time(row: &PgRow, column: &'static str) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<i64>>(row, column)?.map(Timestamp::from_secs))
}

/// A `users` row.
pub(super) fn user(row: &PgRow) -> Result<User, StoreError> {
    Ok(User {
        id: id(row, "id")?,
        username: get(row, "username")?,
        email: get(row, "email")?,
        roles: decode_list(get(row, "roles")?, "roles")?,
        password_hash: get(row, "password_hash")?,
        disabled: get(row, "disabled")?,
        created_at: time(row, "created_at")?,
        password_changed_at: time(row, "password_changed_at")?,
    })
}

/// A `clients` row.
pub(super) fn client(row: &PgRow) -> Result<Client, StoreError> {
    Ok(Client {
        id: id(row, "id")?,
        name: get(row, "name")?,
        secret_hash: get(row, "secret_hash")?,
        grants: decode_list(get(row, "grants")?, "grants")?,
        scopes: decode_list(get(row, "scopes")?, "scopes")?,
        audiences: decode_list(get(row, "audiences")?, "audiences")?,
        created_at: time(row, "created_at")?,
        web: decode_web(get(row, "web")?)?,
    })
}

/// A `sessions` row.
pub(super) fn session(row: &PgRow) -> Result<Session, StoreError> {
    Ok(Session {
        id: id(row, "id")?,
        user_id: id(row, "user_id")?,
        client_id: id(row, "client_id")?,
        scope: parse_scope(get(row, "scope")?)?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
        last_used_at: time(row, "last_used_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
        login_session_id: get::<Option<String>>(row, "login_session_id")?.map(Into::into),
        dpop_jkt: get::<Option<String>>(row, "dpop_jkt")?,
    })
}

/// A `refresh_tokens` row.
pub(super) fn refresh(row: &PgRow) -> Result<RefreshRecord, StoreError> {
    Ok(RefreshRecord {
        hash: get(row, "hash")?,
        session_id: id(row, "session_id")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
        used_at: opt_time(row, "used_at")?,
        successor_sealed: get(row, "successor_sealed")?,
    })
}

/// A `signing_keys` row.
pub(super) fn key(row: &PgRow) -> Result<KeyRecord, StoreError> {
    Ok(KeyRecord {
        kid: id(row, "kid")?,
        alg: parse_alg(get(row, "alg")?)?,
        public_jwk: get(row, "public_jwk")?,
        private_sealed: get(row, "private_sealed")?,
        state: parse_key_state(get(row, "state")?)?,
        created_at: time(row, "created_at")?,
        activates_at: time(row, "activates_at")?,
        retired_at: opt_time(row, "retired_at")?,
    })
}

/// A `revocations` row.
pub(super) fn revocation(row: &PgRow) -> Result<Revocation, StoreError> {
    Ok(Revocation {
        cursor: get(row, "cursor")?,
        jti: id(row, "jti")?,
        exp: time(row, "exp")?,
    })
}

/// A `login_sessions` row.
pub(super) fn login_session(row: &PgRow) -> Result<LoginSession, StoreError> {
    Ok(LoginSession {
        id: id(row, "id")?,
        secret_hash: get(row, "secret_hash")?,
        user_id: id(row, "user_id")?,
        auth_time: time(row, "auth_time")?,
        amr: decode_list(get(row, "amr")?, "amr")?,
        acr: get(row, "acr")?,
        created_at: time(row, "created_at")?,
        last_seen_at: time(row, "last_seen_at")?,
        idle_expires_at: time(row, "idle_expires_at")?,
        expires_at: time(row, "expires_at")?,
        ended_at: opt_time(row, "ended_at")?,
    })
}

/// An `authorization_codes` row.
pub(super) fn code(row: &PgRow) -> Result<AuthorizationCode, StoreError> {
    Ok(AuthorizationCode {
        hash: get(row, "hash")?,
        client_id: id(row, "client_id")?,
        redirect_uri: get(row, "redirect_uri")?,
        code_challenge: get(row, "code_challenge")?,
        user_id: id(row, "user_id")?,
        login_session_id: id(row, "login_session_id")?,
        scope: parse_scope(get(row, "scope")?)?,
        nonce: get(row, "nonce")?,
        auth_time: time(row, "auth_time")?,
        amr: decode_list(get(row, "amr")?, "amr")?,
        acr: get(row, "acr")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
    })
}

/// The `session_id, access_jti, access_exp` of a spent authorization code.
pub(super) fn replayed(row: &PgRow) -> Result<CodeOutcome, StoreError> {
    Ok(CodeOutcome::Replayed {
        session_id: id(row, "session_id")?,
        jti: id(row, "access_jti")?,
        exp: time(row, "access_exp")?,
    })
}

/// A `consents` row.
pub(super) fn consent(row: &PgRow) -> Result<Consent, StoreError> {
    Ok(Consent {
        user_id: id(row, "user_id")?,
        client_id: id(row, "client_id")?,
        scope: parse_scope(get(row, "scope")?)?,
        granted_at: time(row, "granted_at")?,
    })
}

/// A `logout_outbox` row.
pub(super) fn notice(row: &PgRow) -> Result<LogoutNotice, StoreError> {
    let attempts = get::<i64>(row, "attempts")?;
    Ok(LogoutNotice {
        id: id(row, "id")?,
        client_id: id(row, "client_id")?,
        uri: get(row, "uri")?,
        login_session_id: id(row, "login_session_id")?,
        user_id: id(row, "user_id")?,
        jti: id(row, "jti")?,
        created_at: time(row, "created_at")?,
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::corrupt(format!("attempts: {attempts}")))?,
        next_attempt_at: time(row, "next_attempt_at")?,
    })
}

/// Decodes every row with `decode`.
pub(super) fn all<T>(
    rows: &[PgRow],
    decode: fn(&PgRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(decode).collect()
}
