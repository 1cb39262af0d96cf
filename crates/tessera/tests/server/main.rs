//! End-to-end tests: the real `tessera` binary serving on a free loopback port with a
//! temporary data directory, driven over HTTP and through the admin CLI.

mod helpers;

mod account;
mod backup;
mod crash;
mod discovery;
mod revocation;
mod set_receiver;
mod throttle;
mod tls;
mod tokens;
mod webhooks;
