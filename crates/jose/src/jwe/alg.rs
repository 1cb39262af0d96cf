//! The JWE algorithms of RFC 7518 §4 (key management, `alg`) and §5 (content encryption,
//! `enc`) that Tessera supports. RSA1_5 has no variant: it is refused by name.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A JWE key management algorithm (`alg`).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSAES-OAEP with SHA-1 and MGF1 with SHA-1 (RFC 7518 §4.3).
    RsaOaep,
    /// RSAES-OAEP with SHA-256 and MGF1 with SHA-256.
    RsaOaep256,
    /// Elliptic-curve Diffie-Hellman, ephemeral-static, the derived key is the CEK (§4.6).
    EcdhEs,
    /// ECDH-ES, the derived key wraps the CEK with AES-128 key wrap.
    EcdhEsA128Kw,
    /// ECDH-ES, the derived key wraps the CEK with AES-256 key wrap.
    EcdhEsA256Kw,
    /// AES-128 key wrap (RFC 3394) with a shared key.
    A128Kw,
    /// AES-256 key wrap with a shared key.
    A256Kw,
    /// The shared key is the CEK.
    Dir,
}

/// A JWE content encryption algorithm (`enc`).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// AES-128 in GCM mode.
    A128Gcm,
    /// AES-256 in GCM mode.
    A256Gcm,
    /// AES-128 in CBC mode with HMAC-SHA-256 (RFC 7518 §5.2.3).
    A128CbcHs256,
    /// AES-256 in CBC mode with HMAC-SHA-512 (RFC 7518 §5.2.5).
    A256CbcHs512,
}

impl KeyAlgorithm {
    /// Every supported key management algorithm, in a stable order.
    pub const ALL: [KeyAlgorithm; 8] = [
        Self::RsaOaep,
        Self::RsaOaep256,
        Self::EcdhEs,
        Self::EcdhEsA128Kw,
        Self::EcdhEsA256Kw,
        Self::A128Kw,
        Self::A256Kw,
        Self::Dir,
    ];

    /// The registered `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaOaep => "RSA-OAEP",
            Self::RsaOaep256 => "RSA-OAEP-256",
            Self::EcdhEs => "ECDH-ES",
            Self::EcdhEsA128Kw => "ECDH-ES+A128KW",
            Self::EcdhEsA256Kw => "ECDH-ES+A256KW",
            Self::A128Kw => "A128KW",
            Self::A256Kw => "A256KW",
            Self::Dir => "dir",
        }
    }

    /// True for the ECDH-ES family, whose header carries an ephemeral key.
    pub fn is_ecdh(self) -> bool {
        matches!(self, Self::EcdhEs | Self::EcdhEsA128Kw | Self::EcdhEsA256Kw)
    }

    /// The AES key-wrap key length in bytes, for the algorithms that wrap the CEK with AES.
    pub(crate) fn wrap_key_len(self) -> Option<usize> {
        match self {
            Self::A128Kw | Self::EcdhEsA128Kw => Some(16),
            Self::A256Kw | Self::EcdhEsA256Kw => Some(32),
            _ => None,
        }
    }
}

impl ContentEncryption {
    /// Every supported content encryption algorithm, in a stable order.
    pub const ALL: [ContentEncryption; 4] = [
        Self::A128Gcm,
        Self::A256Gcm,
        Self::A128CbcHs256,
        Self::A256CbcHs512,
    ];

    /// The registered `enc` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A128Gcm => "A128GCM",
            Self::A256Gcm => "A256GCM",
            Self::A128CbcHs256 => "A128CBC-HS256",
            Self::A256CbcHs512 => "A256CBC-HS512",
        }
    }

    /// The content encryption key (CEK) length in bytes (MAC and AES keys together for CBC).
    pub fn key_len(self) -> usize {
        match self {
            Self::A128Gcm => 16,
            Self::A256Gcm | Self::A128CbcHs256 => 32,
            Self::A256CbcHs512 => 64,
        }
    }

    /// The initialization vector length in bytes.
    pub fn iv_len(self) -> usize {
        match self {
            Self::A128Gcm | Self::A256Gcm => 12,
            Self::A128CbcHs256 | Self::A256CbcHs512 => 16,
        }
    }

    /// The authentication tag length in bytes.
    pub fn tag_len(self) -> usize {
        match self {
            Self::A128Gcm | Self::A256Gcm | Self::A128CbcHs256 => 16,
            Self::A256CbcHs512 => 32,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ContentEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = Error;

    /// Parses an `alg` name exactly; `RSA1_5` is refused as insecure, anything else unknown
    /// (PBES2, A*GCMKW, `none`, a JWS algorithm) as not allowed.
    fn from_str(name: &str) -> Result<Self, Error> {
        if name == "RSA1_5" {
            return Err(Error::AlgInsecure(name.into()));
        }
        Self::ALL
            .into_iter()
            .find(|alg| alg.as_str() == name)
            .ok_or_else(|| Error::AlgNotAllowed(crate::error::cut(name, 32)))
    }
}

impl FromStr for ContentEncryption {
    type Err = Error;

    /// Parses an `enc` name exactly.
    fn from_str(name: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|enc| enc.as_str() == name)
            .ok_or_else(|| Error::EncNotAllowed(crate::error::cut(name, 32)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unsafe_or_unknown_names_are_refused() {
        for alg in KeyAlgorithm::ALL {
            assert_eq!(alg.as_str().parse::<KeyAlgorithm>().ok(), Some(alg));
        }
        for enc in ContentEncryption::ALL {
            assert_eq!(enc.as_str().parse::<ContentEncryption>().ok(), Some(enc));
        }
        let code = |name: &str| name.parse::<KeyAlgorithm>().map_err(|e| e.code()).err();
        assert_eq!(code("RSA1_5"), Some("alg_insecure"));
        for name in [
            "none",
            "A128GCMKW",
            "PBES2-HS256+A128KW",
            "rsa-oaep",
            "RS256",
            "",
        ] {
            assert_eq!(code(name), Some("alg_not_allowed"), "{name}");
        }
        for name in ["A192GCM", "a128gcm", "A128CBC-HS384", ""] {
            let err = name.parse::<ContentEncryption>().expect_err(name);
            assert_eq!(err.code(), "enc_not_allowed");
        }
    }
}
