//! OAuth clients.

use rusqlite::{Connection, params};
use tessera_core::StoreError;
use tessera_core::model::{Client, ClientId};

use super::cache::Cache;
use super::rows::{self, client_columns};
use super::{exec, found, many, optional};
use crate::codec::{encode_list, encode_web};

pub(super) fn create_client(
    conn: &Connection,
    cache: &Cache,
    client: &Client,
) -> Result<(), StoreError> {
    cache.forget_client(client.id.as_str());
    exec(
        conn,
        "INSERT INTO clients (id, name, secret_hash, grants, scopes, audiences, created_at, \
         web) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            client.id.as_str(),
            client.name,
            client.secret_hash,
            encode_list(&client.grants)?,
            encode_list(&client.scopes)?,
            encode_list(&client.audiences)?,
            client.created_at.secs(),
            encode_web(&client.web)?,
        ],
        "client",
    )?;
    Ok(())
}

pub(super) fn client_by_id(conn: &Connection, id: &ClientId) -> Result<Option<Client>, StoreError> {
    let sql = concat!("SELECT ", client_columns!(), " FROM clients WHERE id = ?");
    optional(conn, sql, [id.as_str()], "client", rows::client)
}

pub(super) fn list_clients(conn: &Connection) -> Result<Vec<Client>, StoreError> {
    let sql = concat!(
        "SELECT ",
        client_columns!(),
        " FROM clients ORDER BY created_at, id"
    );
    many(conn, sql, [], "client", rows::client)
}

pub(super) fn update_client(
    conn: &Connection,
    cache: &Cache,
    client: &Client,
) -> Result<(), StoreError> {
    cache.forget_client(client.id.as_str());
    found(exec(
        conn,
        "UPDATE clients SET name = ?, secret_hash = ?, grants = ?, scopes = ?, audiences = ?, \
         web = ? WHERE id = ?",
        params![
            client.name,
            client.secret_hash,
            encode_list(&client.grants)?,
            encode_list(&client.scopes)?,
            encode_list(&client.audiences)?,
            encode_web(&client.web)?,
            client.id.as_str(),
        ],
        "client",
    )?)
}

/// Deletes the client; its sessions and their refresh tokens go with it
/// (`ON DELETE CASCADE`), which ends them.
pub(super) fn delete_client(
    conn: &Connection,
    cache: &Cache,
    id: &ClientId,
) -> Result<(), StoreError> {
    cache.forget_client(id.as_str());
    cache.forget_sessions();
    found(exec(
        conn,
        "DELETE FROM clients WHERE id = ?",
        [id.as_str()],
        "client",
    )?)
}
