//! OAuth clients.

use sqlx::PgPool;
use tessera_core::StoreError;
use tessera_core::model::{Client, ClientId};

use super::rows::{self, client_columns};
use super::{found, storable};
use crate::codec::{encode_list, encode_web};
use crate::error::StoreResultExt;

pub(super) async fn create_client(pool: &PgPool, client: &Client) -> Result<(), StoreError> {
    insert(pool, client).await
}

/// Inserts one client row.
pub(super) async fn insert<'c, E>(executor: E, client: &Client) -> Result<(), StoreError>
where
    E: sqlx::PgExecutor<'c>,
{
    sqlx::query(
        "INSERT INTO clients (id, name, secret_hash, grants, scopes, audiences, created_at, \
         web) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(client.id.as_str())
    .bind(&client.name)
    .bind(&client.secret_hash)
    .bind(encode_list(&client.grants)?)
    .bind(encode_list(&client.scopes)?)
    .bind(encode_list(&client.audiences)?)
    .bind(client.created_at.secs())
    .bind(encode_web(&client.web)?)
    .execute(executor)
    .await
    .or_store("client")?;
    Ok(())
}

pub(super) async fn client_by_id(
    pool: &PgPool,
    id: &ClientId,
) -> Result<Option<Client>, StoreError> {
    if !storable(id.as_str()) {
        return Ok(None);
    }
    let sql = concat!("SELECT ", client_columns!(), " FROM clients WHERE id = $1");
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .fetch_optional(pool)
        .await
        .or_store("client")?;
    row.as_ref().map(rows::client).transpose()
}

pub(super) async fn list_clients(pool: &PgPool) -> Result<Vec<Client>, StoreError> {
    let sql = concat!(
        "SELECT ",
        client_columns!(),
        " FROM clients ORDER BY created_at, id"
    );
    let found = sqlx::query(sql).fetch_all(pool).await.or_store("client")?;
    rows::all(&found, rows::client)
}

pub(super) async fn update_client(pool: &PgPool, client: &Client) -> Result<(), StoreError> {
    if !storable(client.id.as_str()) {
        return Err(StoreError::NotFound);
    }
    let updated = sqlx::query(
        "UPDATE clients SET name = $1, secret_hash = $2, grants = $3, scopes = $4, \
         audiences = $5, web = $6 WHERE id = $7",
    )
    .bind(&client.name)
    .bind(&client.secret_hash)
    .bind(encode_list(&client.grants)?)
    .bind(encode_list(&client.scopes)?)
    .bind(encode_list(&client.audiences)?)
    .bind(encode_web(&client.web)?)
    .bind(client.id.as_str())
    .execute(pool)
    .await
    .or_store("client")?;
    found(updated.rows_affected())
}

/// Deletes the client; its sessions and their refresh tokens go with it
/// (`ON DELETE CASCADE`), which ends them.
pub(super) async fn delete_client(pool: &PgPool, id: &ClientId) -> Result<(), StoreError> {
    if !storable(id.as_str()) {
        return Err(StoreError::NotFound);
    }
    let deleted = sqlx::query("DELETE FROM clients WHERE id = $1")
        .bind(id.as_str())
        .execute(pool)
        .await
        .or_store("client")?;
    found(deleted.rows_affected())
}
