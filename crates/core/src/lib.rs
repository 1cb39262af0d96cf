//! Tessera's domain: accounts, clients, sessions and refresh families, signing keys and their
//! rotation, revocations, and the rules for issuing tokens. Storage is behind the [`Store`]
//! trait; this crate pulls in no database, HTTP or async runtime.
//!
//! [`Authority`] is the entry point: it issues tokens for the grants of the token endpoint,
//! verifies and revokes them, and keeps the signing keys turning over.

#![forbid(unsafe_code)]

pub mod authority;
pub mod error;
pub mod events;
pub mod keys;
pub mod lockout;
pub mod model;
pub mod password;
pub mod refresh;
pub mod scope;
pub mod seal;
pub mod secrets;
pub mod store;
pub mod totp;
pub mod transfer;
pub mod uri;
pub mod username;

pub use authority::{
    AccessClaims, Authority, Config, DpopRequest, Introspection, KeyChange, MAX_WEBHOOKS,
    NewClient, Presentation, SET_TYP, TokenResponse, TokenTypeHint, UserInfo, WEBHOOK_MAX_ATTEMPTS,
};
pub use error::{
    AccountError, AdminError, ClientAuthError, DpopRefused, FactorError, GrantError, InternalError,
    RevokeError, ServiceError, StartError, StoreError, TokenError,
};
pub use events::{EventSink, SecurityEvent};
pub use keys::{KeyRing, RotationPolicy};
pub use password::{PasswordCheck, PasswordPolicy, Passwords};
pub use seal::MasterKey;
pub use store::Store;
pub use tessera_jose::{Clock, FixedClock, SystemClock};
