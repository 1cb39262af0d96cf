//! The authority against an in-memory store: every grant, every error path, revocation,
//! introspection, accounts, key rotation and browser sign-in.

#[path = "../support/mod.rs"]
mod support;

mod account;
mod audit;
mod browser;
mod clients;
mod console;
mod dpop;
mod exchange;
mod grants;
mod keys;
mod lockouts;
mod refresh;
mod revocation;
mod transfer;
mod webhooks;
