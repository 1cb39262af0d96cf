//! The key ring: the key that signs now, and the public keys that verify what was signed.
//!
//! Keys are stored as [`KeyRecord`]s (public JWK in the clear, private JWK sealed under the
//! [`MasterKey`]). [`KeyRing::load`] turns the live records into a ready signer, the JWKS
//! document to publish, and a [`KeySet`] to verify our own tokens with. [`RotationPolicy`]
//! decides when keys move through their life cycle.

mod rotation;

use std::fmt;

use serde::Serialize;
use tessera_jose::{Algorithm, Jwk, JwkSet, KeySet, SigningKey};
use zeroize::Zeroizing;

use crate::model::{KeyId, KeyRecord, KeyState, Timestamp};
use crate::seal::{MasterKey, SealError};

pub use rotation::{KeyAction, RELOAD_SLACK, RotationPolicy};

/// The algorithms Tessera signs with (RS256 is the default).
pub const ALLOWED_ALGS: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The default signing algorithm.
pub const DEFAULT_ALG: Algorithm = Algorithm::RS256;

/// Why keys could not be made or loaded.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum KeyRingError {
    /// No key is in state Active with an activation time in the past.
    NoActiveKey,
    /// The algorithm is not one of [`ALLOWED_ALGS`].
    AlgNotAllowed(String),
    /// A private key does not open under the master key.
    Seal(SealError),
    /// A stored key is unusable or does not match its record (the kid names it).
    Invalid {
        /// The key's id.
        kid: String,
        /// What is wrong, without key material.
        reason: String,
    },
    /// Key generation or signing failed in the crypto backend.
    Crypto(String),
}

impl fmt::Display for KeyRingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoActiveKey => f.write_str("no active signing key"),
            Self::AlgNotAllowed(alg) => write!(f, "signing algorithm {alg:?} is not allowed"),
            Self::Seal(err) => write!(f, "private key: {err}"),
            Self::Invalid { kid, reason } => write!(f, "key {kid}: {reason}"),
            Self::Crypto(why) => write!(f, "key generation failed: {why}"),
        }
    }
}

impl std::error::Error for KeyRingError {}

impl From<SealError> for KeyRingError {
    fn from(err: SealError) -> Self {
        Self::Seal(err)
    }
}

/// Parses an algorithm name and checks that Tessera signs with it.
///
/// # Errors
/// [`KeyRingError::AlgNotAllowed`] for any other name.
pub fn parse_alg(name: &str) -> Result<Algorithm, KeyRingError> {
    name.parse::<Algorithm>()
        .ok()
        .filter(|alg| ALLOWED_ALGS.contains(alg))
        .ok_or_else(|| KeyRingError::AlgNotAllowed(name.chars().take(16).collect()))
}

/// Checks that Tessera signs with `alg`.
///
/// # Errors
/// [`KeyRingError::AlgNotAllowed`] for any other algorithm.
pub fn check_alg(alg: Algorithm) -> Result<Algorithm, KeyRingError> {
    if ALLOWED_ALGS.contains(&alg) {
        Ok(alg)
    } else {
        Err(KeyRingError::AlgNotAllowed(alg.to_string()))
    }
}

/// Generates a new key for `alg` (RSA keys are 2048 bits) and seals its private half.
///
/// The record is Active when `activates_at <= now`, else Published.
///
/// # Errors
/// [`KeyRingError::AlgNotAllowed`], or a crypto or sealing failure.
pub fn generate_record(
    alg: Algorithm,
    now: Timestamp,
    activates_at: Timestamp,
    master: &MasterKey,
) -> Result<KeyRecord, KeyRingError> {
    check_alg(alg)?;
    let crypto = |err: tessera_jose::Error| KeyRingError::Crypto(err.code().to_owned());
    let key = SigningKey::generate(alg).map_err(crypto)?;
    let kid = KeyId::new(key.kid());
    let public_jwk = key.verifying_key().map_err(crypto)?.to_jwk().to_json();
    let private = Zeroizing::new(key.to_jwk().to_json());
    let private_sealed = master.seal(private.as_bytes(), &key_aad(&kid))?;
    Ok(KeyRecord {
        kid,
        alg,
        public_jwk,
        private_sealed,
        state: if activates_at <= now {
            KeyState::Active
        } else {
            KeyState::Published
        },
        created_at: now,
        activates_at,
        retired_at: None,
    })
}

