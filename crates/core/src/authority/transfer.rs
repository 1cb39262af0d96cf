//! Export and import of a deployment's records (see [`crate::transfer`]).

use std::collections::HashSet;

use super::Authority;
use crate::error::{AdminError, StoreError};
use crate::keys::KeyRing;
use crate::model::{Actor, EventKind, KeyId, KeyRecord, KeyState, NewEvent, Revocation, Timestamp};
use crate::store::Store;
use crate::transfer::{Existing, ImportOptions, ImportReport, Snapshot};

/// Revocations read per store call while exporting.
const PAGE: u32 = 1_000;

impl<S: Store> Authority<S> {
    /// Every record that moves between deployments: users (with their hashes), clients
    /// (with their secret digests), every signing key (still sealed) and the revocations
    /// that have not expired.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn export(&self) -> Result<Snapshot, AdminError> {
        let users = self.store.list_users().await?;
        let clients = self.store.list_clients().await?;
        let keys = self.store.all_keys().await?;
        let revocations = self.live_revocations().await?;
        Ok(Snapshot::new(self.now(), users, clients, keys, revocations))
    }

    /// Loads `snapshot` into this deployment in one store transaction: every key must open
    /// with this deployment's master key, and a record the target already has stops the
    /// import (or, with `skip_existing`, is kept and left out). With `replace_first_key` and
    /// an active key in the snapshot, the live keys this deployment made itself are retired
    /// in the same transaction. On any error nothing was written.
    ///
    /// # Errors
    /// [`AdminError::KeyDoesNotOpen`]; [`AdminError::ImportConflict`] naming the clashes;
    /// the store's errors.
    pub async fn import(
        &self,
        mut snapshot: Snapshot,
        options: ImportOptions,
    ) -> Result<ImportReport, AdminError> {
        for key in &snapshot.keys {
            check_key_opens(key, &self.master)?;
        }
        // Browser settings obey the same rules as at registration.
        for client in &mut snapshot.clients {
            client.web = super::clients::checked_web(&client.web, &client.grants)
                .map_err(|err| AdminError::invalid(format!("client {}: {err}", client.id)))?;
        }
        self.check_imported_jose(&mut snapshot)?;
        let existing = self.without_existing(&mut snapshot).await?;
        if !existing.is_empty() && !options.skip_existing {
            return Err(AdminError::ImportConflict(existing));
        }
        let brings_signer = snapshot.keys.iter().any(|k| k.state == KeyState::Active);
        let retire: Vec<KeyId> = if options.replace_first_key && brings_signer {
            let imported: HashSet<&KeyId> = snapshot.keys.iter().map(|k| &k.kid).collect();
            let live = self.store.live_keys().await?;
            live.into_iter()
                .map(|k| k.kid)
                .filter(|kid| !imported.contains(kid))
                .collect()
        } else {
            Vec::new()
        };
        self.store.import(&snapshot, &retire, self.now()).await?;
        self.reload_keys().await?;
        // Only an operator on the host imports (`tessera import`).
        let counts = format!(
            "users={} clients={} keys={}",
            snapshot.users.len(),
            snapshot.clients.len(),
            snapshot.keys.len()
        );
        let event = NewEvent::new(EventKind::Imported).by(&Actor::Operator);
        self.audit(event.detail(counts)).await;
        Ok(ImportReport {
            users: snapshot.users.len(),
            clients: snapshot.clients.len(),
            keys: snapshot.keys.len(),
            revocations: snapshot.revocations.len(),
            skipped: existing,
            retired: retire,
        })
    }

    /// Removes from `snapshot` what the target already has, and names it.
    async fn without_existing(&self, snapshot: &mut Snapshot) -> Result<Vec<Existing>, StoreError> {
        let users = self.store.list_users().await?;
        let ids: HashSet<_> = users.iter().map(|u| u.id.clone()).collect();
        let names: HashSet<String> = users.iter().map(|u| u.username.to_lowercase()).collect();
        let clients: HashSet<_> = (self.store.list_clients().await?)
            .into_iter()
            .map(|c| c.id)
            .collect();
        let kids: HashSet<_> = (self.store.all_keys().await?)
            .into_iter()
            .map(|k| k.kid)
            .collect();
        let mut existing = Vec::new();
        snapshot.users.retain(|u| {
            let clash = ids.contains(&u.id) || names.contains(&u.username.to_lowercase());
            if clash {
                existing.push(Existing::User(u.username.clone()));
            }
            !clash
        });
        snapshot.clients.retain(|c| {
            let clash = clients.contains(&c.id);
            if clash {
                existing.push(Existing::Client {
                    id: c.id.to_string(),
                    name: c.name.clone(),
                });
            }
            !clash
        });
        snapshot.keys.retain(|k| {
            let clash = kids.contains(&k.kid);
            if clash {
                existing.push(Existing::Key(k.kid.clone()));
            }
            !clash
        });
        Ok(existing)
    }

    /// Every revocation that has not expired, in feed order.
    async fn live_revocations(&self) -> Result<Vec<Revocation>, StoreError> {
        let mut all = Vec::new();
        let mut cursor = 0;
        loop {
            let page = self.revocations_since(cursor, PAGE).await?;
            let Some(last) = page.last() else {
                return Ok(all);
            };
            cursor = last.cursor;
            all.extend(page);
        }
    }
}

/// Opens `key`'s private half with `master` and checks it against its public JWK, as the
/// key ring does at start.
fn check_key_opens(key: &KeyRecord, master: &crate::seal::MasterKey) -> Result<(), AdminError> {
    // A ring of this key alone, made active, opens and checks it.
    let mut alone = key.clone();
    alone.state = KeyState::Active;
    alone.activates_at = Timestamp::EPOCH;
    alone.retired_at = None;
    KeyRing::load(&[alone], master, Timestamp::EPOCH)
        .map(|_| ())
        .map_err(|err| AdminError::KeyDoesNotOpen(key.kid.clone(), err))
}
