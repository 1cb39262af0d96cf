//! Key management (RFC 7518 §4): how the content encryption key (CEK) is made and carried
//! for each `alg`, on the sending and the receiving side.
//!
//! On the receiving side a failed unwrap does not stop decryption early: as RFC 7516 §11.5
//! advises, a random CEK takes the place of the one that could not be recovered, so that a bad
//! key, a bad RSA padding or a bad AES-KW integrity check fails at the tag, with the same error
//! and after the same work as a bad tag.

use aws_lc_rs::agreement;
use aws_lc_rs::digest;
use aws_lc_rs::key_wrap::{AES_128, AES_256, KeyEncryptionKey, KeyWrap};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm};
use zeroize::Zeroizing;

use super::key::{self, EcdhCurve, Private, Public};
use super::{DecryptionKey, EncryptionKey, Header, KeyAlgorithm};
use crate::error::Error;
use crate::jwk::Jwk;

/// A content encryption key, wiped from memory when dropped.
pub(crate) type Cek = Zeroizing<Vec<u8>>;

/// What the sender puts in the JWE: the CEK to encrypt with, the encrypted key part, and for
/// ECDH-ES the ephemeral public key for the header.
pub(crate) struct Wrapped {
    pub(crate) cek: Cek,
    pub(crate) encrypted_key: Vec<u8>,
    pub(crate) epk: Option<Jwk>,
}

/// Makes a CEK for `header.enc` and carries it to `key`'s holder.
///
/// # Errors
/// [`Error::EncNotAllowed`] for a `dir` key of another length; [`Error::Crypto`].
pub(crate) fn wrap(key: &EncryptionKey, header: &Header) -> Result<Wrapped, Error> {
    let enc = header.enc;
    let no_epk = |cek: Cek, encrypted_key: Vec<u8>| Wrapped {
        cek,
        encrypted_key,
        epk: None,
    };
    match &key.public {
        Public::Rsa(public) => {
            let cek = random(enc.key_len())?;
            let mut out = vec![0u8; public.ciphertext_size()];
            let len = public
                .encrypt(oaep(key.alg), &cek, &mut out, None)
                .map_err(|_| Error::Crypto)?
                .len();
            out.truncate(len);
            Ok(no_epk(cek, out))
        }
        Public::Ec(curve, point) => wrap_ecdh(key.alg, *curve, point, header),
        Public::Oct(secret) if key.alg == KeyAlgorithm::Dir => {
            if secret.len() != enc.key_len() {
                return Err(Error::EncNotAllowed(enc.to_string()));
            }
            Ok(no_epk(secret.clone(), Vec::new()))
        }
        Public::Oct(secret) => {
            let cek = random(enc.key_len())?;
            Ok(no_epk(cek.clone(), aes_wrap(secret, &cek)?))
        }
    }
}

fn wrap_ecdh(
    alg: KeyAlgorithm,
    curve: EcdhCurve,
    point: &[u8],
    header: &Header,
) -> Result<Wrapped, Error> {
    let ephemeral =
        agreement::PrivateKey::generate(curve.agreement()).map_err(|_| Error::Crypto)?;
    let public = ephemeral.compute_public_key().map_err(|_| Error::Crypto)?;
    let epk = epk_jwk(curve, public.as_ref());
    let peer = key::parsed_point(curve, point).map_err(|()| Error::Crypto)?;
    let derived = agree(&ephemeral, peer, alg, header, Error::Crypto)?;
    if alg == KeyAlgorithm::EcdhEs {
        return Ok(Wrapped {
            cek: derived,
            encrypted_key: Vec::new(),
            epk: Some(epk),
        });
    }
    let cek = random(header.enc.key_len())?;
    let encrypted_key = aes_wrap(&derived, &cek)?;
    Ok(Wrapped {
        cek,
        encrypted_key,
        epk: Some(epk),
    })
}

/// Recovers the CEK, or a random one of the right length when it cannot be recovered (see the
/// module header). Only an unusable `epk` is reported here, before the private key is used.
///
/// # Errors
/// [`Error::EpkInvalid`]; [`Error::Crypto`] when the random source fails.
pub(crate) fn unwrap(
    key: &DecryptionKey,
    header: &Header,
    encrypted_key: &[u8],
) -> Result<Cek, Error> {
    let enc = header.enc;
    let recovered = match &key.private {
        Private::Rsa(private) => {
            let mut out = Zeroizing::new(vec![0u8; private.min_output_size()]);
            private
                .decrypt(oaep(key.alg), encrypted_key, &mut out, None)
                .map(|cek| Zeroizing::new(cek.to_vec()))
                .ok()
        }
        Private::Ec(private) => unwrap_ecdh(key.alg, private, header, encrypted_key)?,
        Private::Oct(secret) if key.alg == KeyAlgorithm::Dir => {
            encrypted_key.is_empty().then(|| secret.clone())
        }
        Private::Oct(secret) => aes_unwrap(secret, encrypted_key),
    };
    match recovered {
        Some(cek) if cek.len() == enc.key_len() => Ok(cek),
        _ => random(enc.key_len()),
    }
}

