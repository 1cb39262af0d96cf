//! JWE rules: every alg/enc pair round-trips on every curve, and each rejection path gives
//! its stable code. Nested JWTs (sign, then encrypt) are checked end to end.

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::json;
use tessera_jose::jwe::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::jwe::{ContentEncryption, DecryptionKey, EcdhCurve, EncryptionKey, KeyAlgorithm};
use tessera_jose::{Algorithm, Claims, Jwk, SigningKey, Validator, b64, jwt};

use common::code;

/// One key per (alg, curve), made once: RSA key generation is slow in debug builds.
fn keys() -> &'static Vec<DecryptionKey> {
    static KEYS: OnceLock<Vec<DecryptionKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = Vec::new();
        for alg in KeyAlgorithm::ALL {
            let curves: &[Option<EcdhCurve>] = if alg.is_ecdh() {
                &[
                    Some(EcdhCurve::P256),
                    Some(EcdhCurve::P384),
                    Some(EcdhCurve::X25519),
                ]
            } else {
                &[None]
            };
            for curve in curves {
                let enc = (alg == KeyAlgorithm::Dir).then_some(ContentEncryption::A256Gcm);
                keys.push(DecryptionKey::generate(alg, *curve, enc).expect("generate"));
            }
        }
        keys
    })
}

fn key(alg: KeyAlgorithm) -> &'static DecryptionKey {
    keys()
        .iter()
        .find(|k| k.algorithm() == alg)
        .expect("a key for every alg")
}

fn encrypt_to(key: &DecryptionKey, enc: ContentEncryption, plaintext: &[u8]) -> String {
    let public = key.encryption_key().expect("public half");
    compact::encrypt(&public.header(enc), plaintext, &public).expect("encrypt")
}

#[test]
fn every_pair_round_trips_through_the_jwk_forms() {
    for key in keys() {
        for enc in ContentEncryption::ALL {
            if key.algorithm() == KeyAlgorithm::Dir && Some(enc) != key.content_encryption() {
                continue;
            }
            // The private key and the public key go through their JWK forms first.
            let private = DecryptionKey::from_jwk(&key.to_jwk(), None).expect("private JWK");
            let public_jwk = key.encryption_key().expect("public").to_jwk();
            assert_eq!(public_jwk.use_.as_deref(), Some("enc"));
            assert!(public_jwk.d.is_none());
            let public = EncryptionKey::from_jwk(&public_jwk, None).expect("public JWK");
            assert_eq!(public.thumbprint(), key.thumbprint());
            let token = compact::encrypt(&public.header(enc), b"hello", &public).expect("encrypt");
            let decrypted = compact::decrypt(&token, &private, DEFAULT_MAX_LEN).expect("decrypt");
            assert_eq!(decrypted.plaintext, b"hello", "{} {enc}", key.algorithm());
            assert_eq!(decrypted.header.enc, enc);
            assert_eq!(decrypted.header.kid.as_deref(), key.kid());
            assert_eq!(decrypted.header.epk.is_some(), key.algorithm().is_ecdh());
        }
    }
}

#[test]
fn a_key_decrypts_only_its_own_alg() {
    let token = encrypt_to(key(KeyAlgorithm::A128Kw), ContentEncryption::A128Gcm, b"x");
    for other in [
        KeyAlgorithm::RsaOaep256,
        KeyAlgorithm::A256Kw,
        KeyAlgorithm::EcdhEs,
    ] {
        assert_eq!(
            code(compact::decrypt(&token, key(other), DEFAULT_MAX_LEN)),
            "alg_not_allowed"
        );
    }
    // And a public key of one alg does not encrypt under another's header.
    let public = key(KeyAlgorithm::RsaOaep256)
        .encryption_key()
        .expect("public");
    let header = tessera_jose::jwe::Header::new(KeyAlgorithm::RsaOaep, ContentEncryption::A128Gcm);
    assert_eq!(
        code(compact::encrypt(&header, b"x", &public)),
        "alg_not_allowed"
    );
    // A wrong key of the right alg fails like any other decryption failure.
    let stranger = DecryptionKey::generate(KeyAlgorithm::A128Kw, None, None).expect("key");
    assert_eq!(
        code(compact::decrypt(&token, &stranger, DEFAULT_MAX_LEN)),
        "decryption_failed"
    );
}

