//! Key numbers as JWKs carry them, and their conversion to and from aws-lc key objects.
//! Every way of loading a key (JWK, PEM, generation) passes through [`Material`], so every
//! key gets the same checks.

use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::rsa::{KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, Ed25519KeyPair,
    KeyPair as _, ParsedPublicKey, RsaKeyPair,
};
use aws_lc_rs::{digest, hmac};
use zeroize::Zeroizing;

use crate::alg::{Algorithm, Curve, KeyFamily};
use crate::der;
use crate::error::{Error, KeyError};
use crate::key::checks;

/// Secret bytes, wiped from memory when dropped.
pub(crate) type Secret = Zeroizing<Vec<u8>>;

/// The numbers of a key, public and (when present) private.
#[derive(Clone)]
pub(crate) enum Material {
    /// A shared secret.
    Oct(Secret),
    /// An RSA key.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
        private: Option<Box<RsaPrivate>>,
    },
    /// An EC key on a NIST curve.
    Ec {
        curve: Curve,
        x: Vec<u8>,
        y: Vec<u8>,
        d: Option<Secret>,
    },
    /// An Ed25519 key.
    Ed25519 { x: Vec<u8>, d: Option<Secret> },
}

/// The private numbers of a two-prime RSA key.
#[derive(Clone)]
pub(crate) struct RsaPrivate {
    pub(crate) d: Secret,
    pub(crate) p: Secret,
    pub(crate) q: Secret,
    pub(crate) dp: Secret,
    pub(crate) dq: Secret,
    pub(crate) qi: Secret,
}

/// What verifies a signature: an HMAC key or a parsed public key. The HMAC key is boxed: it
/// holds the hash states and is some twenty times larger than the other variants.
pub(crate) enum Verifier {
    Hmac(Box<hmac::Key>),
    Public(ParsedPublicKey),
}

