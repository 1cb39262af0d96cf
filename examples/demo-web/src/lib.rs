//! `demo-web`: a small web application that signs its users in with Tessera, the way a
//! server-side web app should: the authorization code flow with PKCE, the tokens kept on the
//! server, the browser holding only this application's own session cookie (HttpOnly,
//! SameSite=Lax), the API called with the access token from the server, and sessions ended
//! by RP-initiated logout or by Tessera's back-channel logout.

#![forbid(unsafe_code)]

pub mod oidc;
pub mod web;

pub use web::{Config, router};
