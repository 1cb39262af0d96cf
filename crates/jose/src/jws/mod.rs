//! JSON Web Signature (RFC 7515). Only the compact serialization is supported.

pub mod compact;
mod header;

pub use header::Header;