/// The associated data that binds a sealed private key to its kid.
fn key_aad(kid: &KeyId) -> Vec<u8> {
    [b"tessera/signing-key/".as_slice(), kid.as_str().as_bytes()].concat()
}

/// A key's public description, for listings (no key material).
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[non_exhaustive]
pub struct KeyInfo {
    /// Key id.
    pub kid: KeyId,
    /// Algorithm.
    #[serde(serialize_with = "crate::model::alg_name::serialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "ES256"))]
    pub alg: Algorithm,
    /// Life-cycle state.
    pub state: KeyState,
    /// Creation (publication) time.
    pub created_at: Timestamp,
    /// When it starts (or started) signing.
    pub activates_at: Timestamp,
    /// When it stopped signing.
    pub retired_at: Option<Timestamp>,
}

impl From<&KeyRecord> for KeyInfo {
    fn from(record: &KeyRecord) -> Self {
        Self {
            kid: record.kid.clone(),
            alg: record.alg,
            state: record.state,
            created_at: record.created_at,
            activates_at: record.activates_at,
            retired_at: record.retired_at,
        }
    }
}

/// The signer and the published keys, loaded from the store and shared read-only.
pub struct KeyRing {
    active: SigningKey,
    jwks_json: String,
    verifying: KeySet,
    published: Vec<KeyInfo>,
}

impl KeyRing {
    /// Loads a ring from key records: the active key is the newest in state Active whose
    /// `activates_at <= now`; every key not Retired is published and verifies.
    ///
    /// # Errors
    /// [`KeyRingError::NoActiveKey`], or a key that does not open, parse or match its record.
    pub fn load(
        records: &[KeyRecord],
        master: &MasterKey,
        now: Timestamp,
    ) -> Result<Self, KeyRingError> {
        let live: Vec<&KeyRecord> = records
            .iter()
            .filter(|r| r.state != KeyState::Retired)
            .collect();
        let active = live
            .iter()
            .filter(|r| r.state == KeyState::Active && r.activates_at <= now)
            .max_by_key(|r| (r.activates_at, r.created_at))
            .ok_or(KeyRingError::NoActiveKey)?;
        let mut jwks = JwkSet::default();
        for record in &live {
            jwks.keys.push(public_jwk(record)?);
        }
        let verifying = KeySet::from_jwks(&jwks, &[]).map_err(|err| KeyRingError::Invalid {
            kid: String::new(),
            reason: err.to_string(),
        })?;
        Ok(Self {
            active: open_private(active, master)?,
            jwks_json: jwks.to_json(),
            verifying,
            published: live.iter().map(|r| KeyInfo::from(*r)).collect(),
        })
    }

    /// The key that signs new tokens.
    pub fn signing_key(&self) -> &SigningKey {
        &self.active
    }

    /// The JWKS document (public keys only) as JSON, ready to serve.
    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    /// The published keys as verifying keys, for checking our own tokens.
    pub fn key_set(&self) -> &KeySet {
        &self.verifying
    }

    /// The algorithms of the published keys.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        let mut algs: Vec<Algorithm> = self.verifying.algorithms().into_iter().collect();
        algs.sort();
        algs
    }

    /// The published keys.
    pub fn published(&self) -> &[KeyInfo] {
        &self.published
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active.kid())
            .field("published", &self.published.len())
            .finish_non_exhaustive()
    }
}

/// The record's public JWK, refused if it holds private material or names another kid.
fn public_jwk(record: &KeyRecord) -> Result<Jwk, KeyRingError> {
    let invalid = |reason: &str| KeyRingError::Invalid {
        kid: record.kid.to_string(),
        reason: reason.to_owned(),
    };
    check_alg(record.alg)?;
    let jwk = Jwk::from_json(record.public_jwk.as_bytes())
        .map_err(|_| invalid("the public JWK does not parse"))?;
    if jwk.is_private_asymmetric() || jwk.kty == "oct" {
        return Err(invalid("the public JWK holds private material"));
    }
    if jwk.kid.as_deref() != Some(record.kid.as_str())
        || jwk.alg.as_deref() != Some(record.alg.as_str())
    {
        return Err(invalid("the public JWK names another kid or alg"));
    }
    Ok(jwk)
}

