//! The authority against an in-memory store: every grant, every error path, revocation,
//! introspection, accounts and key rotation.

#[path = "../support/mod.rs"]
mod support;

mod account;
mod clients;
mod grants;
mod keys;
mod lockouts;
mod refresh;
mod revocation;
mod transfer;
