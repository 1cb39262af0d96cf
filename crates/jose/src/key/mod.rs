//! Signing and verifying keys, each bound to one algorithm at construction.

pub(crate) mod checks;
pub(crate) mod material;
mod pem;
mod prefix;

use std::fmt;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use zeroize::Zeroizing;

use crate::alg::{Algorithm, KeyFamily};
use crate::error::{Error, KeyError};
use crate::jwk::Jwk;
use material::{Material, Signer, Verifier};
use prefix::HmacPrefix;

/// A key that verifies signatures of exactly one algorithm.
///
/// Built from a JWK, a PEM public key, or a [`SigningKey`]. A token whose header names any
/// other algorithm is refused before any cryptography runs.
pub struct VerifyingKey {
    alg: Algorithm,
    kid: String,
    /// The header a [`SigningKey`] with this algorithm and `kid` writes, encoded, and what
    /// [`crate::jws::Header`]'s parser reads from exactly those bytes. A token whose header
    /// part is byte-identical skips decoding and parsing it (see [`Self::known_header`]).
    known_header: Option<(String, crate::jws::Header)>,
    /// For HMAC keys: the hash state after that header, shared by every token that has it.
    hmac_prefix: Option<HmacPrefix>,
    verifier: Verifier,
    material: Material,
}

/// A private key (or shared secret) that signs with exactly one algorithm.
pub struct SigningKey {
    alg: Algorithm,
    kid: String,
    /// `{"alg":…,"typ":"JWT","kid":…}` encoded once: the header of every [`crate::jwt::sign`].
    jwt_header_b64: String,
    /// For HMAC keys: the hash state after that header, shared by every token it signs.
    hmac_prefix: Option<HmacPrefix>,
    signer: Signer,
    material: Material,
}

impl VerifyingKey {
    /// Builds a verifying key from a JWK.
    ///
    /// The algorithm is the JWK's `alg`, else `alg`, else the key type's default (RS256 for
    /// RSA, HS256 for `oct`, the curve's algorithm for EC and OKP); when both are given they
    /// must agree. `use` must be `sig` and `key_ops` must allow `verify` when present.
    ///
    /// # Errors
    /// A [`KeyError`] for an unusable, weak or mismatched key.
    pub fn from_jwk(jwk: &Jwk, alg: Option<Algorithm>) -> Result<Self, Error> {
        jwk.check_use("verify")?;
        // A private JWK is accepted so that one file can serve both roles; only the public
        // half is kept.
        let material = jwk.material()?.public_only();
        Self::bound(Binding::new(
            material,
            jwk.declared_alg()?,
            alg,
            jwk.kid.clone(),
        )?)
    }

    /// Builds a verifying key from a PEM public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC
    /// KEY`) or the public half of a PEM private key.
    ///
    /// # Errors
    /// [`KeyError::Pem`] for unreadable input, or a key error as for [`Self::from_jwk`].
    pub fn from_pem(pem: &str, alg: Option<Algorithm>) -> Result<Self, Error> {
        let material = pem::decode(pem)?.public_only();
        Self::bound(Binding::new(material, None, alg, None)?)
    }

    /// Builds an HMAC verifying key from a shared secret.
    ///
    /// # Errors
    /// [`KeyError::TooWeak`] when the secret is shorter than the hash output.
    pub fn from_secret(secret: &[u8], alg: Algorithm) -> Result<Self, Error> {
        Self::bound(Binding::secret(secret, alg)?)
    }

    fn bound(binding: Binding) -> Result<Self, Error> {
        let Binding { alg, kid, material } = binding;
        let verifier = material.verifier(alg)?;
        let known_header = known_header(alg, &kid);
        let hmac_prefix = match (&verifier, &known_header) {
            (Verifier::Hmac(key), Some((encoded, _))) => Some(HmacPrefix::new(key, encoded)),
            _ => None,
        };
        Ok(Self {
            alg,
            kid,
            known_header,
            hmac_prefix,
            verifier,
            material,
        })
    }

