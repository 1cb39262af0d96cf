//! OAuth clients.

use super::Fut;
use crate::model::{Client, ClientId};

/// Where clients live.
pub trait ClientStore: Send + Sync {
    /// Inserts a client. [`StoreError::Conflict`](crate::StoreError::Conflict) when its id
    /// exists.
    fn create_client(&self, client: &Client) -> impl Fut<()>;
    /// Finds a client by `client_id`.
    fn client_by_id(&self, id: &ClientId) -> impl Fut<Option<Client>>;
    /// All clients.
    fn list_clients(&self) -> impl Fut<Vec<Client>>;
    /// Replaces a client's settings and secret digest (everything but its id and creation
    /// time). [`StoreError::NotFound`](crate::StoreError::NotFound) if absent.
    fn update_client(&self, client: &Client) -> impl Fut<()>;
    /// Deletes a client and ends its sessions.
    /// [`StoreError::NotFound`](crate::StoreError::NotFound) if absent.
    fn delete_client(&self, id: &ClientId) -> impl Fut<()>;
}
