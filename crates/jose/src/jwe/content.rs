//! Content encryption (RFC 7518 §5): AES-GCM, and AES-CBC with HMAC-SHA-2 composed as §5.2
//! says. Every failure to decrypt is the one [`Error::Decryption`]; the CBC tag is checked in
//! constant time before the padding is looked at, so neither is an oracle.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    AES_128, AES_256, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::{constant_time, hmac};
use zeroize::Zeroizing;

use super::ContentEncryption;
use crate::error::Error;

/// A ciphertext and its authentication tag.
pub(crate) struct Sealed {
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) tag: Vec<u8>,
}

/// Encrypts `plaintext` under `cek` and `iv`, authenticating `aad` too.
///
/// # Errors
/// [`Error::Crypto`] when the key or IV length does not fit `enc` (a bug of the caller).
pub(crate) fn encrypt(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Sealed, Error> {
    if cek.len() != enc.key_len() || iv.len() != enc.iv_len() {
        return Err(Error::Crypto);
    }
    match enc {
        ContentEncryption::A128Gcm | ContentEncryption::A256Gcm => {
            let key = gcm_key(enc, cek)?;
            let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| Error::Crypto)?;
            let mut ciphertext = plaintext.to_vec();
            let tag = key
                .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut ciphertext)
                .map_err(|_| Error::Crypto)?;
            Ok(Sealed {
                ciphertext,
                tag: tag.as_ref().to_vec(),
            })
        }
        ContentEncryption::A128CbcHs256 | ContentEncryption::A256CbcHs512 => {
            let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
            let cipher = PaddedBlockEncryptingKey::cbc_pkcs7(cbc_key(enc_key)?)
                .map_err(|_| Error::Crypto)?;
            let mut ciphertext = plaintext.to_vec();
            cipher
                .less_safe_encrypt(&mut ciphertext, EncryptionContext::Iv128(iv16(iv)?))
                .map_err(|_| Error::Crypto)?;
            let tag = cbc_tag(enc, mac_key, aad, iv, &ciphertext);
            Ok(Sealed { ciphertext, tag })
        }
    }
}

/// Decrypts and authenticates.
///
/// # Errors
/// [`Error::Decryption`] for any failure: a length, the tag, or the padding.
pub(crate) fn decrypt(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, Error> {
    if cek.len() != enc.key_len() || iv.len() != enc.iv_len() || tag.len() != enc.tag_len() {
        return Err(Error::Decryption);
    }
    match enc {
        ContentEncryption::A128Gcm | ContentEncryption::A256Gcm => {
            let key = gcm_key(enc, cek).map_err(|_| Error::Decryption)?;
            let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| Error::Decryption)?;
            let mut plaintext = ciphertext.to_vec();
            let len = key
                .open_in_place_separate_tag(nonce, Aad::from(aad), tag, &mut plaintext)
                .map_err(|_| Error::Decryption)?
                .len();
            plaintext.truncate(len);
            Ok(plaintext)
        }
        ContentEncryption::A128CbcHs256 | ContentEncryption::A256CbcHs512 => {
            let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
            let expected = Zeroizing::new(cbc_tag(enc, mac_key, aad, iv, ciphertext));
            constant_time::verify_slices_are_equal(&expected, tag)
                .map_err(|_| Error::Decryption)?;
            if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
                return Err(Error::Decryption);
            }
            let cipher = PaddedBlockDecryptingKey::cbc_pkcs7(
                cbc_key(enc_key).map_err(|_| Error::Decryption)?,
            )
            .map_err(|_| Error::Decryption)?;
            let mut plaintext = ciphertext.to_vec();
            let context = DecryptionContext::Iv128(iv16(iv).map_err(|_| Error::Decryption)?);
            let len = cipher
                .decrypt(&mut plaintext, context)
                .map_err(|_| Error::Decryption)?
                .len();
            plaintext.truncate(len);
            Ok(plaintext)
        }
    }
}

fn gcm_key(enc: ContentEncryption, cek: &[u8]) -> Result<LessSafeKey, Error> {
    let alg = match enc {
        ContentEncryption::A128Gcm => &aead::AES_128_GCM,
        _ => &aead::AES_256_GCM,
    };
    UnboundKey::new(alg, cek)
        .map(LessSafeKey::new)
        .map_err(|_| Error::Crypto)
}

fn cbc_key(enc_key: &[u8]) -> Result<UnboundCipherKey, Error> {
    let alg = if enc_key.len() == 16 {
        &AES_128
    } else {
        &AES_256
    };
    UnboundCipherKey::new(alg, enc_key).map_err(|_| Error::Crypto)
}

