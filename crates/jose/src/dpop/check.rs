//! Checking a DPoP proof: every rule of RFC 9449 §4.3, in its order.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::constant_time;
use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::clock::{Clock, SystemClock};
use crate::error::{DpopError, Error, Part};
use crate::jwk::Jwk;
use crate::key::material::Verifier;
use crate::{b64, json};

/// The default age after which a proof's `iat` is too old, in seconds.
pub const DEFAULT_MAX_AGE_SECS: i64 = 60;
/// The default allowance for a client clock ahead of the server's, in seconds.
pub const DEFAULT_LEEWAY_SECS: i64 = 10;
/// The cap on a proof's length: a proof holds a public key and a few claims.
const MAX_PROOF_LEN: usize = 8 * 1024;
/// The longest `jti` accepted; the caller stores it.
const MAX_JTI_LEN: usize = 256;

/// An immutable set of DPoP proof checks. Build one with [`Checker::builder`].
///
/// Defaults: every asymmetric JWS algorithm, `iat` at most 60 s old and at most 10 s ahead.
#[derive(Clone, Debug)]
pub struct Checker {
    algorithms: Vec<Algorithm>,
    max_age: i64,
    leeway: i64,
    clock: Arc<dyn Clock>,
}

/// Builds a [`Checker`].
#[derive(Clone, Debug)]
#[must_use]
pub struct CheckerBuilder(Checker);

/// What the request must match: its method and the endpoint's URI, and when the server has
/// them, the nonce it issued, the access token presented and the key it is bound to.
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct Expected<'a> {
    method: &'a str,
    uri: &'a str,
    nonce: Option<&'a str>,
    access_token: Option<&'a str>,
    jkt: Option<&'a str>,
}

/// A proof that passed every check.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Proof {
    /// The RFC 7638 thumbprint of the proof's key: `cnf.jkt` for tokens bound to it.
    pub thumbprint: String,
    /// The proof's `jti`: record it and refuse it again until [`Self::replay_until`].
    pub jti: String,
    /// The proof's `iat`.
    pub iat: i64,
    /// The last second at which this proof's `iat` is still accepted: a `jti` kept until
    /// then can never be replayed.
    pub replay_until: i64,
}

impl Default for CheckerBuilder {
    fn default() -> Self {
        Self(Checker {
            algorithms: Vec::new(),
            max_age: DEFAULT_MAX_AGE_SECS,
            leeway: DEFAULT_LEEWAY_SECS,
            clock: Arc::new(SystemClock),
        })
        .algorithms(Algorithm::ALL)
    }
}

impl CheckerBuilder {
    /// Accepts only these algorithms (HMAC ones are never accepted).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.0.algorithms = algorithms
            .into_iter()
            .filter(|alg| !alg.is_symmetric())
            .collect();
        self
    }

    /// How old `iat` may be (default 60 s).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.0.max_age = secs(max_age);
        self
    }

    /// How far ahead of this clock `iat` may be (default 10 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.0.leeway = secs(leeway);
        self
    }

    /// Replaces the clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.0.clock = clock;
        self
    }

    /// Finishes the checker.
    pub fn build(self) -> Checker {
        self.0
    }
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs())
        .unwrap_or(i64::MAX)
        .min(86_400)
}

impl<'a> Expected<'a> {
    /// A request of `method` (`POST`) to the endpoint at `uri`, the configured public URL.
    pub fn new(method: &'a str, uri: &'a str) -> Self {
        Self {
            method,
            uri,
            nonce: None,
            access_token: None,
            jkt: None,
        }
    }

    /// Requires `nonce`, the one the server issued.
    pub fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Requires `ath` to be the hash of `access_token` (at a resource server).
    pub fn access_token(mut self, access_token: &'a str) -> Self {
        self.access_token = Some(access_token);
        self
    }

    /// Requires the proof's key to have thumbprint `jkt` (the token's `cnf.jkt`).
    pub fn jkt(mut self, jkt: &'a str) -> Self {
        self.jkt = Some(jkt);
        self
    }
}

impl Checker {
    /// Starts a builder with the defaults.
    pub fn builder() -> CheckerBuilder {
        CheckerBuilder::default()
    }

    /// Checks the proofs a request carried (the values of its `DPoP` headers) against what the
    /// server expects, and returns the key's thumbprint with the `jti` and `iat` to record.
    ///
    /// # Errors
    /// [`Error::Dpop`] with the first rule the proof breaks.
    pub fn check(&self, proofs: &[&str], expected: &Expected<'_>) -> Result<Proof, Error> {
        self.check_proof(proofs, expected).map_err(Error::Dpop)
    }

