//! JWE keys: a [`DecryptionKey`] (private key or shared secret) and an [`EncryptionKey`]
//! (public key or shared secret), each bound to one key management algorithm, as JWS keys
//! are bound to one signature algorithm.

use std::fmt;

use aws_lc_rs::agreement::{self, ECDH_P256, ECDH_P384, UnparsedPublicKey, X25519};
use aws_lc_rs::encoding::{AsBigEndian, AsDer, Curve25519SeedBin, EcPrivateKeyBin, Pkcs8V1Der};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{
    KeyPairComponents, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::RsaKeyPair;
use zeroize::Zeroizing;

use super::{ContentEncryption, KeyAlgorithm};
use crate::error::{Error, KeyError};
use crate::jwk::{Jwk, JwkSet};
use crate::key::checks;
use crate::key::material::{Material, Secret};

/// A curve for ECDH-ES.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum EcdhCurve {
    /// NIST P-256 (`kty: EC`).
    P256,
    /// NIST P-384 (`kty: EC`).
    P384,
    /// X25519 (`kty: OKP`, RFC 8037).
    X25519,
}

impl EcdhCurve {
    /// The JWK `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::X25519 => "X25519",
        }
    }

    /// The JWK `kty` of keys on this curve.
    pub fn kty(self) -> &'static str {
        match self {
            Self::X25519 => "OKP",
            _ => "EC",
        }
    }

    pub(crate) fn from_jwk(kty: &str, crv: Option<&str>) -> Option<Self> {
        match (kty, crv) {
            ("EC", Some("P-256")) => Some(Self::P256),
            ("EC", Some("P-384")) => Some(Self::P384),
            ("OKP", Some("X25519")) => Some(Self::X25519),
            _ => None,
        }
    }

    pub(crate) fn agreement(self) -> &'static agreement::Algorithm {
        match self {
            Self::P256 => &ECDH_P256,
            Self::P384 => &ECDH_P384,
            Self::X25519 => &X25519,
        }
    }

    /// Bytes in one coordinate (the whole public key for X25519).
    pub(crate) fn coordinate_len(self) -> usize {
        match self {
            Self::P256 | Self::X25519 => 32,
            Self::P384 => 48,
        }
    }

    /// The public key as aws-lc reads it: `04 || x || y`, or the raw X25519 key.
    pub(crate) fn point(self, x: &[u8], y: &[u8]) -> Option<Vec<u8>> {
        let len = self.coordinate_len();
        match self {
            Self::X25519 => (x.len() == len && y.is_empty()).then(|| x.to_vec()),
            _ => (x.len() == len && y.len() == len).then(|| [&[4u8][..], x, y].concat()),
        }
    }
}

/// The public numbers of a JWE key.
#[derive(Clone)]
pub(crate) enum PublicNumbers {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ec {
        curve: EcdhCurve,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    Oct(Secret),
}

/// What decrypts: the private operation of each family.
pub(crate) enum Private {
    Rsa(OaepPrivateDecryptingKey),
    Ec(agreement::PrivateKey),
    Oct(Secret),
}

/// What encrypts.
pub(crate) enum Public {
    Rsa(OaepPublicEncryptingKey),
    /// A validated point on the curve (`04 || x || y`, or the X25519 key).
    Ec(EcdhCurve, Vec<u8>),
    Oct(Secret),
}

/// A private key or shared secret that decrypts JWEs of exactly one `alg`.
///
/// Build it from a JWK ([`Self::from_jwk`]) or generate one ([`Self::generate`]). A JWE whose
/// header names another `alg` is refused before any cryptography runs.
pub struct DecryptionKey {
    pub(crate) alg: KeyAlgorithm,
    /// For `dir`: the one `enc` the key serves, when the JWK named it.
    pub(crate) enc: Option<ContentEncryption>,
    kid: Option<String>,
    pub(crate) private: Private,
    public: PublicNumbers,
    /// The private numbers, for [`Self::to_jwk`].
    private_jwk: Jwk,
}

/// A public key or shared secret that encrypts JWEs with exactly one `alg`.
pub struct EncryptionKey {
    pub(crate) alg: KeyAlgorithm,
    pub(crate) enc: Option<ContentEncryption>,
    kid: Option<String>,
    pub(crate) public: Public,
    numbers: PublicNumbers,
}

impl DecryptionKey {
    /// Builds a decryption key from a private JWK (`RSA`, `EC` P-256/P-384, `OKP` X25519, or
    /// `oct`).
    ///
    /// The algorithm is `alg` when given, else the JWK's `alg`, else the key type's default:
    /// RSA-OAEP-256 for RSA, ECDH-ES for EC and OKP, A128KW or A256KW for a 16- or 32-byte
    /// secret. A secret whose JWK `alg` is a content encryption (`A128GCM`…) is a `dir` key for
    /// that one `enc`. `use` must be `enc` when present. RSA keys under 2048 bits are refused.
    ///
    /// # Errors
    /// A [`KeyError`] for a public, weak, inconsistent or mismatched key.
    pub fn from_jwk(jwk: &Jwk, alg: Option<KeyAlgorithm>) -> Result<Self, Error> {
        let (alg, enc, public) = bound_numbers(
            jwk,
            alg,
            &["decrypt", "unwrapKey", "deriveKey", "deriveBits"],
        )?;
        let private = private_of(jwk, &public)?;
        let mut private_jwk = jwk.clone();
        private_jwk.alg = Some(alg_name(alg, enc).into());
        private_jwk.use_ = Some("enc".into());
        private_jwk.key_ops = None;
        Ok(Self {
            alg,
            enc,
            kid: jwk.kid.clone(),
            private,
            public,
            private_jwk,
        })
    }

