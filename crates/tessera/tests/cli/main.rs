//! End-to-end tests of the `tessera` binary's token tools: each test runs the real binary.

mod decode;
mod help;
mod helpers;
mod jwe;
mod jwks_url;
mod jws;
mod keys;
mod sign;
mod verify;