#[test]
fn every_tampered_part_is_the_one_decryption_error() {
    for alg in [
        KeyAlgorithm::RsaOaep256,
        KeyAlgorithm::EcdhEsA256Kw,
        KeyAlgorithm::A256Kw,
    ] {
        for enc in [ContentEncryption::A256Gcm, ContentEncryption::A128CbcHs256] {
            let token = encrypt_to(key(alg), enc, b"attack at dawn");
            let parts: Vec<&str> = token.split('.').collect();
            for index in 1..5 {
                let mut bytes = b64::decode(parts[index].as_bytes()).expect("b64");
                let Some(first) = bytes.first_mut() else {
                    continue;
                };
                *first ^= 1;
                let mut changed: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
                changed[index] = b64::encode(&bytes);
                let got = code(compact::decrypt(
                    &changed.join("."),
                    key(alg),
                    DEFAULT_MAX_LEN,
                ));
                assert_eq!(got, "decryption_failed", "{alg} {enc} part {index}");
            }
            // A header changed in a way that still parses changes the AAD.
            let mut header: serde_json::Value =
                serde_json::from_slice(&b64::decode(parts[0].as_bytes()).expect("b64"))
                    .expect("json");
            header["x"] = json!(1);
            let mut changed: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
            changed[0] = b64::encode(header.to_string().as_bytes());
            assert_eq!(
                code(compact::decrypt(
                    &changed.join("."),
                    key(alg),
                    DEFAULT_MAX_LEN
                )),
                "decryption_failed"
            );
        }
    }
}

#[test]
fn structural_refusals_have_their_codes() {
    let key = key(KeyAlgorithm::A256Kw);
    let token = encrypt_to(key, ContentEncryption::A256Gcm, b"x");
    let decrypt = |t: &str| code(compact::decrypt(t, key, DEFAULT_MAX_LEN));
    assert_eq!(
        code(compact::decrypt(&token, key, token.len() - 1)),
        "token_too_large"
    );
    assert_eq!(decrypt(&format!("{token}.x")), "token_malformed");
    assert_eq!(
        decrypt(token.rsplit_once('.').expect("parts").0),
        "token_malformed"
    );
    let parts: Vec<&str> = token.split('.').collect();
    for index in 0..5 {
        let mut changed: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
        changed[index].push('=');
        assert_eq!(
            decrypt(&changed.join(".")),
            "token_malformed",
            "part {index}"
        );
    }
    // An empty encrypted key where one is needed is a decryption failure, not a crash.
    let mut changed: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
    changed[1].clear();
    assert_eq!(decrypt(&changed.join(".")), "decryption_failed");
}

/// A header with the given JSON, and valid-looking other parts.
fn with_header(header: serde_json::Value) -> String {
    format!(
        "{}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        b64::encode(header.to_string().as_bytes())
    )
}

#[test]
fn header_refusals_have_their_codes() {
    let key = key(KeyAlgorithm::A256Kw);
    let decrypt = |h| code(compact::decrypt(&with_header(h), key, DEFAULT_MAX_LEN));
    assert_eq!(
        decrypt(json!({"alg": "RSA1_5", "enc": "A256GCM"})),
        "alg_insecure"
    );
    assert_eq!(
        decrypt(json!({"alg": "PBES2-HS256+A128KW", "enc": "A256GCM"})),
        "alg_not_allowed"
    );
    assert_eq!(
        decrypt(json!({"alg": "A256KW", "enc": "A192CBC-HS384"})),
        "enc_not_allowed"
    );
    assert_eq!(
        decrypt(json!({"alg": "A256KW", "enc": "A256GCM", "zip": "DEF"})),
        "zip_unsupported"
    );
    assert_eq!(
        decrypt(json!({"alg": "A256KW", "enc": "A256GCM", "crit": ["exp"], "exp": 1})),
        "crit_unsupported"
    );
    assert_eq!(
        decrypt(json!({"alg": "A256KW", "enc": "A256GCM", "jku": "https://evil.example"})),
        "header_key_forbidden"
    );
}