/// What makes a signature (the large HMAC key boxed, as in [`Verifier`]).
pub(crate) enum Signer {
    Hmac(Box<hmac::Key>),
    Rsa(RsaKeyPair, &'static dyn signature::RsaEncoding),
    Ec(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Verifier {
    /// Whether `signature` over `message` verifies with this public key for `alg`. An ECDSA
    /// signature must first be exactly `r || s` of the curve's size with `0 < r, s < n`
    /// (CVE-2022-21449). False for an HMAC key: its tags are checked where the key is.
    pub(crate) fn verify_public(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        let Self::Public(key) = self else {
            return false;
        };
        if let KeyFamily::Ec(curve) = alg.family()
            && !checks::ecdsa_signature_well_formed(curve, signature)
        {
            return false;
        }
        key.verify_sig(message, signature).is_ok()
    }
}

impl Material {
    /// The family of algorithms this key can serve.
    pub(crate) fn family(&self) -> Option<KeyFamily> {
        match self {
            Self::Oct(_) => Some(KeyFamily::Hmac),
            Self::Rsa { .. } => Some(KeyFamily::Rsa),
            Self::Ec { curve, .. } => Some(KeyFamily::Ec(*curve)),
            Self::Ed25519 { .. } => Some(KeyFamily::Ed25519),
        }
    }

    /// A copy without the private numbers (the secret stays for `oct`: it has no public half).
    pub(crate) fn public_only(&self) -> Self {
        match self {
            Self::Oct(k) => Self::Oct(k.clone()),
            Self::Rsa { n, e, .. } => Self::Rsa {
                n: n.clone(),
                e: e.clone(),
                private: None,
            },
            Self::Ec { curve, x, y, .. } => Self::Ec {
                curve: *curve,
                x: x.clone(),
                y: y.clone(),
                d: None,
            },
            Self::Ed25519 { x, .. } => Self::Ed25519 {
                x: x.clone(),
                d: None,
            },
        }
    }

    /// Picks the algorithm: the declared one, the requested one (they must agree), or the
    /// family's default (RS256 for RSA, HS256 for secrets, the curve's for EC and Ed25519).
    pub(crate) fn resolve_alg(
        &self,
        declared: Option<Algorithm>,
        requested: Option<Algorithm>,
    ) -> Result<Algorithm, Error> {
        let family = self
            .family()
            .ok_or_else(|| KeyError::Unsupported("key type".into()))?;
        let alg = match (declared, requested) {
            (Some(d), Some(r)) if d != r => {
                return Err(KeyError::AlgMismatch {
                    key: d.to_string(),
                    requested: r.to_string(),
                }
                .into());
            }
            (Some(alg), _) | (None, Some(alg)) => alg,
            (None, None) => default_alg(family),
        };
        if alg.family() != family {
            return Err(KeyError::AlgMismatch {
                key: family_name(family),
                requested: alg.to_string(),
            }
            .into());
        }
        Ok(alg)
    }

    /// Builds the verifier for `alg`, checking the key's strength first.
    pub(crate) fn verifier(&self, alg: Algorithm) -> Result<Verifier, Error> {
        match self {
            Self::Oct(k) => {
                checks::hmac_secret(alg, k)?;
                Ok(Verifier::Hmac(Box::new(hmac::Key::new(hmac_alg(alg), k))))
            }
            Self::Rsa { n, e, .. } => {
                checks::rsa_public(n, e)?;
                let spki = PublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                }
                .as_der()
                .map_err(|_| invalid("RSA numbers"))?;
                parse_public(rsa_verification(alg), spki.as_ref())
            }
            Self::Ec { curve, x, y, .. } => {
                parse_public(ecdsa_verification(*curve), &ec_point(*curve, x, y)?)
            }
            Self::Ed25519 { x, .. } => {
                if x.len() != 32 {
                    return Err(invalid("Ed25519 public key must be 32 bytes"));
                }
                parse_public(&signature::ED25519, x)
            }
        }
    }

    /// Builds the signer for `alg`; the private half must be present.
    pub(crate) fn signer(&self, alg: Algorithm) -> Result<Signer, Error> {
        let missing = || {
            Error::from(KeyError::UseNotPermitted(
                "this is a public key; signing needs the private key".into(),
            ))
        };
        match self {
            Self::Oct(k) => {
                checks::hmac_secret(alg, k)?;
                Ok(Signer::Hmac(Box::new(hmac::Key::new(hmac_alg(alg), k))))
            }
            Self::Rsa { n, e, private } => {
                checks::rsa_public(n, e)?;
                let p = private.as_ref().ok_or_else(missing)?;
                let components = KeyPairComponents {
                    public_key: PublicKeyComponents {
                        n: n.as_slice(),
                        e: e.as_slice(),
                    },
                    d: p.d.as_slice(),
                    p: p.p.as_slice(),
                    q: p.q.as_slice(),
                    dP: p.dp.as_slice(),
                    dQ: p.dq.as_slice(),
                    qInv: p.qi.as_slice(),
                };
                let pair = RsaKeyPair::from_components(&components)
                    .map_err(|_| invalid("inconsistent RSA private numbers"))?;
                Ok(Signer::Rsa(pair, rsa_encoding(alg)))
            }
            Self::Ec { curve, x, y, d } => {
                let d = d.as_ref().ok_or_else(missing)?;
                let point = ec_point(*curve, x, y)?;
                if d.len() != curve.coordinate_len() {
                    return Err(invalid("EC private scalar has the wrong length"));
                }
                EcdsaKeyPair::from_private_key_and_public_key(ecdsa_signing(*curve), d, &point)
                    .map(Signer::Ec)
                    .map_err(|_| invalid("EC private key does not match its public point"))
            }
            Self::Ed25519 { x, d } => {
                let d = d.as_ref().ok_or_else(missing)?;
                Ed25519KeyPair::from_seed_and_public_key(d, x)
                    .map(Signer::Ed25519)
                    .map_err(|_| invalid("Ed25519 private key does not match its public key"))
            }
        }
    }

    /// The numbers of an aws-lc RSA key pair.
    pub(crate) fn from_rsa_pair(pair: &RsaKeyPair) -> Result<Self, Error> {
        let pkcs8 =
            AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(pair).map_err(|_| Error::Crypto)?;
        let numbers = der::pkcs8(pkcs8.as_ref())
            .and_then(|(_, inner)| der::rsa_private(inner))
            .ok_or_else(|| invalid("RSA private key encoding"))?;
        Ok(Self::rsa_from_numbers(numbers))
    }

    /// The numbers of a PKCS#1 RSA private key: n, e, d, p, q, dp, dq, qi.
    pub(crate) fn rsa_from_numbers(numbers: [&[u8]; 8]) -> Self {
        let secret = |bytes: &[u8]| Zeroizing::new(bytes.to_vec());
        let [n, e, d, p, q, dp, dq, qi] = numbers;
        Self::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
            private: Some(Box::new(RsaPrivate {
                d: secret(d),
                p: secret(p),
                q: secret(q),
                dp: secret(dp),
                dq: secret(dq),
                qi: secret(qi),
            })),
        }
    }

    /// The numbers of an aws-lc ECDSA key pair.
    pub(crate) fn from_ec_pair(curve: Curve, pair: &EcdsaKeyPair) -> Result<Self, Error> {
        let d: aws_lc_rs::encoding::EcPrivateKeyBin<'_> = pair
            .private_key()
            .as_be_bytes()
            .map_err(|_| Error::Crypto)?;
        let mut material = Self::ec_public(curve, pair.public_key().as_ref())?;
        if let Self::Ec { d: slot, .. } = &mut material {
            *slot = Some(Zeroizing::new(d.as_ref().to_vec()));
        }
        Ok(material)
    }

    /// The numbers of an aws-lc Ed25519 key pair.
    pub(crate) fn from_ed25519_pair(pair: &Ed25519KeyPair) -> Result<Self, Error> {
        let seed = pair.seed().map_err(|_| Error::Crypto)?;
        let seed: aws_lc_rs::encoding::Curve25519SeedBin<'_> =
            seed.as_be_bytes().map_err(|_| Error::Crypto)?;
        Ok(Self::Ed25519 {
            x: pair.public_key().as_ref().to_vec(),
            d: Some(Zeroizing::new(seed.as_ref().to_vec())),
        })
    }

    /// An EC public key from an uncompressed point (`04 || x || y`).
    pub(crate) fn ec_public(curve: Curve, point: &[u8]) -> Result<Self, Error> {
        let len = curve.coordinate_len();
        match point.split_first() {
            Some((4, xy)) if xy.len() == 2 * len => {
                let (x, y) = xy.split_at(len);
                Ok(Self::Ec {
                    curve,
                    x: x.to_vec(),
                    y: y.to_vec(),
                    d: None,
                })
            }
            Some((2 | 3, _)) => Err(KeyError::Unsupported("compressed EC points".into()).into()),
            _ => Err(invalid("EC point has the wrong length")),
        }
    }

    /// The SubjectPublicKeyInfo DER of the public half (`None` for a shared secret).
    pub(crate) fn spki_der(&self) -> Result<Option<Vec<u8>>, Error> {
        let der = match self {
            Self::Oct(_) => return Ok(None),
            Self::Rsa { n, e, .. } => PublicKeyComponents {
                n: n.as_slice(),
                e: e.as_slice(),
            }
            .as_der()
            .map_err(|_| invalid("RSA numbers"))?
            .as_ref()
            .to_vec(),
            Self::Ec { curve, x, y, .. } => {
                [spki_prefix(*curve), &ec_point(*curve, x, y)?].concat()
            }
            Self::Ed25519 { x, .. } => [der::SPKI_ED25519, x.as_slice()].concat(),
        };
        Ok(Some(der))
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url.
    pub(crate) fn thumbprint(&self) -> String {
        let canonical = self.thumbprint_input();
        crate::b64::encode(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    }

    /// The canonical JSON of RFC 7638 §3: required members only, sorted, no white space.
    pub(crate) fn thumbprint_input(&self) -> String {
        use crate::b64::encode;
        match self {
            Self::Oct(k) => format!(r#"{{"k":"{}","kty":"oct"}}"#, encode(k)),
            Self::Rsa { n, e, .. } => {
                format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, encode(e), encode(n))
            }
            Self::Ec { curve, x, y, .. } => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                curve.name(),
                encode(x),
                encode(y)
            ),
            Self::Ed25519 { x, .. } => {
                format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, encode(x))
            }
        }
    }
}

fn parse_public(
    alg: &'static dyn signature::VerificationAlgorithm,
    bytes: &[u8],
) -> Result<Verifier, Error> {
    ParsedPublicKey::new(alg, bytes)
        .map(Verifier::Public)
        .map_err(|rejected| invalid(&format!("public key rejected ({rejected})")))
}

fn ec_point(curve: Curve, x: &[u8], y: &[u8]) -> Result<Vec<u8>, Error> {
    let len = curve.coordinate_len();
    if x.len() != len || y.len() != len {
        return Err(invalid("EC coordinates must be exactly the curve's size"));
    }
    Ok([&[4u8][..], x, y].concat())
}

fn spki_prefix(curve: Curve) -> &'static [u8] {
    match curve {
        Curve::P256 => der::SPKI_P256,
        Curve::P384 => der::SPKI_P384,
        Curve::P521 => der::SPKI_P521,
    }
}