    /// Generates a new key for `alg`: RSA 2048 bits, an ECDH key on `curve` (P-256 when
    /// `None`), or a random secret. A `dir` key needs `enc` (its length follows from it).
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] when `dir` comes without `enc`; [`Error::Crypto`].
    pub fn generate(
        alg: KeyAlgorithm,
        curve: Option<EcdhCurve>,
        enc: Option<ContentEncryption>,
    ) -> Result<Self, Error> {
        let jwk = match alg {
            KeyAlgorithm::RsaOaep | KeyAlgorithm::RsaOaep256 => {
                let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|_| Error::Crypto)?;
                let mut jwk = Jwk::from_material(
                    &Material::from_rsa_pair(&pair)?,
                    crate::Algorithm::RS256,
                    "",
                );
                jwk.kid = None;
                jwk
            }
            _ if alg.is_ecdh() => generate_ec(curve.unwrap_or(EcdhCurve::P256))?,
            KeyAlgorithm::Dir => {
                let enc = enc.ok_or_else(|| {
                    KeyError::Unsupported("a dir key needs its content encryption".into())
                })?;
                secret_jwk(enc.key_len())?
            }
            _ => secret_jwk(alg.wrap_key_len().unwrap_or(32))?,
        };
        let mut jwk = jwk;
        jwk.alg = Some(alg_name(alg, enc).into());
        jwk.use_ = None;
        let key = Self::from_jwk(&jwk, None)?;
        let thumbprint = key.thumbprint();
        Ok(key.with_kid(thumbprint))
    }

    /// Returns the same key with another `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        let kid = kid.into();
        self.private_jwk.kid = Some(kid.clone());
        self.kid = Some(kid);
        self
    }

    /// The one key management algorithm this key decrypts.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.alg
    }

    /// For a `dir` key bound to one content encryption, that one.
    pub fn content_encryption(&self) -> Option<ContentEncryption> {
        self.enc
    }

    /// The key id, when the JWK had one (generated keys have their thumbprint).
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The RFC 7638 SHA-256 thumbprint of the key.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.public)
    }

    /// The matching encryption key: the public half, or the same secret.
    ///
    /// # Errors
    /// Only if the backend refuses a public key it produced.
    pub fn encryption_key(&self) -> Result<EncryptionKey, Error> {
        EncryptionKey::from_numbers(self.alg, self.enc, self.kid.clone(), self.public.clone())
    }

    /// The private key as a JWK (with `alg`, `use: enc` and `kid`). Handle it as a secret.
    pub fn to_jwk(&self) -> Jwk {
        self.private_jwk.clone()
    }
}

impl EncryptionKey {
    /// Builds an encryption key from a JWK, public or private (only the public half is kept).
    /// The algorithm is chosen as for [`DecryptionKey::from_jwk`].
    ///
    /// # Errors
    /// A [`KeyError`] for an unusable, weak or mismatched key.
    pub fn from_jwk(jwk: &Jwk, alg: Option<KeyAlgorithm>) -> Result<Self, Error> {
        let (alg, enc, numbers) =
            bound_numbers(jwk, alg, &["encrypt", "wrapKey", "deriveKey", "deriveBits"])?;
        Self::from_numbers(alg, enc, jwk.kid.clone(), numbers)
    }