#[test]
fn epk_must_be_a_public_point_on_the_recipient_curve() {
    let p256 = keys()
        .iter()
        .find(|k| k.algorithm() == KeyAlgorithm::EcdhEs)
        .expect("P-256 ECDH-ES key");
    let token = encrypt_to(p256, ContentEncryption::A128Gcm, b"x");
    let parts: Vec<&str> = token.split('.').collect();
    let header: serde_json::Value =
        serde_json::from_slice(&b64::decode(parts[0].as_bytes()).expect("b64")).expect("json");
    let with_epk = |epk: serde_json::Value| {
        let mut changed = header.clone();
        match epk {
            serde_json::Value::Null => {
                changed.as_object_mut().expect("object").remove("epk");
            }
            epk => changed["epk"] = epk,
        }
        let mut all: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
        all[0] = b64::encode(changed.to_string().as_bytes());
        code(compact::decrypt(&all.join("."), p256, DEFAULT_MAX_LEN))
    };
    let epk = header["epk"].clone();
    assert_eq!(with_epk(serde_json::Value::Null), "epk_invalid");
    let mut off_curve = epk.clone();
    let mut y = b64::decode(epk["y"].as_str().expect("y").as_bytes()).expect("b64");
    y[31] ^= 1;
    off_curve["y"] = b64::encode(&y).into();
    assert_eq!(with_epk(off_curve), "epk_invalid");
    let mut other_curve = epk.clone();
    other_curve["crv"] = "P-384".into();
    assert_eq!(with_epk(other_curve), "epk_invalid");
    let x25519 = json!({"kty": "OKP", "crv": "X25519", "x": b64::encode(&[9; 32])});
    assert_eq!(with_epk(x25519), "epk_invalid");
    let mut private = epk.clone();
    private["d"] = b64::encode(&[1; 32]).into();
    assert_eq!(with_epk(private), "epk_invalid");
    // The genuine epk still decrypts.
    assert_eq!(with_epk(epk), "ok");
}

