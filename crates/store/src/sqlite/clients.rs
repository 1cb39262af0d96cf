//! OAuth clients.

use tessera_core::StoreError;
use tessera_core::model::Client;

use super::rows::{self, client_columns};
use super::{Db, found};
use crate::codec::encode_list;
use crate::error::StoreResultExt;

pub(super) async fn create_client(db: &Db, client: &Client) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO clients (id, name, secret_hash, grants, scopes, audiences, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&client.id)
    .bind(&client.name)
    .bind(&client.secret_hash)
    .bind(encode_list(&client.grants)?)
    .bind(encode_list(&client.scopes)?)
    .bind(encode_list(&client.audiences)?)
    .bind(client.created_at)
    .execute(&db.writer)
    .await
    .or_store("client")?;
    Ok(())
}

pub(super) async fn client_by_id(db: &Db, id: &str) -> Result<Option<Client>, StoreError> {
    let sql = concat!("SELECT ", client_columns!(), " FROM clients WHERE id = ?");
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(&db.reader)
        .await
        .or_store("client")?;
    row.as_ref().map(rows::client).transpose()
}

pub(super) async fn list_clients(db: &Db) -> Result<Vec<Client>, StoreError> {
    let sql = concat!(
        "SELECT ",
        client_columns!(),
        " FROM clients ORDER BY created_at, id"
    );
    let found = sqlx::query(sql)
        .fetch_all(&db.reader)
        .await
        .or_store("client")?;
    rows::all(&found, rows::client)
}

/// Deletes the client; its sessions and their refresh tokens go with it
/// (`ON DELETE CASCADE`), which ends them.
pub(super) async fn delete_client(db: &Db, id: &str) -> Result<(), StoreError> {
    let deleted = sqlx::query("DELETE FROM clients WHERE id = ?")
        .bind(id)
        .execute(&db.writer)
        .await
        .or_store("client")?;
    found(deleted.rows_affected())
}
