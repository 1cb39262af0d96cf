//! The authority: every rule for issuing, refreshing, verifying and revoking tokens, over
//! any [`Store`].
//!
//! Operations are `async` only because the store is; nothing here needs a runtime. Each
//! returns an [`OAuthError`] whose description is safe to show: no error tells whether a
//! username exists. Password hashing runs inline (tens of milliseconds with the default
//! costs); a server on a multi-threaded runtime can afford it, or may call from a blocking
//! task.

mod account;
mod clients;
mod config;
mod error;
mod grants;
mod keys;
mod revocation;
mod tokens;
mod verified;

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use crate::Clock;
use crate::events::{EventSink, IgnoreEvents, SecurityEvent};
use crate::keys::{KeyRing, secs};
use crate::model::Timestamp;
use crate::password::Passwords;
use crate::seal::MasterKey;
use crate::store::Store;

pub use account::UserInfo;
pub use config::{Config, ConfigError, MAX_REFRESH_GRACE};
pub use error::{ErrorCode, OAuthError};
pub use keys::KeyChange;
pub use revocation::{Introspection, TokenTypeHint};
pub use tokens::ACCESS_TOKEN_TYP;
pub use tokens::{AccessClaims, TokenResponse};

/// Issues and checks tokens for one deployment.
pub struct Authority<S: Store> {
    config: Config,
    store: S,
    master: MasterKey,
    clock: Arc<dyn Clock>,
    passwords: Passwords,
    ring: RwLock<Arc<KeyRing>>,
    verified: verified::VerifiedTokens,
    events: Arc<dyn EventSink>,
}

impl<S: Store> Authority<S> {
    /// Starts an authority: checks the configuration, applies any due key rotation (on
    /// first start this creates the first signing key) and loads the key ring.
    ///
    /// # Errors
    /// `invalid_request` for a bad configuration; the store's or the key ring's errors.
    pub async fn start(
        config: Config,
        store: S,
        master: MasterKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, OAuthError> {
        config
            .validate()
            .map_err(|err| OAuthError::invalid_request(err.to_string()))?;
        let passwords = Passwords::new(config.passwords)?;
        let now = clock.now();
        let policy = config.effective_rotation();
        keys::apply_plan(&store, &master, &policy, now).await?;
        let ring = keys::load_ring(&store, &master, now).await?;
        Ok(Self {
            config,
            store,
            master,
            clock,
            passwords,
            ring: RwLock::new(Arc::new(ring)),
            verified: verified::VerifiedTokens::new(
                verified::CAPACITY,
                tessera_jose::jwt::DEFAULT_LEEWAY_SECS,
            ),
            events: Arc::new(IgnoreEvents),
        })
    }

    /// Sends security events to `sink` (by default they are dropped).
    pub fn with_events(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.events = sink;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The store, for what has no rule of its own (the revocation feed, health checks).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Stops the authority and hands back its store.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The current key ring (signer, JWKS document, verifying keys).
    pub fn key_ring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.ring.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The JWKS document to serve at `/.well-known/jwks.json`.
    pub fn jwks_json(&self) -> String {
        self.key_ring().jwks_json().to_owned()
    }

    /// The `Cache-Control` value for the JWKS document.
    pub fn jwks_cache_control(&self) -> String {
        self.config.effective_rotation().jwks_cache_control()
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn replace_ring(&self, ring: KeyRing) {
        *self.ring.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(ring);
    }

    fn emit(&self, event: SecurityEvent) {
        self.events.record(event);
    }

    fn access_lifetime(&self) -> i64 {
        secs(self.config.access_token_lifetime)
    }
}

impl<S: Store> fmt::Debug for Authority<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority")
            .field("issuer", &self.config.issuer)
            .field("keys", &self.key_ring())
            .finish_non_exhaustive()
    }
}