    /// The parsed header when `encoded` is byte for byte the encoded default JWT header of
    /// this key's algorithm and `kid`.
    pub(crate) fn known_header(&self, encoded: &str) -> Option<&crate::jws::Header> {
        self.known_header
            .as_ref()
            .filter(|(own, _)| own == encoded)
            .map(|(_, header)| header)
    }

    /// The encoded default JWT header of this key's algorithm and `kid`, when it has one.
    pub(crate) fn known_header_b64(&self) -> Option<&str> {
        self.known_header.as_ref().map(|(own, _)| own.as_str())
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id: the JWK's `kid`, or the RFC 7638 thumbprint when it had none.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The RFC 7638 SHA-256 thumbprint of the key.
    pub fn thumbprint(&self) -> String {
        self.material.thumbprint()
    }

    /// The key as a JWK with `kid`, `alg` and `use: sig`. For HMAC keys this contains the secret.
    pub fn to_jwk(&self) -> Jwk {
        Jwk::from_material(&self.material, self.alg, &self.kid)
    }

    /// The public key as SPKI PEM.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] for HMAC secrets, which have no public form.
    pub fn to_pem(&self) -> Result<String, Error> {
        pem::encode_public(&self.material)
    }

    /// Checks `signature` over `message` in constant time for HMAC.
    ///
    /// # Errors
    /// [`Error::Signature`] when it does not verify.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        let ok = match &self.verifier {
            Verifier::Hmac(key) => self
                .hmac_prefix
                .as_ref()
                .and_then(|prefix| prefix.verify(message, signature))
                .unwrap_or_else(|| hmac::verify(key, message, signature).is_ok()),
            Verifier::Public(_) => self.verifier.verify_public(self.alg, message, signature),
        };
        if ok { Ok(()) } else { Err(Error::Signature) }
    }

    /// True when the key was loaded with private material (a JWKS must not publish it).
    pub(crate) fn is_secret(&self) -> bool {
        matches!(self.material, Material::Oct(_))
    }
}

impl SigningKey {
    /// Generates a new key for `alg` (RSA keys are 2048 bits; see [`Self::generate_rsa`]).
    ///
    /// # Errors
    /// [`Error::Crypto`] if the random source or key generation fails.
    pub fn generate(alg: Algorithm) -> Result<Self, Error> {
        let material = match alg.family() {
            KeyFamily::Hmac => {
                let mut secret = Zeroizing::new(vec![0u8; alg.hmac_min_key_len()]);
                SystemRandom::new()
                    .fill(&mut secret)
                    .map_err(|_| Error::Crypto)?;
                Material::Oct(secret)
            }
            KeyFamily::Rsa => return Self::generate_rsa(alg, 2048),
            KeyFamily::Ec(curve) => {
                let pair = EcdsaKeyPair::generate(material::ecdsa_signing(curve))
                    .map_err(|_| Error::Crypto)?;
                Material::from_ec_pair(curve, &pair)?
            }
            KeyFamily::Ed25519 => Material::from_ed25519_pair(
                &Ed25519KeyPair::generate().map_err(|_| Error::Crypto)?,
            )?,
        };
        Self::bound(Binding::new(material, None, Some(alg), None)?)
    }