pub(crate) fn invalid(why: &str) -> Error {
    KeyError::Invalid(why.to_owned()).into()
}

fn default_alg(family: KeyFamily) -> Algorithm {
    match family {
        KeyFamily::Hmac => Algorithm::HS256,
        KeyFamily::Rsa => Algorithm::RS256,
        KeyFamily::Ec(curve) => curve.algorithm(),
        KeyFamily::Ed25519 => Algorithm::EdDSA,
    }
}

fn family_name(family: KeyFamily) -> String {
    match family {
        KeyFamily::Hmac => "an HMAC secret".into(),
        KeyFamily::Rsa => "an RSA key".into(),
        KeyFamily::Ec(curve) => format!("an EC {} key", curve.name()),
        KeyFamily::Ed25519 => "an Ed25519 key".into(),
    }
}

fn hmac_alg(alg: Algorithm) -> hmac::Algorithm {
    match alg {
        Algorithm::HS384 => hmac::HMAC_SHA384,
        Algorithm::HS512 => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    }
}

fn rsa_verification(alg: Algorithm) -> &'static signature::RsaParameters {
    match alg {
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => &signature::RSA_PKCS1_2048_8192_SHA256,
    }
}

fn rsa_encoding(alg: Algorithm) -> &'static dyn signature::RsaEncoding {
    match alg {
        Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_SHA512,
        _ => &signature::RSA_PKCS1_SHA256,
    }
}

pub(crate) fn ecdsa_verification(curve: Curve) -> &'static EcdsaVerificationAlgorithm {
    match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
    }
}

pub(crate) fn ecdsa_signing(curve: Curve) -> &'static EcdsaSigningAlgorithm {
    match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}
