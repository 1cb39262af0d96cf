//! Rows to records. The column lists here and the `SELECT`s that use them go together.

use rusqlite::Row;
use rusqlite::types::FromSql;
use tessera_core::StoreError;
use tessera_core::model::{Client, KeyRecord, RefreshRecord, Revocation, Session, User};

use super::error::SqlResultExt;
use crate::codec::{decode_list, parse_key_state};

pub(super) use crate::columns::{
    client_columns, key_columns, refresh_columns, session_columns, user_columns,
};

/// Reads one column by position; a value of the wrong type means corrupt data.
fn get<T: FromSql>(row: &Row<'_>, index: usize, column: &'static str) -> Result<T, StoreError> {
    row.get(index).or_store(column)
}

/// A `users` row.
pub(super) fn user(row: &Row<'_>) -> Result<User, StoreError> {
    Ok(User {
        id: get(row, 0, "id")?,
        username: get(row, 1, "username")?,
        email: get(row, 2, "email")?,
        roles: decode_list(&get::<String>(row, 3, "roles")?, "roles")?,
        password_hash: get(row, 4, "password_hash")?,
        disabled: get(row, 5, "disabled")?,
        created_at: get(row, 6, "created_at")?,
        password_changed_at: get(row, 7, "password_changed_at")?,
    })
}

/// A `clients` row.
pub(super) fn client(row: &Row<'_>) -> Result<Client, StoreError> {
    Ok(Client {
        id: get(row, 0, "id")?,
        name: get(row, 1, "name")?,
        secret_hash: get(row, 2, "secret_hash")?,
        grants: decode_list(&get::<String>(row, 3, "grants")?, "grants")?,
        scopes: decode_list(&get::<String>(row, 4, "scopes")?, "scopes")?,
        audiences: decode_list(&get::<String>(row, 5, "audiences")?, "audiences")?,
        created_at: get(row, 6, "created_at")?,
    })
}

/// A `sessions` row.
pub(super) fn session(row: &Row<'_>) -> Result<Session, StoreError> {
    Ok(Session {
        id: get(row, 0, "id")?,
        user_id: get(row, 1, "user_id")?,
        client_id: get(row, 2, "client_id")?,
        scope: get(row, 3, "scope")?,
        created_at: get(row, 4, "created_at")?,
        expires_at: get(row, 5, "expires_at")?,
        last_used_at: get(row, 6, "last_used_at")?,
        revoked_at: get(row, 7, "revoked_at")?,
    })
}

/// A `refresh_tokens` row.
pub(super) fn refresh(row: &Row<'_>) -> Result<RefreshRecord, StoreError> {
    Ok(RefreshRecord {
        hash: get(row, 0, "hash")?,
        session_id: get(row, 1, "session_id")?,
        created_at: get(row, 2, "created_at")?,
        expires_at: get(row, 3, "expires_at")?,
        used_at: get(row, 4, "used_at")?,
        successor_sealed: get(row, 5, "successor_sealed")?,
    })
}

/// A `signing_keys` row.
pub(super) fn key(row: &Row<'_>) -> Result<KeyRecord, StoreError> {
    Ok(KeyRecord {
        kid: get(row, 0, "kid")?,
        alg: get(row, 1, "alg")?,
        public_jwk: get(row, 2, "public_jwk")?,
        private_sealed: get(row, 3, "private_sealed")?,
        state: parse_key_state(&get::<String>(row, 4, "state")?)?,
        created_at: get(row, 5, "created_at")?,
        activates_at: get(row, 6, "activates_at")?,
        retired_at: get(row, 7, "retired_at")?,
    })
}

/// A `revocations` row (`cursor, jti, exp`).
pub(super) fn revocation(row: &Row<'_>) -> Result<Revocation, StoreError> {
    Ok(Revocation {
        cursor: get(row, 0, "cursor")?,
        jti: get(row, 1, "jti")?,
        exp: get(row, 2, "exp")?,
    })
}