fn unwrap_ecdh(
    alg: KeyAlgorithm,
    private: &agreement::PrivateKey,
    header: &Header,
    encrypted_key: &[u8],
) -> Result<Option<Cek>, Error> {
    let curve = curve_of(private);
    let point = epk_point(header.epk.as_ref(), curve)?;
    let Ok(derived) = agree(private, point, alg, header, Error::Decryption) else {
        return Ok(None);
    };
    if alg == KeyAlgorithm::EcdhEs {
        return Ok(encrypted_key.is_empty().then_some(derived));
    }
    Ok(aes_unwrap(&derived, encrypted_key))
}

fn curve_of(private: &agreement::PrivateKey) -> EcdhCurve {
    let alg = private.algorithm();
    if alg == &agreement::ECDH_P384 {
        EcdhCurve::P384
    } else if alg == &agreement::X25519 {
        EcdhCurve::X25519
    } else {
        EcdhCurve::P256
    }
}

/// The `epk` as a point on the recipient's curve, parsed once (which checks it).
fn epk_point(epk: Option<&Jwk>, curve: EcdhCurve) -> Result<agreement::ParsedPublicKey, Error> {
    let epk = epk.ok_or_else(|| Error::EpkInvalid("the header has no epk".into()))?;
    if EcdhCurve::from_jwk(&epk.kty, epk.crv.as_deref()) != Some(curve) {
        return Err(Error::EpkInvalid(format!(
            "not a {} key, the recipient key's curve",
            curve.name()
        )));
    }
    if epk.d.is_some() {
        return Err(Error::EpkInvalid("it holds a private key".into()));
    }
    let decode = |member: &Option<String>| {
        member
            .as_deref()
            .and_then(|text| crate::b64::decode(text.as_bytes()))
            .unwrap_or_default()
    };
    let (x, y) = (decode(&epk.x), decode(&epk.y));
    let point = curve
        .point(&x, &y)
        .ok_or_else(|| Error::EpkInvalid("the coordinates have the wrong length".into()))?;
    key::parsed_point(curve, &point)
        .map_err(|()| Error::EpkInvalid("not a point on the curve".into()))
}

fn epk_jwk(curve: EcdhCurve, public: &[u8]) -> Jwk {
    let mut jwk = Jwk::default();
    jwk.kty = curve.kty().into();
    jwk.crv = Some(curve.name().into());
    match curve {
        EcdhCurve::X25519 => jwk.x = Some(crate::b64::encode(public)),
        _ => {
            let (x, y) = public[1..].split_at(curve.coordinate_len());
            jwk.x = Some(crate::b64::encode(x));
            jwk.y = Some(crate::b64::encode(y));
        }
    }
    jwk
}

/// ECDH with the peer's point, then the Concat KDF of RFC 7518 §4.6.2.
fn agree(
    private: &agreement::PrivateKey,
    peer: agreement::ParsedPublicKey,
    alg: KeyAlgorithm,
    header: &Header,
    error: Error,
) -> Result<Cek, Error> {
    let (len, alg_id) = match alg.wrap_key_len() {
        Some(len) => (len, alg.as_str()),
        None => (header.enc.key_len(), header.enc.as_str()),
    };
    let apu = header.apu.as_deref().unwrap_or_default();
    let apv = header.apv.as_deref().unwrap_or_default();
    agreement::agree(private, peer, error, |z| {
        Ok(concat_kdf(z, len, alg_id, apu, apv))
    })
}