    fn check_proof(&self, proofs: &[&str], expected: &Expected<'_>) -> Result<Proof, DpopError> {
        let proof = match proofs {
            [] => return Err(DpopError::Missing),
            [one] if one.contains(',') => return Err(DpopError::Multiple),
            [one] => one.trim(),
            _ => return Err(DpopError::Multiple),
        };
        let parts = crate::jws::compact::split(proof, MAX_PROOF_LEN)
            .map_err(|err| DpopError::Malformed(err.to_string()))?;
        let header = object(parts.header, Part::Header)?;
        let (alg, jwk) = self.check_header(header)?;
        let material = jwk
            .material()
            .map_err(|err| DpopError::Jwk(err.to_string()))?;
        if material.family() != Some(alg.family()) {
            return Err(DpopError::Jwk(format!("the key does not fit {alg}")));
        }
        let verifier = material
            .verifier(alg)
            .map_err(|err| DpopError::Jwk(err.to_string()))?;
        verify_signature(
            &verifier,
            alg,
            &proof.as_bytes()[..parts.signed_len],
            parts.signature,
        )?;
        let claims = object(parts.payload, Part::Payload)?;
        let (jti, iat) = self.check_claims(&claims, expected)?;
        let thumbprint = material.thumbprint();
        if let Some(jkt) = expected.jkt
            && constant_time::verify_slices_are_equal(jkt.as_bytes(), thumbprint.as_bytes())
                .is_err()
        {
            return Err(DpopError::KeyMismatch);
        }
        Ok(Proof {
            thumbprint,
            jti,
            iat,
            replay_until: iat.saturating_add(self.max_age),
        })
    }

    /// `typ`, `alg` and `jwk`: the header rules.
    fn check_header(&self, mut header: Map<String, Value>) -> Result<(Algorithm, Jwk), DpopError> {
        let typ = header
            .get("typ")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !typ.eq_ignore_ascii_case(super::TYP) {
            return Err(DpopError::Typ);
        }
        if header.contains_key("crit") {
            return Err(DpopError::Malformed(
                "the header lists crit extensions".into(),
            ));
        }
        let name = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let alg = name
            .parse::<Algorithm>()
            .ok()
            .filter(|alg| self.algorithms.contains(alg))
            .ok_or_else(|| DpopError::Alg(crate::error::cut(name, 32)))?;
        let jwk = match header.remove("jwk") {
            Some(value @ Value::Object(_)) => serde_json::from_value::<Jwk>(value)
                .map_err(|_| DpopError::Jwk("not a JWK".into()))?,
            _ => return Err(DpopError::Jwk("the header has no jwk".into())),
        };
        let private = [&jwk.d, &jwk.p, &jwk.q, &jwk.dp, &jwk.dq, &jwk.qi, &jwk.k]
            .iter()
            .any(|member| member.is_some());
        if private || jwk.kty == "oct" {
            return Err(DpopError::Jwk(
                "it holds private or symmetric key material".into(),
            ));
        }
        Ok((alg, jwk))
    }

    /// `htm`, `htu`, `iat`, `jti`, `ath` and `nonce`: the claim rules.
    fn check_claims(
        &self,
        claims: &Map<String, Value>,
        expected: &Expected<'_>,
    ) -> Result<(String, i64), DpopError> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        if text("htm") != Some(expected.method) {
            return Err(DpopError::Htm);
        }
        let htu = text("htu").ok_or(DpopError::Htu)?;
        // Byte-equal URIs normalize alike; only a different spelling needs normalizing.
        if htu != expected.uri {
            let normalized = super::htu::normalize(htu);
            if normalized.is_none() || normalized != super::htu::normalize(expected.uri) {
                return Err(DpopError::Htu);
            }
        }
        let now = self.clock.now();
        let iat = claims
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or(DpopError::Iat)?;
        if iat < now.saturating_sub(self.max_age) || iat > now.saturating_add(self.leeway) {
            return Err(DpopError::Iat);
        }
        let jti = text("jti").filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LEN);
        let jti = jti.ok_or(DpopError::Jti)?.to_owned();
        if let Some(token) = expected.access_token {
            let hash = super::access_token_hash(token);
            if text("ath") != Some(hash.as_str()) {
                return Err(DpopError::Ath);
            }
        }
        if let Some(nonce) = expected.nonce {
            let given = text("nonce").unwrap_or_default();
            if constant_time::verify_slices_are_equal(given.as_bytes(), nonce.as_bytes()).is_err() {
                return Err(DpopError::Nonce);
            }
        }
        Ok((jti, iat))
    }
}

/// Decodes a part and parses it as one strict JSON object.
fn object(part: &str, which: Part) -> Result<Map<String, Value>, DpopError> {
    let bytes = b64::decode(part.as_bytes())
        .ok_or_else(|| DpopError::Malformed(format!("the {which} is not base64url")))?;
    json::parse_object(&bytes, which).map_err(|err| DpopError::Malformed(err.to_string()))
}

fn verify_signature(
    verifier: &Verifier,
    alg: Algorithm,
    signed: &[u8],
    signature: &str,
) -> Result<(), DpopError> {
    let signature = b64::decode(signature.as_bytes())
        .ok_or_else(|| DpopError::Malformed("the signature is not base64url".into()))?;
    if verifier.verify_public(alg, signed, &signature) {
        Ok(())
    } else {
        Err(DpopError::Signature)
    }
}