#[test]
fn key_loading_refusals_have_their_codes() {
    let rsa = key(KeyAlgorithm::RsaOaep256).to_jwk();
    let mut sig = rsa.clone();
    sig.use_ = Some("sig".into());
    assert_eq!(
        code(DecryptionKey::from_jwk(&sig, None)),
        "key_use_not_permitted"
    );
    let mut jws_alg = rsa.clone();
    jws_alg.alg = Some("RS256".into());
    assert_eq!(
        code(DecryptionKey::from_jwk(&jws_alg, None)),
        "key_unsupported"
    );
    let mut rsa1_5 = rsa.clone();
    rsa1_5.alg = Some("RSA1_5".into());
    assert_eq!(code(DecryptionKey::from_jwk(&rsa1_5, None)), "alg_insecure");
    assert_eq!(
        code(DecryptionKey::from_jwk(&rsa, Some(KeyAlgorithm::A128Kw))),
        "key_alg_mismatch"
    );
    let public = key(KeyAlgorithm::RsaOaep256)
        .encryption_key()
        .expect("public")
        .to_jwk();
    assert_eq!(
        code(DecryptionKey::from_jwk(&public, None)),
        "key_use_not_permitted"
    );
    // RSA under 2048 bits: RFC 7516 A.1's key with its modulus cut to 1024 bits.
    let mut short = rsa.clone();
    let n = b64::decode(short.n.as_deref().expect("n").as_bytes()).expect("b64");
    short.n = Some(b64::encode(&n[..128]));
    assert_eq!(code(EncryptionKey::from_jwk(&short, None)), "key_too_weak");
    let oct = Jwk::from_json(br#"{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAA"}"#).expect("jwk");
    assert_eq!(code(DecryptionKey::from_jwk(&oct, None)), "key_unsupported");
    assert_eq!(
        code(DecryptionKey::from_jwk(&oct, Some(KeyAlgorithm::A128Kw))),
        "key_invalid"
    );
    let ed = Jwk::from_json(
        br#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
    )
    .expect("jwk");
    assert_eq!(code(EncryptionKey::from_jwk(&ed, None)), "key_unsupported");
}

#[test]
fn select_picks_the_encryption_key_of_a_jwks() {
    let signing = SigningKey::generate(Algorithm::ES256).expect("key");
    let enc = key(KeyAlgorithm::RsaOaep256)
        .encryption_key()
        .expect("public");
    let jwks = tessera_jose::JwkSet::from_json(
        json!({"keys": [signing.verifying_key().expect("pub").to_jwk(), enc.to_jwk()]})
            .to_string()
            .as_bytes(),
    )
    .expect("jwks");
    let picked = EncryptionKey::select(&jwks, KeyAlgorithm::RsaOaep256).expect("found");
    assert_eq!(picked.thumbprint(), enc.thumbprint());
    assert_eq!(
        code(EncryptionKey::select(&jwks, KeyAlgorithm::A128Kw)),
        "kid_unknown"
    );
}

#[test]
fn nested_jwts_are_signed_then_encrypted_and_checked_both_ways() {
    let issuer = SigningKey::generate(Algorithm::ES256).expect("key");
    let client = key(KeyAlgorithm::EcdhEsA128Kw);
    let public = client.encryption_key().expect("public");
    let claims = Claims::new().with_subject("u-1").with_expiry(4_102_444_800);
    let token = jwt::sign_and_encrypt(&claims, &issuer, &public, ContentEncryption::A256Gcm)
        .expect("nested");
    let verifying = issuer.verifying_key().expect("pub");
    let validator = Validator::default();
    let verified = validator
        .decrypt_and_verify(&token, client, &verifying)
        .expect("valid");
    assert_eq!(verified.claims.sub.as_deref(), Some("u-1"));
    // Another issuer's key: the inner signature is refused.
    let other = SigningKey::generate(Algorithm::ES256)
        .expect("key")
        .verifying_key()
        .expect("pub");
    assert_eq!(
        code(validator.decrypt_and_verify(&token, client, &other)),
        "signature_invalid"
    );
    // No cty JWT, an unsigned inner token, plain claims inside.
    let encrypt = |header: tessera_jose::jwe::Header, content: &[u8]| {
        compact::encrypt(&header, content, &public).expect("encrypt")
    };
    let plain = public.header(ContentEncryption::A256Gcm);
    let signed = jwt::sign(&claims, &issuer).expect("sign");
    assert_eq!(
        code(validator.decrypt_and_verify(
            &encrypt(plain.clone(), signed.as_bytes()),
            client,
            &verifying
        )),
        "jwe_not_nested"
    );
    let nested = plain.with_cty("JWT");
    let none = format!(
        "{}.{}.",
        b64::encode(br#"{"alg":"none"}"#),
        b64::encode(claims.to_json().as_bytes())
    );
    assert_eq!(
        code(validator.decrypt_and_verify(
            &encrypt(nested.clone(), none.as_bytes()),
            client,
            &verifying
        )),
        "alg_not_allowed"
    );
    assert_eq!(
        code(validator.decrypt_and_verify(
            &encrypt(nested.clone(), claims.to_json().as_bytes()),
            client,
            &verifying
        )),
        "jwe_not_nested"
    );
    // An expired inner token is refused by the validator as any token is.
    let expired = Claims::new().with_expiry(1_000);
    let token = jwt::sign_and_encrypt(&expired, &issuer, &public, ContentEncryption::A128Gcm)
        .expect("nested");
    assert_eq!(
        code(validator.decrypt_and_verify(&token, client, &verifying)),
        "jwt_expired"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any plaintext round-trips under any pair, and any single-byte change of the token is
    /// refused (never accepted with other content, never a panic).
    #[test]
    fn round_trip_and_single_byte_changes(
        plaintext in proptest::collection::vec(any::<u8>(), 0..300),
        key_index in 0usize..10,
        enc_index in 0usize..4,
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let key = &keys()[key_index % keys().len()];
        let enc = key.content_encryption().unwrap_or(ContentEncryption::ALL[enc_index]);
        let token = encrypt_to(key, enc, &plaintext);
        let decrypted = compact::decrypt(&token, key, DEFAULT_MAX_LEN).expect("decrypt");
        prop_assert_eq!(&decrypted.plaintext, &plaintext);
        let mut bytes = token.clone().into_bytes();
        let at = position.index(bytes.len());
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        if let Ok(changed) = String::from_utf8(bytes)
            && let Ok(other) = compact::decrypt(&changed, key, DEFAULT_MAX_LEN)
        {
            // Only an equivalent re-encoding could decrypt, and base64url is canonical.
            prop_assert_eq!(other.plaintext, plaintext, "a changed token decrypted");
        }
    }
}
