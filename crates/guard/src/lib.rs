//! Verifies Tessera access tokens (RFC 9068) in resource servers built on tower or axum.
//!
//! A [`Guard`] checks each request statelessly against the issuer's published keys, which it
//! caches as the issuer's `Cache-Control` says, and still refuses a revoked token within a
//! second: it follows the issuer's revocation feed and keeps the revoked `jti`s until they
//! expire.
//!
//! ```no_run
//! use axum::{Json, Router, routing::get};
//! use tessera_guard::{AccessToken, Guard};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let guard = Guard::builder()
//!     .issuer("https://auth.example.com")   // discovery, JWKS, revocation feed
//!     .audience("orders-api")
//!     .build()
//!     .await?;
//!
//! async fn orders(token: AccessToken) -> Json<Vec<String>> {
//!     Json(vec![format!("orders of {}", token.subject())])
//! }
//!
//! let app: Router = Router::new()
//!     .route("/orders", get(orders))
//!     .route_layer(guard.layer().require_scope("orders:read"));
//! # Ok(()) }
//! ```
//!
//! Rejections follow RFC 6750: 401 with `WWW-Authenticate: Bearer error="invalid_token"`,
//! 403 `insufficient_scope`, 400 `invalid_request` for a malformed `Authorization` header.
//! The reason (`jwt_expired`, `signature_invalid`, `token_revoked`, …) goes to the counters
//! ([`Guard::stats`], [`MetricsHook`]) and debug logs, never to the caller. No token is
//! ever logged, and no URL named in a token is ever fetched.
//!
//! With [`GuardBuilder::public_url`], the guard also accepts DPoP-bound tokens (RFC 9449):
//! a token whose claims hold `cnf.jkt` passes only as `Authorization: DPoP <token>` with one
//! fresh `DPoP` proof by that key for this request's method, public URL and path; each proof
//! is accepted once per guard. A bound token sent as `Bearer` is refused, and handlers see
//! the binding in [`AccessToken::confirmation_jkt`]. Refusals then answer with
//! [`Rejection::WithDpop`], whose challenge names both schemes.
//!
//! What the guard fetches (discovery, JWKS, the feed) follows one [`FetchPolicy`]: https,
//! plain http only to loopback, time limits, a 1 MiB cap, no redirect. The policy and its
//! [`Fetcher`] are public for other clients of the issuer (`tessera token verify --jwks URL`
//! uses them), as are [`authorization_token`] and [`bearer_token`], the `Authorization` header's
//! parser.

#![forbid(unsafe_code)]

mod bearer;
mod builder;
mod cache_control;
mod challenge;
mod dpop;
mod error;
#[cfg(feature = "axum")]
mod extract;
mod feed;
mod fetch;
mod guard;
mod jwks;
mod layer;
mod metrics;
mod revoked;
mod sse;
mod token;
mod verified;

pub use bearer::{Scheme, authorization_token, bearer_token};
pub use builder::GuardBuilder;
pub use error::{BuildError, FetchError, Rejection, UrlError};
pub use feed::FeedState;
pub use fetch::{FetchPolicy, Fetcher};
pub use guard::Guard;
pub use layer::{GuardLayer, GuardService, ResponseFuture};
pub use metrics::{MetricsHook, Stats};
pub use revoked::RevokedSet;
pub use token::AccessToken;
