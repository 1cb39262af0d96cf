//! JSON Web Encryption (RFC 7516, algorithms of RFC 7518 and RFC 8037): the compact
//! serialization, with keys bound to one key management algorithm.
//!
//! Supported: `alg` RSA-OAEP, RSA-OAEP-256, ECDH-ES and ECDH-ES+A128KW/A256KW (P-256, P-384,
//! X25519), A128KW, A256KW and `dir`; `enc` A128GCM, A256GCM, A128CBC-HS256 and
//! A256CBC-HS512. Refused: RSA1_5 (padding oracles), compression (`zip`), unknown `crit`,
//! keys named in the header, and RSA keys under 2048 bits. Every failure after the header is
//! read is the one [`crate::Error::Decryption`], so that no error tells which step failed.
//!
//! A nested JWT (signed, then encrypted: `cty: JWT`) is made with [`crate::jwt::sign_and_encrypt`]
//! and checked with [`crate::Validator::decrypt_and_verify`].

mod alg;
pub mod compact;
mod content;
mod header;
mod key;
mod keymgmt;

pub use alg::{ContentEncryption, KeyAlgorithm};
pub use header::Header;
pub use key::{DecryptionKey, EcdhCurve, EncryptionKey};