    /// Generates an RSA key of `bits` (2048, 3072 or 4096) for an RS* or PS* algorithm.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] for another size or a non-RSA algorithm.
    pub fn generate_rsa(alg: Algorithm, bits: usize) -> Result<Self, Error> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            _ => {
                return Err(KeyError::Unsupported(format!(
                    "RSA size {bits} (use 2048, 3072 or 4096)"
                ))
                .into());
            }
        };
        if alg.family() != KeyFamily::Rsa {
            return Err(KeyError::AlgMismatch {
                key: "an RSA key".into(),
                requested: alg.to_string(),
            }
            .into());
        }
        let pair = RsaKeyPair::generate(size).map_err(|_| Error::Crypto)?;
        Self::bound(Binding::new(
            Material::from_rsa_pair(&pair)?,
            None,
            Some(alg),
            None,
        )?)
    }

    /// Builds a signing key from a private JWK (algorithm chosen as for
    /// [`VerifyingKey::from_jwk`]; `key_ops` must allow `sign`).
    ///
    /// # Errors
    /// A [`KeyError`] for a public, weak, inconsistent or mismatched key.
    pub fn from_jwk(jwk: &Jwk, alg: Option<Algorithm>) -> Result<Self, Error> {
        jwk.check_use("sign")?;
        Self::bound(Binding::new(
            jwk.material()?,
            jwk.declared_alg()?,
            alg,
            jwk.kid.clone(),
        )?)
    }

    /// Builds a signing key from a PEM private key: PKCS#8 `PRIVATE KEY` (RSA, EC, Ed25519),
    /// PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY`.
    ///
    /// # Errors
    /// [`KeyError::Pem`] for unreadable input, or a key error as for [`Self::from_jwk`].
    pub fn from_pem(pem: &str, alg: Option<Algorithm>) -> Result<Self, Error> {
        Self::bound(Binding::new(pem::decode(pem)?, None, alg, None)?)
    }

    /// Builds an HMAC signing key from a shared secret.
    ///
    /// # Errors
    /// [`KeyError::TooWeak`] when the secret is shorter than the hash output.
    pub fn from_secret(secret: &[u8], alg: Algorithm) -> Result<Self, Error> {
        Self::bound(Binding::secret(secret, alg)?)
    }

    fn bound(binding: Binding) -> Result<Self, Error> {
        let Binding { alg, kid, material } = binding;
        let signer = material.signer(alg)?;
        let jwt_header_b64 = jwt_header_b64(alg, &kid);
        let hmac_prefix = hmac_prefix(&signer, &jwt_header_b64);
        Ok(Self {
            alg,
            kid,
            jwt_header_b64,
            hmac_prefix,
            signer,
            material,
        })
    }

    /// Returns the same key with another `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self.jwt_header_b64 = jwt_header_b64(self.alg, &self.kid);
        self.hmac_prefix = hmac_prefix(&self.signer, &self.jwt_header_b64);
        self
    }

    /// The encoded default JWT header of this key.
    pub(crate) fn jwt_header_b64(&self) -> &str {
        &self.jwt_header_b64
    }

    /// The one algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id put in the header of what it signs (the thumbprint unless set).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The matching verifying key (the public half, or the same secret for HMAC).
    ///
    /// # Errors
    /// Only if the backend fails to parse a public key it produced.
    pub fn verifying_key(&self) -> Result<VerifyingKey, Error> {
        VerifyingKey::bound(Binding {
            alg: self.alg,
            kid: self.kid.clone(),
            material: self.material.public_only(),
        })
    }

    /// The private key as a JWK (with `kid`, `alg`, `use: sig`). Handle it as a secret.
    pub fn to_jwk(&self) -> Jwk {
        Jwk::from_material(&self.material, self.alg, &self.kid)
    }

    /// The private key as PKCS#8 PEM. Handle it as a secret.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] for HMAC secrets, which have no PEM form.
    pub fn to_pem(&self) -> Result<Zeroizing<String>, Error> {
        pem::encode_private(&self.signer)
    }

    /// Signs `message` and returns the raw JWS signature (r||s for ECDSA).
    ///
    /// # Errors
    /// [`Error::Crypto`] if the backend fails.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.sign_with(message, <[u8]>::to_vec)
    }

    /// Signs `message` and hands the signature to `f` without copying it to the heap
    /// (except for RSA, whose signature length depends on the key).
    pub(crate) fn sign_with<R>(
        &self,
        message: &[u8],
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, Error> {
        match &self.signer {
            Signer::Hmac(key) => {
                let tag = self
                    .hmac_prefix
                    .as_ref()
                    .and_then(|prefix| prefix.sign(message))
                    .unwrap_or_else(|| hmac::sign(key, message));
                Ok(f(tag.as_ref()))
            }
            Signer::Rsa(pair, encoding) => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(*encoding, &SystemRandom::new(), message, &mut signature)
                    .map_err(|_| Error::Crypto)?;
                Ok(f(&signature))
            }
            Signer::Ec(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|sig| f(sig.as_ref()))
                .map_err(|_| Error::Crypto),
            Signer::Ed25519(pair) => Ok(f(pair.sign(message).as_ref())),
        }
    }

    /// An upper bound for the length of this key's signatures in base64url.
    pub(crate) fn signature_len_b64(&self) -> usize {
        let bytes = match &self.signer {
            Signer::Rsa(pair, _) => pair.public_modulus_len(),
            // HMAC-SHA512, ECDSA P-521 (r||s) and Ed25519 are at most 132 bytes.
            _ => 132,
        };
        bytes.div_ceil(3) * 4
    }
}

