//! End-to-end tests of the offline admin commands (`user`, `client`, `keys list|rotate|retire`)
//! and of configuration loading: each test runs the real binary on a temporary data dir.

mod backup;
mod client_jose;
mod clients;
mod config;
mod doctor;
mod events;
mod export;
mod helpers;
mod keys;
mod migrate;
mod users;