fn iv16(iv: &[u8]) -> Result<FixedLength<16>, Error> {
    FixedLength::<16>::try_from(iv).map_err(|_| Error::Crypto)
}

/// T = the first half of HMAC(MAC_KEY, A || IV || E || AL), AL the bit length of A as a
/// 64-bit big-endian number (RFC 7518 §5.2.2.1).
fn cbc_tag(
    enc: ContentEncryption,
    mac_key: &[u8],
    aad: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Vec<u8> {
    let alg = match enc {
        ContentEncryption::A256CbcHs512 => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    };
    let mut context = hmac::Context::with_key(&hmac::Key::new(alg, mac_key));
    context.update(aad);
    context.update(iv);
    context.update(ciphertext);
    let aad_bits = (aad.len() as u64).wrapping_mul(8);
    context.update(&aad_bits.to_be_bytes());
    let full = context.sign();
    full.as_ref()[..enc.tag_len()].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect()
    }

    /// RFC 7518 Appendix B.1 and B.3: the published ciphertext and tag, both ways.
    #[test]
    fn rfc_7518_appendix_b_cases() {
        let doc: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/vectors/rfc-other/rfc7518_appendix_b_c.json"
        ))
        .expect("vector JSON");
        let cases = doc["appendix_b"].as_array().expect("cases");
        assert_eq!(cases.len(), 2);
        for case in cases {
            let hex = |name: &str| unhex(case[name].as_str().expect(name));
            let enc: ContentEncryption = case["enc"].as_str().expect("enc").parse().expect("enc");
            let (key, iv, aad) = (hex("key_hex"), hex("iv_hex"), hex("aad_hex"));
            let sealed = encrypt(enc, &key, &iv, &aad, &hex("plaintext_hex")).expect("seal");
            assert_eq!(sealed.ciphertext, hex("ciphertext_hex"), "{enc}");
            assert_eq!(sealed.tag, hex("tag_hex"), "{enc}");
            let opened = decrypt(enc, &key, &iv, &aad, &sealed.ciphertext, &sealed.tag);
            assert_eq!(opened.ok(), Some(hex("plaintext_hex")));
        }
    }

    /// A valid tag over a ciphertext whose padding is wrong is refused with the same error as
    /// a bad tag: the padding is never an oracle.
    #[test]
    fn bad_padding_under_a_valid_tag_is_the_same_error() {
        let enc = ContentEncryption::A128CbcHs256;
        let cek = [3u8; 32];
        let iv = [4u8; 16];
        let (mac_key, enc_key) = cek.split_at(16);
        // One block encrypted without padding, whose last byte decrypts to 0x00 (bad PKCS#7).
        let raw =
            aws_lc_rs::cipher::EncryptingKey::cbc(cbc_key(enc_key).expect("key")).expect("cbc");
        let mut block = [0u8; 16];
        raw.less_safe_encrypt(&mut block, EncryptionContext::Iv128(FixedLength::from(&iv)))
            .expect("encrypt");
        let tag = cbc_tag(enc, mac_key, b"aad", &iv, &block);
        assert_eq!(
            decrypt(enc, &cek, &iv, b"aad", &block, &tag).map_err(|e| e.code()),
            Err("decryption_failed")
        );
    }

    #[test]
    fn every_enc_round_trips_and_refuses_any_change() {
        for enc in ContentEncryption::ALL {
            let cek = vec![7u8; enc.key_len()];
            let iv = vec![9u8; enc.iv_len()];
            for len in [0, 1, 15, 16, 17, 100] {
                let plaintext = vec![0x5a; len];
                let sealed = encrypt(enc, &cek, &iv, b"aad", &plaintext).expect("seal");
                let open = |aad: &[u8], ct: &[u8], tag: &[u8]| {
                    decrypt(enc, &cek, &iv, aad, ct, tag).map_err(|e| e.code())
                };
                assert_eq!(open(b"aad", &sealed.ciphertext, &sealed.tag), Ok(plaintext));
                assert_eq!(
                    open(b"aaD", &sealed.ciphertext, &sealed.tag),
                    Err("decryption_failed")
                );
                let mut tag = sealed.tag.clone();
                tag[0] ^= 1;
                assert_eq!(
                    open(b"aad", &sealed.ciphertext, &tag),
                    Err("decryption_failed")
                );
                assert_eq!(
                    open(b"aad", &sealed.ciphertext, &sealed.tag[1..]),
                    Err("decryption_failed")
                );
                if let Some(first) = sealed.ciphertext.first() {
                    let mut ct = sealed.ciphertext.clone();
                    ct[0] = first ^ 0x80;
                    assert_eq!(open(b"aad", &ct, &sealed.tag), Err("decryption_failed"));
                }
            }
        }
    }
}