    /// Picks the key for `alg` from a JWK Set (a client's `jwks`): the first key that is not
    /// for signatures (`use` is `enc` or absent), whose `alg` is `alg` or absent, and whose
    /// type fits `alg`.
    ///
    /// # Errors
    /// [`Error::KeyNotFound`] when no key fits; the key error of a fitting but unusable key.
    pub fn select(jwks: &JwkSet, alg: KeyAlgorithm) -> Result<Self, Error> {
        let fits = |jwk: &&Jwk| {
            jwk.use_.as_deref().is_none_or(|u| u == "enc")
                && jwk.alg.as_deref().is_none_or(|a| a == alg.as_str())
                && public_numbers(jwk)
                    .ok()
                    .is_some_and(|numbers| check_family(alg, None, &numbers).is_ok())
        };
        let jwk = jwks.keys.iter().find(fits).ok_or(Error::KeyNotFound)?;
        Self::from_jwk(jwk, Some(alg))
    }

    fn from_numbers(
        alg: KeyAlgorithm,
        enc: Option<ContentEncryption>,
        kid: Option<String>,
        numbers: PublicNumbers,
    ) -> Result<Self, Error> {
        let public = match &numbers {
            PublicNumbers::Rsa { n, e } => {
                let spki = PublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                }
                .as_der()
                .map_err(|_| invalid("RSA numbers"))?;
                let key = PublicEncryptingKey::from_der(spki.as_ref())
                    .map_err(|_| invalid("RSA public key rejected"))?;
                Public::Rsa(OaepPublicEncryptingKey::new(key).map_err(|_| Error::Crypto)?)
            }
            PublicNumbers::Ec { curve, x, y } => Public::Ec(
                *curve,
                validated_point(*curve, x, y).map_err(|()| invalid("not a point on the curve"))?,
            ),
            PublicNumbers::Oct(k) => Public::Oct(k.clone()),
        };
        Ok(Self {
            alg,
            enc,
            kid,
            public,
            numbers,
        })
    }

    /// Returns the same key with another `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The one key management algorithm this key encrypts with.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.alg
    }

    /// For a `dir` key bound to one content encryption, that one.
    pub fn content_encryption(&self) -> Option<ContentEncryption> {
        self.enc
    }

    /// The key id, when it has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The RFC 7638 SHA-256 thumbprint of the key.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.numbers)
    }

    /// A header for this key: its `alg` and `kid`, with `enc`.
    pub fn header(&self, enc: ContentEncryption) -> super::Header {
        let mut header = super::Header::new(self.alg, enc);
        header.kid.clone_from(&self.kid);
        header
    }

    /// The key as a JWK (`alg`, `use: enc`, `kid`). For a shared secret it holds the secret.
    pub fn to_jwk(&self) -> Jwk {
        let mut jwk = numbers_jwk(&self.numbers);
        jwk.alg = Some(alg_name(self.alg, self.enc).into());
        jwk.use_ = Some("enc".into());
        jwk.kid.clone_from(&self.kid);
        jwk
    }
}

/// The JWK `alg` of a key: the `enc` of a `dir` key bound to one, else the `alg`.
fn alg_name(alg: KeyAlgorithm, enc: Option<ContentEncryption>) -> &'static str {
    match (alg, enc) {
        (KeyAlgorithm::Dir, Some(enc)) => enc.as_str(),
        _ => alg.as_str(),
    }
}

fn invalid(why: &str) -> Error {
    KeyError::Invalid(why.to_owned()).into()
}

/// What both kinds of key read from a JWK: its `use` and `key_ops` checked against `ops`, the
/// algorithm it is bound to (see [`resolve`]), and its public numbers, checked to fit that
/// algorithm.
fn bound_numbers(
    jwk: &Jwk,
    requested: Option<KeyAlgorithm>,
    ops: &[&str],
) -> Result<(KeyAlgorithm, Option<ContentEncryption>, PublicNumbers), Error> {
    check_use(jwk, ops)?;
    let (alg, enc) = resolve(jwk, requested)?;
    let numbers = public_numbers(jwk)?;
    check_family(alg, enc, &numbers)?;
    Ok((alg, enc, numbers))
}

/// Refuses a key whose `use` is not `enc` or whose `key_ops` allow none of `ops`.
fn check_use(jwk: &Jwk, ops: &[&str]) -> Result<(), Error> {
    if let Some(use_) = jwk.use_.as_deref().filter(|u| *u != "enc") {
        return Err(KeyError::UseNotPermitted(format!(
            "key has use {:?}, not \"enc\"",
            crate::error::cut(use_, 16)
        ))
        .into());
    }
    if let Some(key_ops) = &jwk.key_ops
        && !key_ops.iter().any(|op| ops.contains(&op.as_str()))
    {
        return Err(
            KeyError::UseNotPermitted(format!("key_ops does not include any of {ops:?}")).into(),
        );
    }
    Ok(())
}