/// The Concat KDF of NIST SP 800-56A §5.8.1 with SHA-256, as RFC 7518 §4.6.2 fills it in.
pub(crate) fn concat_kdf(z: &[u8], len: usize, alg_id: &str, apu: &[u8], apv: &[u8]) -> Cek {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 32));
    let bits = u32::try_from(len * 8).unwrap_or(u32::MAX);
    let mut counter = 1u32;
    while out.len() < len {
        let mut context = digest::Context::new(&digest::SHA256);
        context.update(&counter.to_be_bytes());
        context.update(z);
        for part in [alg_id.as_bytes(), apu, apv] {
            let part_len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            context.update(&part_len.to_be_bytes());
            context.update(part);
        }
        context.update(&bits.to_be_bytes());
        out.extend_from_slice(context.finish().as_ref());
        counter += 1;
    }
    out.truncate(len);
    out
}

fn oaep(alg: KeyAlgorithm) -> &'static OaepAlgorithm {
    match alg {
        KeyAlgorithm::RsaOaep => &OAEP_SHA1_MGF1SHA1,
        _ => &OAEP_SHA256_MGF1SHA256,
    }
}

fn kek(secret: &[u8]) -> Option<KeyEncryptionKey<aws_lc_rs::key_wrap::AesBlockCipher>> {
    let cipher = match secret.len() {
        16 => &AES_128,
        32 => &AES_256,
        _ => return None,
    };
    KeyEncryptionKey::new(cipher, secret).ok()
}

/// AES key wrap (RFC 3394).
fn aes_wrap(secret: &[u8], cek: &[u8]) -> Result<Vec<u8>, Error> {
    let kek = kek(secret).ok_or(Error::Crypto)?;
    let mut out = vec![0u8; cek.len() + 8];
    let len = kek.wrap(cek, &mut out).map_err(|_| Error::Crypto)?.len();
    out.truncate(len);
    Ok(out)
}

/// AES key unwrap; `None` when the integrity check or a length fails.
fn aes_unwrap(secret: &[u8], wrapped: &[u8]) -> Option<Cek> {
    if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
        return None;
    }
    let kek = kek(secret)?;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let len = kek.unwrap(wrapped, &mut out).ok()?.len();
    out.truncate(len);
    Some(out)
}

fn random(len: usize) -> Result<Cek, Error> {
    let mut cek = Zeroizing::new(vec![0u8; len]);
    SystemRandom::new()
        .fill(&mut cek)
        .map_err(|_| Error::Crypto)?;
    Ok(cek)
}

/// A fresh random IV of `len` bytes.
pub(crate) fn random_iv(len: usize) -> Result<Vec<u8>, Error> {
    random(len).map(|iv| iv.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7518 Appendix C: Z of the P-256 example and the derived 128-bit key.
    #[test]
    fn concat_kdf_gives_the_rfc_7518_appendix_c_key() {
        let z = [
            158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49,
            110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
        ];
        let derived = concat_kdf(&z, 16, "A128GCM", b"Alice", b"Bob");
        assert_eq!(crate::b64::encode(&derived), "VqqN6vgjbSBcIijNcacQGg");
        // Two rounds for a 64-byte key: the first 32 bytes are not those of a 32-byte key
        // (the requested length is part of the input).
        // And Z itself, from Bob's private key and Alice's ephemeral public key.
        let doc: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/vectors/rfc-other/rfc7518_appendix_b_c.json"
        ))
        .expect("vector JSON");
        let c = &doc["appendix_c"];
        let b64 = |v: &serde_json::Value| {
            crate::b64::decode(v.as_str().expect("text").as_bytes()).expect("b64")
        };
        let bob = agreement::PrivateKey::from_private_key(
            &agreement::ECDH_P256,
            &b64(&c["bob_key"]["d"]),
        )
        .expect("Bob's key");
        let alice = [
            vec![4u8],
            b64(&c["alice_epk"]["x"]),
            b64(&c["alice_epk"]["y"]),
        ]
        .concat();
        let header = Header::new(
            KeyAlgorithm::EcdhEs,
            super::super::ContentEncryption::A128Gcm,
        );
        let header = Header {
            apu: Some(b"Alice".to_vec()),
            apv: Some(b"Bob".to_vec()),
            ..header
        };
        let alice = key::parsed_point(EcdhCurve::P256, &alice).expect("Alice's point");
        let derived = agree(
            &bob,
            alice,
            KeyAlgorithm::EcdhEs,
            &header,
            Error::Decryption,
        )
        .expect("agree");
        assert_eq!(
            crate::b64::encode(&derived),
            c["derived_key_b64u"].as_str().expect("key")
        );
        let long = concat_kdf(&z, 64, "A256CBC-HS512", b"", b"");
        assert_eq!(long.len(), 64);
        assert_ne!(
            long[..32],
            concat_kdf(&z, 32, "A256CBC-HS512", b"", b"")[..]
        );
    }
}
