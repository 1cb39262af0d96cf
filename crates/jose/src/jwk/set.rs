//! A set of verifying keys, chosen from by the token's `kid` and `alg`.

use std::collections::{HashMap, HashSet};

use crate::alg::Algorithm;
use crate::error::{Error, KeyError};
use crate::jwk::{Jwk, JwkSet};
use crate::jws::Header;
use crate::key::VerifyingKey;

/// The most keys a set may hold; a token without `kid` is tried against each candidate.
const MAX_KEYS: usize = 64;

/// Verifying keys from a JWKS (or built by hand), each bound to its algorithm.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<VerifyingKey>,
    /// Each key's encoded default JWT header to its index: the usual token's header part
    /// finds its key without being decoded. `kid`s are unique, so the headers are too.
    by_header: HashMap<String, usize>,
}

impl KeySet {
    /// Builds a set from a JWKS for verification.
    ///
    /// Keys meant for encryption (`use: enc`, `key_ops` without `verify`, or a non-JWS `alg`)
    /// are skipped, as a JWKS may publish them beside signing keys. A key with no `alg` is
    /// bound to the one algorithm of `allowed` that fits it, or to its type's default when
    /// `allowed` is empty. The set is refused when it mixes public and private keys (an `oct`
    /// secret counts as private), repeats a `kid`, or holds a signing key that is weak or
    /// malformed.
    ///
    /// # Errors
    /// [`KeyError::SetInvalid`], or the key error of the first bad key.
    pub fn from_jwks(jwks: &JwkSet, allowed: &[Algorithm]) -> Result<Self, Error> {
        if jwks.keys.len() > MAX_KEYS {
            return Err(KeyError::SetInvalid(format!("more than {MAX_KEYS} keys")).into());
        }
        // A shared secret is private material too: a set that holds one beside public keys is
        // a public set with a leaked secret, or a private set with a stray public key.
        let private = jwks
            .keys
            .iter()
            .filter(|k| k.is_private_asymmetric() || k.kty == "oct")
            .count();
        if private != 0 && private != jwks.keys.len() {
            return Err(KeyError::SetInvalid("public and private keys are mixed".into()).into());
        }
        let mut set = Self::default();
        for jwk in jwks.keys.iter().filter(|k| is_signature_key(k)) {
            set.push(VerifyingKey::from_jwk(jwk, alg_for(jwk, allowed)?)?)?;
        }
        Ok(set)
    }

    /// Adds a key.
    ///
    /// # Errors
    /// [`KeyError::SetInvalid`] when the `kid` is already in the set, or the set is full.
    pub fn push(&mut self, key: VerifyingKey) -> Result<(), Error> {
        if self.keys.iter().any(|k| k.kid() == key.kid()) {
            return Err(KeyError::SetInvalid(format!("kid {:?} appears twice", key.kid())).into());
        }
        if self.keys.len() >= MAX_KEYS {
            return Err(KeyError::SetInvalid(format!("more than {MAX_KEYS} keys")).into());
        }
        if let Some(encoded) = key.known_header_b64() {
            self.by_header.insert(encoded.to_owned(), self.keys.len());
        }
        self.keys.push(key);
        Ok(())
    }

    /// The keys, in order.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// The algorithms the set's keys are bound to.
    pub fn algorithms(&self) -> HashSet<Algorithm> {
        self.keys.iter().map(VerifyingKey::algorithm).collect()
    }

    /// True when the set has no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// True when any key is a shared secret.
    pub fn has_secrets(&self) -> bool {
        self.keys.iter().any(VerifyingKey::is_secret)
    }
}

fn is_signature_key(jwk: &Jwk) -> bool {
    let for_encryption = jwk.use_.as_deref() == Some("enc")
        || jwk
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|o| o == "verify"));
    let non_jws_alg = jwk
        .alg
        .as_deref()
        .is_some_and(|a| a.parse::<Algorithm>().is_err());
    !(for_encryption || non_jws_alg)
}

fn alg_for(jwk: &Jwk, allowed: &[Algorithm]) -> Result<Option<Algorithm>, Error> {
    if jwk.alg.is_some() || allowed.is_empty() {
        return Ok(None);
    }
    let family = jwk.material()?.family();
    let fitting: Vec<Algorithm> = allowed
        .iter()
        .copied()
        .filter(|a| Some(a.family()) == family)
        .collect();
    match fitting.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(KeyError::SetInvalid(format!(
            "key {:?} has no alg and several allowed algorithms fit it",
            jwk.kid.as_deref().unwrap_or("(no kid)")
        ))
        .into()),
    }
}

/// Chooses the key (or keys) a token's signature is checked with.
pub trait KeyResolver {
    /// The candidate keys for `header`, in the order to try them.
    ///
    /// # Errors
    /// [`Error::AlgNotAllowed`] or [`Error::KeyNotFound`].
    fn candidates<'a>(&'a self, header: &Header) -> Result<Candidates<'a>, Error>;

    /// A key whose own default JWT header (`{"alg":…,"typ":"JWT","kid":…}`) is, encoded,
    /// exactly `encoded`, if the resolver knows one; the default knows none. It only saves
    /// work: verification takes the header that key cached after checking the bytes itself,
    /// and still applies every header check and [`Self::candidates`] to it.
    fn key_for_header(&self, encoded: &str) -> Option<&VerifyingKey> {
        let _ = encoded;
        None
    }
}

/// The keys a resolver picked for one token.
#[derive(Debug)]
pub enum Candidates<'a> {
    /// Exactly one key.
    One(&'a VerifyingKey),
    /// Several keys to try in turn (a token without `kid`).
    Many(Vec<&'a VerifyingKey>),
}

impl KeyResolver for VerifyingKey {
    /// A lone key ignores `kid` but insists on its algorithm.
    fn candidates<'a>(&'a self, header: &Header) -> Result<Candidates<'a>, Error> {
        if header.alg != self.algorithm() {
            return Err(Error::AlgNotAllowed(header.alg.to_string()));
        }
        Ok(Candidates::One(self))
    }

    fn key_for_header(&self, _encoded: &str) -> Option<&VerifyingKey> {
        Some(self)
    }
}

impl KeyResolver for KeySet {
    fn key_for_header(&self, encoded: &str) -> Option<&VerifyingKey> {
        self.by_header
            .get(encoded)
            .and_then(|&index| self.keys.get(index))
    }

    fn candidates<'a>(&'a self, header: &Header) -> Result<Candidates<'a>, Error> {
        if let Some(kid) = header.kid.as_deref() {
            let key = self
                .keys
                .iter()
                .find(|k| k.kid() == kid)
                .ok_or(Error::KeyNotFound)?;
            return key.candidates(header);
        }
        let fitting: Vec<&VerifyingKey> = self
            .keys
            .iter()
            .filter(|k| k.algorithm() == header.alg)
            .collect();
        match fitting.len() {
            0 if self.algorithms().is_empty() => Err(Error::KeyNotFound),
            0 => Err(Error::AlgNotAllowed(header.alg.to_string())),
            1 => Ok(Candidates::One(fitting[0])),
            _ => Ok(Candidates::Many(fitting)),
        }
    }
}