/// The algorithm (and, for `dir`, the content encryption) the key is bound to.
fn resolve(
    jwk: &Jwk,
    requested: Option<KeyAlgorithm>,
) -> Result<(KeyAlgorithm, Option<ContentEncryption>), Error> {
    let declared = match jwk.alg.as_deref() {
        None => None,
        Some(name) => Some(declared_alg(name)?),
    };
    match (declared, requested) {
        (Some((alg, enc)), None) => Ok((alg, enc)),
        (Some((alg, enc)), Some(req)) if alg == req => Ok((alg, enc)),
        (Some((alg, _)), Some(req)) => Err(KeyError::AlgMismatch {
            key: alg.to_string(),
            requested: req.to_string(),
        }
        .into()),
        (None, Some(req)) => Ok((req, None)),
        (None, None) => default_alg(jwk).map(|alg| (alg, None)),
    }
}

fn declared_alg(name: &str) -> Result<(KeyAlgorithm, Option<ContentEncryption>), Error> {
    if let Ok(alg) = name.parse::<KeyAlgorithm>() {
        return Ok((alg, None));
    }
    if let Ok(enc) = name.parse::<ContentEncryption>() {
        return Ok((KeyAlgorithm::Dir, Some(enc)));
    }
    if name == "RSA1_5" {
        return Err(Error::AlgInsecure(name.into()));
    }
    let what = if name.parse::<crate::Algorithm>().is_ok() {
        "a signature algorithm, not a JWE one"
    } else {
        "not a supported JWE algorithm"
    };
    Err(KeyError::Unsupported(format!("alg {:?} is {what}", crate::error::cut(name, 32))).into())
}

fn default_alg(jwk: &Jwk) -> Result<KeyAlgorithm, Error> {
    match jwk.kty.as_str() {
        "RSA" => Ok(KeyAlgorithm::RsaOaep256),
        "EC" | "OKP" => Ok(KeyAlgorithm::EcdhEs),
        "oct" => match b64_member(&jwk.k, "k")?.len() {
            16 => Ok(KeyAlgorithm::A128Kw),
            32 => Ok(KeyAlgorithm::A256Kw),
            len => Err(KeyError::Unsupported(format!(
                "a {len}-byte secret without alg; give the JWK an alg (A128KW, A256KW, or an enc for dir)"
            ))
            .into()),
        },
        other => Err(unsupported_kty(other)),
    }
}

fn unsupported_kty(kty: &str) -> Error {
    KeyError::Unsupported(format!("kty {:?}", crate::error::cut(kty, 16))).into()
}

/// Checks that the key's type and size fit the algorithm.
fn check_family(
    alg: KeyAlgorithm,
    enc: Option<ContentEncryption>,
    numbers: &PublicNumbers,
) -> Result<(), Error> {
    let mismatch = |key: &str| -> Error {
        KeyError::AlgMismatch {
            key: key.into(),
            requested: alg.to_string(),
        }
        .into()
    };
    match (alg, numbers) {
        (KeyAlgorithm::RsaOaep | KeyAlgorithm::RsaOaep256, PublicNumbers::Rsa { n, e }) => {
            checks::rsa_public(n, e)
        }
        (_, PublicNumbers::Ec { .. }) if alg.is_ecdh() => Ok(()),
        (KeyAlgorithm::A128Kw | KeyAlgorithm::A256Kw, PublicNumbers::Oct(k)) => {
            let need = alg.wrap_key_len().unwrap_or(0);
            if k.len() == need {
                Ok(())
            } else {
                Err(KeyError::Invalid(format!(
                    "{alg} needs a {need}-byte key, this one has {}",
                    k.len()
                ))
                .into())
            }
        }
        (KeyAlgorithm::Dir, PublicNumbers::Oct(k)) => match enc {
            Some(enc) if enc.key_len() != k.len() => Err(KeyError::Invalid(format!(
                "{enc} needs a {}-byte key, this one has {}",
                enc.key_len(),
                k.len()
            ))
            .into()),
            None if !ContentEncryption::ALL
                .iter()
                .any(|e| e.key_len() == k.len()) =>
            {
                Err(
                    KeyError::Invalid(format!("no content encryption uses a {}-byte key", k.len()))
                        .into(),
                )
            }
            _ => Ok(()),
        },
        (_, PublicNumbers::Rsa { .. }) => Err(mismatch("an RSA key")),
        (_, PublicNumbers::Ec { curve, .. }) => {
            Err(mismatch(&format!("an ECDH {} key", curve.name())))
        }
        (_, PublicNumbers::Oct(_)) => Err(mismatch("a shared secret")),
    }
}

