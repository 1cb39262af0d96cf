//! The authority: every rule for issuing, refreshing, verifying and revoking tokens, over
//! any [`Store`].
//!
//! Operations are `async` only because the store is; nothing here needs a runtime. Each
//! returns the typed error of its area (see [`crate::error`]), whose text is safe to show: no
//! error tells whether a username exists. Password hashing runs inline (tens of
//! milliseconds with the default costs); a server on a multi-threaded runtime can afford it,
//! or may call from a blocking task.
//!
//! The store is private to the authority: every rule (lock-outs, rotation, which sessions a
//! change ends) is applied here, and callers reach the records only through these methods.

mod account;
mod admin;
mod audit;
mod authorize;
mod both;
mod browser_state;
mod client_admin;
mod client_jose;
mod clients;
mod code_grant;
mod config;
mod device;
mod dpop;
mod encrypted;
mod exchange;
mod factors;
mod feed;
mod grants;
mod keys;
mod lockouts;
mod login;
mod logout;
mod password_reset;
mod revocation;
mod signin;
mod tokens;
mod transfer;
mod user_sessions;
mod userinfo_jwt;
mod verified;
mod webhooks;

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use crate::Clock;
use crate::error::{InternalError, StartError};
use crate::events::{EventSink, IgnoreEvents, SecurityEvent};
use crate::keys::KeyRing;
use crate::model::{Timestamp, UnixMillis};
use crate::password::Passwords;
use crate::seal::MasterKey;
use crate::store::Store;

pub use account::UserInfo;
pub use admin::MAX_USER_PAGE;
pub use authorize::{
    AuthorizationParams, AuthorizationRequest, AuthorizationResponse, AuthorizeNext,
    CODE_LIFETIME_SECS, Prompt, ResponseMode,
};
pub use client_admin::ClientChanges;
pub use client_jose::{
    CLIENT_ENCRYPTION_ALGS, MAX_CLIENT_JWKS_KEYS, MAX_CLIENT_JWKS_LEN, parse_client_jwks,
    parse_encryption_alg, parse_encryption_enc, parse_signing_alg,
};
pub use clients::NewClient;
pub use config::{Config, ConfigError, MAX_REFRESH_GRACE};
pub use device::{
    DEVICE_CODE_LIFETIME_SECS, DEVICE_POLL_INTERVAL_SECS, DeviceStart, normalize_user_code,
    shown_user_code,
};
pub use dpop::{DPOP_ALGORITHMS, DpopRequest, Presentation};
pub use exchange::{ACCESS_TOKEN_TYPE, ExchangeRequest};
pub use factors::{
    ACR_MFA, ACR_PASSWORD, FactorSummary, FactorUsed, RECOVERY_CODES, SECOND_FACTOR_AMR,
    TotpEnrollment,
};
pub use keys::KeyChange;
pub use logout::{BACKCHANNEL_LOGOUT_EVENT, LogoutParams, LogoutPlan};
pub use password_reset::{RESET_LINK_LIFETIME, ResetLink};
pub use revocation::{Confirmation, Introspection, TokenTypeHint};
pub use signin::{CHALLENGE_LIFETIME_SECS, PasswordStep, SignedIn};
pub use tokens::ACCESS_TOKEN_TYP;
pub use tokens::{AccessClaims, TokenResponse};
pub use user_sessions::UserSessions;
pub use webhooks::{MAX_WEBHOOKS, SET_TYP, WEBHOOK_MAX_ATTEMPTS};

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
    dpop: tessera_jose::dpop::Checker,
}

impl<S: Store> Authority<S> {
    /// Starts an authority: checks the configuration, applies any due key rotation (on
    /// first start this creates the first signing key) and loads the key ring.
    ///
    /// # Errors
    /// [`StartError::Config`] for a bad configuration; the store's or the key ring's errors.
    pub async fn start(
        config: Config,
        store: S,
        master: MasterKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        config.validate()?;
        let passwords = Passwords::new(config.passwords).map_err(InternalError::Hashing)?;
        let now = Timestamp::from_secs(clock.now());
        let policy = config.effective_rotation();
        keys::apply_plan(&store, &master, &policy, now).await?;
        let ring = keys::load_ring(&store, &master, now).await?;
        let dpop = dpop::checker(Arc::clone(&clock));
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
            dpop,
        })
    }

    /// True when `store` holds no signing key yet: a new deployment, which [`Self::start`]
    /// will give its first key (the caller may then create a master key, which an existing
    /// deployment must be given instead).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn is_new_deployment(store: &S) -> Result<bool, crate::StoreError> {
        Ok(store.all_keys().await?.is_empty())
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
        Timestamp::from_secs(self.clock.now())
    }

    fn now_millis(&self) -> UnixMillis {
        UnixMillis::from_millis(self.clock.now_millis())
    }

    fn replace_ring(&self, ring: KeyRing) {
        *self.ring.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(ring);
    }

    fn emit(&self, event: SecurityEvent) {
        self.events.record(event);
    }

    fn access_lifetime(&self) -> i64 {
        crate::model::secs_of(self.config.access_token_lifetime)
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
