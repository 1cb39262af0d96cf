//! Signing keys in the store: rotation, retirement, and reloading the ring.

use serde::Serialize;
use tessera_jose::Algorithm;

use super::Authority;
use crate::error::{AdminError, Entity, ServiceError};
use crate::keys::{KeyAction, KeyInfo, KeyRing, RotationPolicy, generate_record};
use crate::model::{Actor, EventKind, KeyId, KeyRecord, KeyState, NewEvent, Timestamp};
use crate::seal::MasterKey;
use crate::store::Store;

/// A key that changed state (or was created: `from` is `None`).
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[non_exhaustive]
pub struct KeyChange {
    /// The key.
    pub kid: KeyId,
    /// Its algorithm.
    #[serde(serialize_with = "crate::model::alg_name::serialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "ES256"))]
    pub alg: Algorithm,
    /// The state before, `None` for a new key.
    pub from: Option<KeyState>,
    /// The state now.
    pub to: KeyState,
}

impl<S: Store> Authority<S> {
    /// Applies the rotation steps due now (see [`RotationPolicy::plan`]) and reloads the key
    /// ring. Run it periodically (every maintenance interval); it does nothing when nothing
    /// is due.
    ///
    /// # Errors
    /// The store's or the key ring's errors.
    pub async fn apply_rotation(&self) -> Result<Vec<KeyChange>, ServiceError> {
        let now = self.now();
        let policy = self.config.effective_rotation();
        let changes = apply_plan(&self.store, &self.master, &policy, now).await?;
        self.replace_ring(load_ring(&self.store, &self.master, now).await?);
        if !changes.is_empty() {
            let event = NewEvent::new(EventKind::KeysRotated).by(&Actor::System);
            self.audit(event.detail(summary(&changes))).await;
        }
        Ok(changes)
    }

    /// Rotates at once (after a suspected compromise, or to change algorithm): a new key
    /// signs from now, and the previous ones start retiring (they still verify until the
    /// tokens they signed have expired). Caches learn the new `kid` when they first see it.
    ///
    /// # Errors
    /// [`AdminError::Invalid`] for an algorithm Tessera does not sign with; the store's
    /// errors.
    pub async fn rotate_keys_now(
        &self,
        alg: Option<Algorithm>,
        by: &Actor,
    ) -> Result<Vec<KeyChange>, AdminError> {
        let now = self.now();
        let alg = alg.unwrap_or(self.config.rotation.algorithm);
        let record = generate_record(alg, now, now, &self.master)?;
        let previous = self.store.live_keys().await?;
        self.store.insert_key(&record).await?;
        let mut changes = vec![created(&record)];
        for old in previous.iter().filter(|k| k.state == KeyState::Active) {
            changes.push(self.move_key(old, KeyState::Retiring, now).await?);
        }
        self.replace_ring(load_ring(&self.store, &self.master, now).await?);
        let event = NewEvent::new(EventKind::KeysRotated).by(by);
        self.audit(event.detail(summary(&changes))).await;
        Ok(changes)
    }

    /// Retires a key at once: it leaves the JWKS and the tokens it signed stop verifying
    /// here (guards drop it on their next JWKS fetch). The signing key cannot be retired;
    /// rotate first.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown or already retired kid;
    /// [`AdminError::KeyInUse`] for the key that signs now.
    pub async fn retire_key(&self, kid: &str, by: &Actor) -> Result<KeyChange, AdminError> {
        let now = self.now();
        let keys = self.store.live_keys().await?;
        let key = keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(AdminError::NotFound(Entity::LiveKey))?;
        if self.key_ring().signing_key().kid() == kid {
            return Err(AdminError::KeyInUse);
        }
        let change = self.move_key(key, KeyState::Retired, now).await?;
        self.replace_ring(load_ring(&self.store, &self.master, now).await?);
        let event = NewEvent::new(EventKind::KeyRetired).by(by);
        self.audit(event.detail(change.kid.as_str())).await;
        Ok(change)
    }

    /// Reloads the key ring from the store (for deployments where another instance
    /// rotates).
    ///
    /// # Errors
    /// The store's or the key ring's errors.
    pub async fn reload_keys(&self) -> Result<(), ServiceError> {
        let ring = load_ring(&self.store, &self.master, self.now()).await?;
        self.replace_ring(ring);
        Ok(())
    }

    /// Every key ever made, oldest first, without key material.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn list_keys(&self) -> Result<Vec<KeyInfo>, AdminError> {
        let keys = self.store.all_keys().await?;
        Ok(keys.iter().map(KeyInfo::from).collect())
    }

    async fn move_key(
        &self,
        key: &KeyRecord,
        to: KeyState,
        now: Timestamp,
    ) -> Result<KeyChange, ServiceError> {
        move_key(&self.store, key, to, now).await
    }
}

/// The audit detail of a rotation: each key and the state it moved to (`kid>state`).
fn summary(changes: &[KeyChange]) -> String {
    let moves: Vec<String> = changes
        .iter()
        .map(|change| format!("{}>{}", change.kid, change.to.as_str()))
        .collect();
    moves.join(" ")
}

/// Plans the rotation steps due at `now` and applies them in order.
///
/// Several instances on one store may plan at the same moment: moving a key to a state is
/// idempotent, and a new key is created only if no other key was created since this plan
/// read the store (the loser of that race leaves the creation to the winner).
pub(super) async fn apply_plan<S: Store>(
    store: &S,
    master: &MasterKey,
    policy: &RotationPolicy,
    now: Timestamp,
) -> Result<Vec<KeyChange>, ServiceError> {
    let all = store.all_keys().await?;
    let mut newest_seen = all.last().map(|k| k.kid.clone());
    let keys: Vec<KeyRecord> = all
        .into_iter()
        .filter(|k| k.state != KeyState::Retired)
        .collect();
    let mut changes = Vec::new();
    for action in policy.plan(&keys, now) {
        let (kid, to) = match action {
            KeyAction::Create { alg, activates_at } => {
                let record = generate_record(alg, now, activates_at, master)?;
                if !store
                    .insert_key_after(&record, newest_seen.as_ref())
                    .await?
                {
                    continue;
                }
                newest_seen = Some(record.kid.clone());
                changes.push(created(&record));
                continue;
            }
            KeyAction::Activate { kid } => (kid, KeyState::Active),
            KeyAction::StartRetiring { kid } => (kid, KeyState::Retiring),
            KeyAction::Retire { kid } => (kid, KeyState::Retired),
        };
        if let Some(key) = keys.iter().find(|k| k.kid == kid) {
            changes.push(move_key(store, key, to, now).await?);
        }
    }
    Ok(changes)
}

/// Loads the ring from the store's live keys.
pub(super) async fn load_ring<S: Store>(
    store: &S,
    master: &MasterKey,
    now: Timestamp,
) -> Result<KeyRing, ServiceError> {
    let keys = store.live_keys().await?;
    Ok(KeyRing::load(&keys, master, now)?)
}

async fn move_key<S: Store>(
    store: &S,
    key: &KeyRecord,
    to: KeyState,
    now: Timestamp,
) -> Result<KeyChange, ServiceError> {
    store.set_key_state(&key.kid, to, now).await?;
    Ok(KeyChange {
        kid: key.kid.clone(),
        alg: key.alg,
        from: Some(key.state),
        to,
    })
}

fn created(record: &KeyRecord) -> KeyChange {
    KeyChange {
        kid: record.kid.clone(),
        alg: record.alg,
        from: None,
        to: record.state,
    }
}
