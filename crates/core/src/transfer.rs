//! Moving a deployment's records between stores (`tessera export` / `tessera import`): users
//! with their Argon2id hashes, clients with their secret digests, signing keys still sealed,
//! and live revocations. Sessions and refresh tokens do not move.

use crate::model::{Client, KeyId, KeyRecord, Revocation, Timestamp, User};

/// Every record that moves, as the store holds it.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct Snapshot {
    /// When it was taken (by the authority's clock).
    pub taken_at: Timestamp,
    /// Users, by username.
    pub users: Vec<User>,
    /// Clients.
    pub clients: Vec<Client>,
    /// Signing keys, oldest first, private halves sealed under the master key.
    pub keys: Vec<KeyRecord>,
    /// Revoked access tokens that have not expired yet (their cursors are not kept).
    pub revocations: Vec<Revocation>,
}

impl Snapshot {
    /// A snapshot of these records, taken at `taken_at`.
    pub fn new(
        taken_at: Timestamp,
        users: Vec<User>,
        clients: Vec<Client>,
        keys: Vec<KeyRecord>,
        revocations: Vec<Revocation>,
    ) -> Self {
        Self {
            taken_at,
            users,
            clients,
            keys,
            revocations,
        }
    }
}

/// How an import treats the target.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Keep records the target already has (same id, username or kid) and import the rest,
    /// instead of refusing the whole import.
    pub skip_existing: bool,
    /// The target is new: retire the signing key its first start made, so that the imported
    /// active key signs (only when the snapshot brings an active key).
    pub replace_first_key: bool,
}

impl ImportOptions {
    /// Sets [`ImportOptions::skip_existing`].
    pub fn with_skip_existing(mut self, skip: bool) -> Self {
        self.skip_existing = skip;
        self
    }

    /// Sets [`ImportOptions::replace_first_key`].
    pub fn with_replace_first_key(mut self, replace: bool) -> Self {
        self.replace_first_key = replace;
        self
    }
}

/// A record of the snapshot that the target already had.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Existing {
    /// A user (same id or username), by username.
    User(String),
    /// A client (same id): its id and name.
    Client {
        /// The `client_id`.
        id: String,
        /// Its display name.
        name: String,
    },
    /// A signing key (same kid).
    Key(KeyId),
}

impl std::fmt::Display for Existing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User(name) => write!(f, "user {name}"),
            Self::Client { id, name } => write!(f, "client {id} ({name})"),
            Self::Key(kid) => write!(f, "signing key {kid}"),
        }
    }
}

/// What an import wrote.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct ImportReport {
    /// Users written.
    pub users: usize,
    /// Clients written.
    pub clients: usize,
    /// Signing keys written.
    pub keys: usize,
    /// Revocations written.
    pub revocations: usize,
    /// Records the target already had and kept (with `skip_existing`).
    pub skipped: Vec<Existing>,
    /// Signing keys of the new target that were retired (with `replace_first_key`).
    pub retired: Vec<KeyId>,
}