/// Key material bound to the one algorithm it serves and to its `kid`: what both kinds of key
/// are built from.
struct Binding {
    alg: Algorithm,
    kid: String,
    material: Material,
}

impl Binding {
    /// Binds `material` to the algorithm `declared` by its JWK or `requested` by the caller
    /// (they must agree), else to its type's default, and to `kid`, else to its RFC 7638
    /// thumbprint.
    fn new(
        material: Material,
        declared: Option<Algorithm>,
        requested: Option<Algorithm>,
        kid: Option<String>,
    ) -> Result<Self, Error> {
        let alg = material.resolve_alg(declared, requested)?;
        let kid = kid.unwrap_or_else(|| material.thumbprint());
        Ok(Self { alg, kid, material })
    }

    /// A shared secret for the HMAC algorithm `alg`.
    fn secret(secret: &[u8], alg: Algorithm) -> Result<Self, Error> {
        Self::new(
            Material::Oct(Zeroizing::new(secret.to_vec())),
            None,
            Some(alg),
            None,
        )
    }
}

/// The default JWT header of `alg` and `kid`, encoded, with the header the strict parser
/// reads from those very bytes. Taking the parser's own result (not a hand-built `Header`)
/// makes the cached value equal to what parsing a byte-identical token header gives, so the
/// shortcut cannot accept, refuse or report anything differently. `None` (never expected)
/// only means no shortcut.
fn known_header(alg: Algorithm, kid: &str) -> Option<(String, crate::jws::Header)> {
    let encoded = jwt_header_b64(alg, kid);
    let header = crate::jws::compact::decode_header(&encoded).ok()?;
    Some((encoded, header))
}

/// The HMAC state after the key's own header, for HMAC keys.
fn hmac_prefix(signer: &Signer, header_b64: &str) -> Option<HmacPrefix> {
    match signer {
        Signer::Hmac(key) => Some(HmacPrefix::new(key, header_b64)),
        _ => None,
    }
}

fn jwt_header_b64(alg: Algorithm, kid: &str) -> String {
    let header = crate::jws::Header::new(alg).with_typ("JWT").with_kid(kid);
    crate::b64::encode(header.to_json().as_bytes())
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_header_is_the_parsed_default_header_and_nothing_else() {
        let signing = SigningKey::from_secret(&[1; 32], Algorithm::HS256)
            .expect("secret")
            .with_kid("k-1");
        let verifying = signing.verifying_key().expect("same secret");
        let own = signing.jwt_header_b64();
        assert_eq!(verifying.known_header_b64(), Some(own));
        let parsed = crate::jws::compact::decode_header(own).expect("valid");
        assert_eq!(verifying.known_header(own), Some(&parsed));
        // Any one byte changed, and any prefix or extension, takes the normal path.
        for at in 0..own.len() {
            for byte in 0..=u8::MAX {
                let mut changed = own.as_bytes().to_vec();
                if changed[at] == byte {
                    continue;
                }
                changed[at] = byte;
                if let Ok(changed) = String::from_utf8(changed) {
                    assert!(verifying.known_header(&changed).is_none(), "{changed}");
                }
            }
            assert!(verifying.known_header(&own[..at]).is_none());
        }
        assert!(verifying.known_header(&format!("{own}A")).is_none());
    }
}