/// Opens the record's private key and checks it is the one its public JWK describes.
fn open_private(record: &KeyRecord, master: &MasterKey) -> Result<SigningKey, KeyRingError> {
    let invalid = |reason: &str| KeyRingError::Invalid {
        kid: record.kid.to_string(),
        reason: reason.to_owned(),
    };
    let alg = check_alg(record.alg)?;
    let json = master.open(&record.private_sealed, &key_aad(&record.kid))?;
    let jwk = Jwk::from_json(&json).map_err(|_| invalid("the private JWK does not parse"))?;
    let key = SigningKey::from_jwk(&jwk, Some(alg))
        .map_err(|err| invalid(&format!("the private key is unusable ({})", err.code())))?
        .with_kid(record.kid.to_string());
    let public = public_jwk(record)?
        .thumbprint()
        .map_err(|_| invalid("the public JWK has no thumbprint"))?;
    let own = key
        .verifying_key()
        .map_err(|_| invalid("the private key has no public half"))?
        .thumbprint();
    if public != own {
        return Err(invalid("the private key does not match the public JWK"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_secs(1_700_000_000);

    fn record(alg: Algorithm, activates_at: Timestamp, master: &MasterKey) -> KeyRecord {
        generate_record(alg, NOW, activates_at, master).expect("generate")
    }

    #[test]
    fn loads_the_newest_active_key_and_publishes_all_live_ones() {
        let master = MasterKey::generate().expect("random");
        let old = record(Algorithm::ES256, NOW.plus_secs(-100), &master);
        let new = record(Algorithm::EdDSA, NOW.plus_secs(-10), &master);
        let ahead = record(Algorithm::ES256, NOW.plus_secs(3600), &master);
        let mut gone = record(Algorithm::ES256, NOW.plus_secs(-1000), &master);
        gone.state = KeyState::Retired;
        assert_eq!(ahead.state, KeyState::Published);
        let records = [old.clone(), new.clone(), ahead.clone(), gone.clone()];
        let ring = KeyRing::load(&records, &master, NOW).expect("load");
        assert_eq!(ring.signing_key().kid(), new.kid);
        assert_eq!(ring.signing_key().algorithm(), Algorithm::EdDSA);
        assert_eq!(ring.published().len(), 3);
        let jwks = JwkSet::from_json(ring.jwks_json().as_bytes()).expect("jwks");
        assert_eq!(jwks.keys.len(), 3);
        assert!(
            jwks.keys
                .iter()
                .all(|k| k.d.is_none() && k.use_.as_deref() == Some("sig"))
        );
        assert!(!ring.jwks_json().contains(gone.kid.as_str()));
        assert_eq!(ring.algorithms(), [Algorithm::ES256, Algorithm::EdDSA]);
    }

    #[test]
    fn refuses_without_an_active_key_or_with_the_wrong_master_key() {
        let master = MasterKey::generate().expect("random");
        let ahead = record(Algorithm::ES256, NOW.plus_secs(10), &master);
        assert_eq!(
            KeyRing::load(std::slice::from_ref(&ahead), &master, NOW).map(|_| ()),
            Err(KeyRingError::NoActiveKey)
        );
        let active = record(Algorithm::ES256, NOW, &master);
        let other = MasterKey::generate().expect("random");
        assert_eq!(
            KeyRing::load(&[active], &other, NOW).map(|_| ()),
            Err(KeyRingError::Seal(SealError::Open))
        );
    }

    #[test]
    fn refuses_a_private_key_that_is_not_the_published_one() {
        let master = MasterKey::generate().expect("random");
        let mut one = record(Algorithm::ES256, NOW, &master);
        let two = record(Algorithm::ES256, NOW, &master);
        one.public_jwk = two.public_jwk.replace(two.kid.as_str(), one.kid.as_str());
        let err = KeyRing::load(&[one], &master, NOW).expect_err("mismatch");
        assert!(matches!(err, KeyRingError::Invalid { .. }), "{err:?}");
    }

    #[test]
    fn default_is_rs256_2048_and_only_allowed_algs_are_made() {
        let master = MasterKey::generate().expect("random");
        let rsa = record(DEFAULT_ALG, NOW, &master);
        let jwk = Jwk::from_json(rsa.public_jwk.as_bytes()).expect("jwk");
        let n = tessera_jose::b64::decode(jwk.n.as_deref().expect("n").as_bytes()).expect("n");
        assert_eq!(n.len() * 8, 2048);
        assert_eq!(rsa.alg, Algorithm::RS256);
        assert!(matches!(
            generate_record(Algorithm::HS256, NOW, NOW, &master),
            Err(KeyRingError::AlgNotAllowed(_))
        ));
        assert!(parse_alg("ES512").is_err());
        assert_eq!(parse_alg("PS256"), Ok(Algorithm::PS256));
    }
}