fn b64_member(member: &Option<String>, name: &str) -> Result<Vec<u8>, Error> {
    let text = member
        .as_deref()
        .ok_or_else(|| KeyError::Invalid(format!("JWK member {name:?} is missing")))?;
    crate::b64::decode(text.as_bytes())
        .ok_or_else(|| KeyError::Invalid(format!("JWK member {name:?} is not base64url")).into())
}

fn public_numbers(jwk: &Jwk) -> Result<PublicNumbers, Error> {
    if jwk.extra.contains_key("oth") {
        return Err(KeyError::Unsupported("multi-prime RSA keys".into()).into());
    }
    match jwk.kty.as_str() {
        "RSA" => Ok(PublicNumbers::Rsa {
            n: b64_member(&jwk.n, "n")?,
            e: b64_member(&jwk.e, "e")?,
        }),
        "EC" | "OKP" => {
            let curve = EcdhCurve::from_jwk(&jwk.kty, jwk.crv.as_deref()).ok_or_else(|| {
                KeyError::Unsupported(format!(
                    "{} curve {:?} for ECDH-ES (P-256, P-384 and X25519 are supported)",
                    jwk.kty,
                    jwk.crv.as_deref().map(|c| crate::error::cut(c, 16))
                ))
            })?;
            let x = b64_member(&jwk.x, "x")?;
            let y = match curve {
                EcdhCurve::X25519 if jwk.y.is_some() => {
                    return Err(invalid("an OKP key has no y"));
                }
                EcdhCurve::X25519 => Vec::new(),
                _ => b64_member(&jwk.y, "y")?,
            };
            curve
                .point(&x, &y)
                .ok_or_else(|| invalid("the key's coordinates have the wrong length"))?;
            Ok(PublicNumbers::Ec { curve, x, y })
        }
        "oct" => Ok(PublicNumbers::Oct(Zeroizing::new(b64_member(&jwk.k, "k")?))),
        other => Err(unsupported_kty(other)),
    }
}

/// Parses a public point with aws-lc, which checks that it lies on the curve.
pub(crate) fn validated_point(curve: EcdhCurve, x: &[u8], y: &[u8]) -> Result<Vec<u8>, ()> {
    let point = curve.point(x, y).ok_or(())?;
    parsed_point(curve, &point)?;
    Ok(point)
}

/// The point parsed (and so checked to lie on the curve) once, ready for ECDH.
pub(crate) fn parsed_point(
    curve: EcdhCurve,
    point: &[u8],
) -> Result<agreement::ParsedPublicKey, ()> {
    let unparsed = UnparsedPublicKey::new(curve.agreement(), point);
    agreement::ParsedPublicKey::try_from(&unparsed).map_err(|_| ())
}

fn private_of(jwk: &Jwk, public: &PublicNumbers) -> Result<Private, Error> {
    let missing = || -> Error {
        KeyError::UseNotPermitted("this is a public key; decryption needs the private key".into())
            .into()
    };
    match public {
        PublicNumbers::Oct(k) => Ok(Private::Oct(k.clone())),
        PublicNumbers::Rsa { n, e } => {
            if jwk.d.is_none() {
                return Err(missing());
            }
            let [d, p, q, dp, dq, qi] = [
                (&jwk.d, "d"),
                (&jwk.p, "p"),
                (&jwk.q, "q"),
                (&jwk.dp, "dp"),
                (&jwk.dq, "dq"),
                (&jwk.qi, "qi"),
            ]
            .map(|(member, name)| b64_member(member, name).map(Zeroizing::new));
            let (d, p, q, dp, dq, qi) = (d?, p?, q?, dp?, dq?, qi?);
            let components = KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                },
                d: d.as_slice(),
                p: p.as_slice(),
                q: q.as_slice(),
                dP: dp.as_slice(),
                dQ: dq.as_slice(),
                qInv: qi.as_slice(),
            };
            let pair = RsaKeyPair::from_components(&components)
                .map_err(|_| invalid("inconsistent RSA private numbers"))?;
            let pkcs8 = Zeroizing::new(
                AsDer::<Pkcs8V1Der>::as_der(&pair)
                    .map_err(|_| Error::Crypto)?
                    .as_ref()
                    .to_vec(),
            );
            let key = PrivateDecryptingKey::from_pkcs8(&pkcs8)
                .map_err(|_| invalid("RSA private key rejected"))?;
            Ok(Private::Rsa(
                OaepPrivateDecryptingKey::new(key).map_err(|_| Error::Crypto)?,
            ))
        }
        PublicNumbers::Ec { curve, x, y } => {
            let d = Zeroizing::new(
                jwk.d
                    .as_ref()
                    .map(|_| b64_member(&jwk.d, "d"))
                    .ok_or_else(missing)??,
            );
            let key = agreement::PrivateKey::from_private_key(curve.agreement(), &d)
                .map_err(|_| invalid("the private key is not a scalar of the curve"))?;
            let computed = key.compute_public_key().map_err(|_| Error::Crypto)?;
            if Some(computed.as_ref()) != curve.point(x, y).as_deref() {
                return Err(invalid("the private key does not match its public key"));
            }
            Ok(Private::Ec(key))
        }
    }
}

