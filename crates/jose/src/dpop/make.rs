//! Making a DPoP proof (RFC 9449 §4.2), for clients, tests and the command line.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use serde_json::Value;

use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::jws::{Header, compact};
use crate::jwt::Claims;
use crate::key::SigningKey;

/// Starts a proof for a request of `method` to `uri` (its query and fragment are dropped),
/// signed with the client's asymmetric `key`.
pub fn proof<'a>(key: &'a SigningKey, method: &'a str, uri: &'a str) -> ProofBuilder<'a> {
    ProofBuilder {
        key,
        method,
        uri,
        nonce: None,
        access_token: None,
        iat: None,
        jti: None,
    }
}

/// A DPoP proof being made. Finish it with [`Self::sign`].
#[derive(Debug)]
#[must_use]
pub struct ProofBuilder<'a> {
    key: &'a SigningKey,
    method: &'a str,
    uri: &'a str,
    nonce: Option<&'a str>,
    access_token: Option<&'a str>,
    iat: Option<i64>,
    jti: Option<String>,
}

impl<'a> ProofBuilder<'a> {
    /// Adds the `nonce` the server asked for.
    pub fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Adds `ath`, the hash of the access token the request presents.
    pub fn access_token(mut self, access_token: &'a str) -> Self {
        self.access_token = Some(access_token);
        self
    }

    /// Sets `iat` (default: now).
    pub fn issued_at(mut self, iat: i64) -> Self {
        self.iat = Some(iat);
        self
    }

    /// Sets `jti` (default: 128 random bits, base64url).
    pub fn jti(mut self, jti: impl Into<String>) -> Self {
        self.jti = Some(jti.into());
        self
    }

    /// Signs the proof: header `typ: dpop+jwt`, the key's `alg` and its public `jwk`.
    ///
    /// # Errors
    /// [`crate::KeyError::Unsupported`] for an HMAC key (a proof needs a public key);
    /// [`Error::Crypto`].
    pub fn sign(self) -> Result<String, Error> {
        if self.key.algorithm().is_symmetric() {
            return Err(crate::KeyError::Unsupported(
                "a DPoP proof needs an asymmetric key; HMAC secrets have no public half".into(),
            )
            .into());
        }
        let mut header = Header::new(self.key.algorithm()).with_typ(super::TYP);
        header.extra.insert("jwk".into(), public_jwk(self.key)?);
        let jti = match self.jti {
            Some(jti) => jti,
            None => random_jti()?,
        };
        let htu = super::htu::without_query(self.uri);
        let mut claims = Claims::new()
            .with_jwt_id(jti)
            .with_issued_at(self.iat.unwrap_or_else(|| SystemClock.now()))
            .with("htm", self.method)?
            .with("htu", htu)?;
        if let Some(token) = self.access_token {
            claims.set("ath", super::access_token_hash(token).into())?;
        }
        if let Some(nonce) = self.nonce {
            claims.set("nonce", nonce.into())?;
        }
        compact::sign(&header, &claims.to_json_bytes(), self.key)
    }
}

/// The public key as a JWK with only the key members (no `kid`, `alg` or `use`).
fn public_jwk(key: &SigningKey) -> Result<Value, Error> {
    let mut jwk = key.verifying_key()?.to_jwk();
    (jwk.kid, jwk.alg, jwk.use_) = (None, None, None);
    serde_json::to_value(&jwk).map_err(|_| Error::Crypto)
}

fn random_jti() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Crypto)?;
    Ok(crate::b64::encode(&bytes))
}
