//! Rows to records. The column lists here and the `SELECT`s that use them go together.

use sqlx::postgres::PgRow;
use sqlx::{Decode, Postgres, Row, Type};
use tessera_core::StoreError;
use tessera_core::model::{Client, KeyRecord, RefreshRecord, Revocation, Session, User};

use crate::codec::{decode_list, parse_key_state};
use crate::error::StoreResultExt;

pub(super) use crate::columns::{
    client_columns, key_columns, refresh_columns, session_columns, user_columns,
};

/// Reads one column; a value of the wrong type means corrupt data.
fn get<'r, T>(row: &'r PgRow, column: &'static str) -> Result<T, StoreError>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    row.try_get(column).or_store(column)
}

/// A `users` row.
pub(super) fn user(row: &PgRow) -> Result<User, StoreError> {
    Ok(User {
        id: get(row, "id")?,
        username: get(row, "username")?,
        email: get(row, "email")?,
        roles: decode_list(get(row, "roles")?, "roles")?,
        password_hash: get(row, "password_hash")?,
        disabled: get(row, "disabled")?,
        created_at: get(row, "created_at")?,
        password_changed_at: get(row, "password_changed_at")?,
    })
}

/// A `clients` row.
pub(super) fn client(row: &PgRow) -> Result<Client, StoreError> {
    Ok(Client {
        id: get(row, "id")?,
        name: get(row, "name")?,
        secret_hash: get(row, "secret_hash")?,
        grants: decode_list(get(row, "grants")?, "grants")?,
        scopes: decode_list(get(row, "scopes")?, "scopes")?,
        audiences: decode_list(get(row, "audiences")?, "audiences")?,
        created_at: get(row, "created_at")?,
    })
}

/// A `sessions` row.
pub(super) fn session(row: &PgRow) -> Result<Session, StoreError> {
    Ok(Session {
        id: get(row, "id")?,
        user_id: get(row, "user_id")?,
        client_id: get(row, "client_id")?,
        scope: get(row, "scope")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        last_used_at: get(row, "last_used_at")?,
        revoked_at: get(row, "revoked_at")?,
    })
}

/// A `refresh_tokens` row.
pub(super) fn refresh(row: &PgRow) -> Result<RefreshRecord, StoreError> {
    Ok(RefreshRecord {
        hash: get(row, "hash")?,
        session_id: get(row, "session_id")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        used_at: get(row, "used_at")?,
        successor_sealed: get(row, "successor_sealed")?,
    })
}

/// A `signing_keys` row.
pub(super) fn key(row: &PgRow) -> Result<KeyRecord, StoreError> {
    Ok(KeyRecord {
        kid: get(row, "kid")?,
        alg: get(row, "alg")?,
        public_jwk: get(row, "public_jwk")?,
        private_sealed: get(row, "private_sealed")?,
        state: parse_key_state(get(row, "state")?)?,
        created_at: get(row, "created_at")?,
        activates_at: get(row, "activates_at")?,
        retired_at: get(row, "retired_at")?,
    })
}

/// A `revocations` row.
pub(super) fn revocation(row: &PgRow) -> Result<Revocation, StoreError> {
    Ok(Revocation {
        cursor: get(row, "cursor")?,
        jti: get(row, "jti")?,
        exp: get(row, "exp")?,
    })
}

/// Decodes every row with `decode`.
pub(super) fn all<T>(
    rows: &[PgRow],
    decode: fn(&PgRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(decode).collect()
}