fn generate_ec(curve: EcdhCurve) -> Result<Jwk, Error> {
    let key = agreement::PrivateKey::generate(curve.agreement()).map_err(|_| Error::Crypto)?;
    let public = key.compute_public_key().map_err(|_| Error::Crypto)?;
    let d: Zeroizing<Vec<u8>> = match curve {
        EcdhCurve::X25519 => {
            let seed: Curve25519SeedBin<'_> = key.as_be_bytes().map_err(|_| Error::Crypto)?;
            Zeroizing::new(seed.as_ref().to_vec())
        }
        _ => {
            let bin: EcPrivateKeyBin<'_> = key.as_be_bytes().map_err(|_| Error::Crypto)?;
            Zeroizing::new(bin.as_ref().to_vec())
        }
    };
    let bytes = public.as_ref();
    let (x, y) = match curve {
        EcdhCurve::X25519 => (bytes.to_vec(), Vec::new()),
        _ => {
            let (x, y) = bytes[1..].split_at(curve.coordinate_len());
            (x.to_vec(), y.to_vec())
        }
    };
    let mut jwk = numbers_jwk(&PublicNumbers::Ec { curve, x, y });
    jwk.d = Some(crate::b64::encode(&d));
    Ok(jwk)
}

fn secret_jwk(len: usize) -> Result<Jwk, Error> {
    let mut secret = Zeroizing::new(vec![0u8; len]);
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| Error::Crypto)?;
    Ok(numbers_jwk(&PublicNumbers::Oct(secret)))
}

/// The public members of a key as a JWK (the secret, for `oct`).
fn numbers_jwk(numbers: &PublicNumbers) -> Jwk {
    use crate::b64::encode;
    let mut jwk = Jwk::default();
    match numbers {
        PublicNumbers::Rsa { n, e } => {
            jwk.kty = "RSA".into();
            (jwk.n, jwk.e) = (Some(encode(n)), Some(encode(e)));
        }
        PublicNumbers::Ec { curve, x, y } => {
            jwk.kty = curve.kty().into();
            jwk.crv = Some(curve.name().into());
            jwk.x = Some(encode(x));
            if !y.is_empty() {
                jwk.y = Some(encode(y));
            }
        }
        PublicNumbers::Oct(k) => {
            jwk.kty = "oct".into();
            jwk.k = Some(encode(k));
        }
    }
    jwk
}

/// The RFC 7638 thumbprint (RFC 8037 §2 for OKP keys).
fn thumbprint(numbers: &PublicNumbers) -> String {
    use crate::b64::encode;
    let canonical = match numbers {
        PublicNumbers::Rsa { n, e } => {
            format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, encode(e), encode(n))
        }
        PublicNumbers::Ec {
            curve: EcdhCurve::X25519,
            x,
            ..
        } => {
            format!(r#"{{"crv":"X25519","kty":"OKP","x":"{}"}}"#, encode(x))
        }
        PublicNumbers::Ec { curve, x, y } => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            curve.name(),
            encode(x),
            encode(y)
        ),
        PublicNumbers::Oct(k) => format!(r#"{{"k":"{}","kty":"oct"}}"#, encode(k)),
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    encode(digest.as_ref())
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptionKey")
            .field("alg", &self.alg)
            .field("enc", &self.enc)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("alg", &self.alg)
            .field("enc", &self.enc)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
