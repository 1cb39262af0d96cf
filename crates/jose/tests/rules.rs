//! The rejection rules: one test per JOSE rule of the design (RFC 8725 and the claim checks),
//! each asserting the exact error code. Tokens are built by hand where a rule needs bytes the
//! library would never produce, and carry real signatures so that the rule, not the signature
//! check, is what refuses them.

mod common;

use std::sync::Arc;
use std::time::Duration;

use tessera_jose::jws::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::{
    Algorithm, Claims, FixedClock, Jwk, JwkSet, KeySet, SigningKey, Validator, ValidatorBuilder,
    VerifyingKey, b64, jwt,
};

use common::{code, forge, parse, sign_input, unhex};

const NOW: i64 = 1_700_000_000;
const SECRET: [u8; 32] = [0x5a; 32];
const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
const RSA_PUBLIC: &str = include_str!("vectors/rfc7520/jwk/3_3.rsa_public_key.json");
const RSA_PRIVATE: &str = include_str!("vectors/rfc7520/jwk/3_4.rsa_private_key.json");
const EC_PUBLIC: &str = include_str!("vectors/rfc7520/jwk/3_1.ec_public_key.json");
const WYCHEPROOF_KEYS: &str = include_str!("vectors/wycheproof/json_web_key_test.json");

fn hmac() -> SigningKey {
    SigningKey::from_secret(&SECRET, Algorithm::HS256).expect("32-byte secret")
}

fn hmac_verifier() -> VerifyingKey {
    hmac().verifying_key().expect("same secret")
}

fn jwk(json: &str) -> Jwk {
    Jwk::from_json(json.as_bytes()).expect("test JWK parses")
}

/// A validator at the fixed instant [`NOW`].
fn validator() -> ValidatorBuilder {
    Validator::builder().clock(Arc::new(FixedClock(NOW)))
}

/// An HS256 JWT with exactly these claim bytes, validated by `builder` with the HMAC key.
///
/// `Validator::verify_view` must give the same verdict as `Validator::verify`, so every claim
/// rule below is checked on both.
fn claims_code(builder: ValidatorBuilder, claims: &str) -> &'static str {
    let token = forge(HS256_HEADER, claims.as_bytes(), &hmac());
    let validator = builder.build();
    let owned = code(validator.verify(&token, &hmac_verifier()));
    let view = code(validator.verify_view(&token, &hmac_verifier()));
    assert_eq!(owned, view, "verify and verify_view disagree on {claims}");
    owned
}

/// An HS256 token with this header (and a valid signature), verified with the HMAC key.
fn header_code(header: &str) -> &'static str {
    let token = forge(header, br#"{"sub":"s"}"#, &hmac());
    code(compact::verify(&token, &hmac_verifier(), DEFAULT_MAX_LEN))
}

fn with_exp(extra: &str) -> String {
    format!(r#"{{"exp":{},{extra}}}"#, NOW + 600)
}

#[test]
fn none_is_refused_in_any_spelling() {
    let key = hmac_verifier();
    let mut set = KeySet::default();
    set.push(hmac_verifier()).expect("one key");
    let payload = with_exp(r#""sub":"s""#);
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = format!(r#"{{"alg":"{alg}"}}"#);
        let unsigned = format!(
            "{}.{}.",
            b64::encode(header.as_bytes()),
            b64::encode(payload.as_bytes())
        );
        let with_mac = forge(&header, payload.as_bytes(), &hmac());
        for token in [&unsigned, &with_mac] {
            assert_eq!(
                code(compact::verify(token, &key, DEFAULT_MAX_LEN)),
                "alg_not_allowed"
            );
            assert_eq!(
                code(compact::verify(token, &set, DEFAULT_MAX_LEN)),
                "alg_not_allowed"
            );
            assert_eq!(
                code(validator().build().verify(token, &key)),
                "alg_not_allowed"
            );
        }
        assert_eq!(code(alg.parse::<Algorithm>()), "alg_not_allowed");
    }
    // No `alg` at all, or one that is not a string, is no better.
    assert_eq!(header_code(r#"{"typ":"JWT"}"#), "alg_not_allowed");
    assert_eq!(header_code(r#"{"alg":null}"#), "token_malformed");
}

#[test]
fn the_key_decides_the_algorithm_not_the_header() {
    let rsa_jwk = jwk(RSA_PUBLIC);
    let rsa = VerifyingKey::from_jwk(&rsa_jwk, None).expect("RSA key");
    assert_eq!(rsa.algorithm(), Algorithm::RS256);
    let mut set = KeySet::default();
    set.push(VerifyingKey::from_jwk(&rsa_jwk, None).expect("RSA key"))
        .expect("one key");
    let pem = rsa.to_pem().expect("SPKI PEM");
    // The classic confusion: an HS256 MAC keyed with the public key's published bytes.
    for secret in [pem.as_bytes(), RSA_PUBLIC.as_bytes()] {
        let attacker = SigningKey::from_secret(secret, Algorithm::HS256).expect("long secret");
        for header in [
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"HS256","kid":"bilbo.baggins@hobbiton.example"}"#,
        ] {
            let token = forge(header, with_exp("\"a\":1").as_bytes(), &attacker);
            // The forgery is real: a verifier that let the header pick HMAC would accept it.
            let naive = VerifyingKey::from_secret(secret, Algorithm::HS256).expect("secret");
            assert_eq!(code(compact::verify(&token, &naive, DEFAULT_MAX_LEN)), "ok");
            assert_eq!(
                code(compact::verify(&token, &rsa, DEFAULT_MAX_LEN)),
                "alg_not_allowed"
            );
            assert_eq!(
                code(compact::verify(&token, &set, DEFAULT_MAX_LEN)),
                "alg_not_allowed"
            );
            assert_eq!(
                code(validator().build().verify(&token, &rsa)),
                "alg_not_allowed"
            );
        }
    }
    // Nor can the RSA key be loaded as an HMAC key, by request, PEM or JWK `alg`.
    let mismatch = "key_alg_mismatch";
    assert_eq!(
        code(VerifyingKey::from_jwk(&rsa_jwk, Some(Algorithm::HS256))),
        mismatch
    );
    assert_eq!(
        code(VerifyingKey::from_pem(&pem, Some(Algorithm::HS256))),
        mismatch
    );
    let mut hs_rsa = rsa_jwk.clone();
    hs_rsa.alg = Some("HS256".into());
    assert_eq!(code(VerifyingKey::from_jwk(&hs_rsa, None)), mismatch);
    // Within the RSA family the binding holds too: a real PS256 signature by the same key.
    let ps256 = SigningKey::from_jwk(&jwk(RSA_PRIVATE), Some(Algorithm::PS256)).expect("PS256");
    let token = forge(r#"{"alg":"PS256"}"#, b"{}", &ps256);
    assert_eq!(
        code(compact::verify(&token, &rsa, DEFAULT_MAX_LEN)),
        "alg_not_allowed"
    );
}

#[test]
fn embedded_key_headers_are_refused() {
    assert_eq!(header_code(r#"{"alg":"HS256"}"#), "ok", "control");
    let jwk_member = format!(r#""jwk":{}"#, RSA_PUBLIC.trim());
    for member in [
        jwk_member.as_str(),
        r#""jku":"https://attacker.example/jwks.json""#,
        r#""x5u":"https://attacker.example/cert.pem""#,
        r#""x5c":["MIIBszCCAVmgAwIBAgIUDtbf"]"#,
    ] {
        let header = format!(r#"{{"alg":"HS256",{member}}}"#);
        assert_eq!(header_code(&header), "header_key_forbidden", "{member}");
    }
}

/// The 1024-bit RSA key of Wycheproof's `keysize_too_small` group: (public, private).
fn rsa_1024() -> (Jwk, Jwk) {
    let doc = parse(WYCHEPROOF_KEYS);
    let group = doc["testGroups"]
        .as_array()
        .and_then(|groups| groups.iter().find(|g| g["comment"] == "keysize_too_small"))
        .expect("keysize_too_small group");
    let key = |set: &str| jwk(&group[set]["keys"][0].to_string());
    (key("public"), key("private"))
}

#[test]
fn rsa_keys_under_2048_bits_are_refused() {
    let (public, private) = rsa_1024();
    assert_eq!(
        b64::decode(public.n.as_deref().unwrap_or_default().as_bytes()).map(|n| n.len()),
        Some(128)
    );
    assert_eq!(code(VerifyingKey::from_jwk(&public, None)), "key_too_weak");
    assert_eq!(code(SigningKey::from_jwk(&private, None)), "key_too_weak");
    let jwks = JwkSet::from_json(format!(r#"{{"keys":[{}]}}"#, public.to_json()).as_bytes())
        .expect("JWKS");
    assert_eq!(code(KeySet::from_jwks(&jwks, &[])), "key_too_weak");
    // 2047 bits: the 2048-bit cookbook modulus with its top bit cleared.
    let mut short = jwk(RSA_PUBLIC);
    let mut n = b64::decode(short.n.as_deref().unwrap_or_default().as_bytes()).expect("n");
    assert_eq!(n.len(), 256);
    n[0] &= 0x7f;
    short.n = Some(b64::encode(&n));
    assert_eq!(code(VerifyingKey::from_jwk(&short, None)), "key_too_weak");
    assert_eq!(code(VerifyingKey::from_jwk(&jwk(RSA_PUBLIC), None)), "ok");
    assert_eq!(
        code(SigningKey::generate_rsa(Algorithm::RS256, 1024)),
        "key_unsupported"
    );
}

#[test]
fn short_hmac_secrets_are_refused() {
    for (alg, min) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        for (len, expected) in [(0, "key_too_weak"), (min - 1, "key_too_weak"), (min, "ok")] {
            let secret = vec![7u8; len];
            assert_eq!(
                code(VerifyingKey::from_secret(&secret, alg)),
                expected,
                "{alg} {len}"
            );
            assert_eq!(
                code(SigningKey::from_secret(&secret, alg)),
                expected,
                "{alg} {len}"
            );
            let json = format!(
                r#"{{"kty":"oct","alg":"{alg}","k":"{}"}}"#,
                b64::encode(&secret)
            );
            assert_eq!(code(VerifyingKey::from_jwk(&jwk(&json), None)), expected);
        }
    }
    // Without `alg`, an `oct` key defaults to HS256 and needs 32 bytes.
    let json = format!(r#"{{"kty":"oct","k":"{}"}}"#, b64::encode(&[7u8; 31]));
    assert_eq!(
        code(VerifyingKey::from_jwk(&jwk(&json), None)),
        "key_too_weak"
    );
}

/// The group orders n of P-256, P-384 and P-521, big-endian, as long as r or s.
const ORDERS: [(Algorithm, &str); 3] = [
    (
        Algorithm::ES256,
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
    ),
    (
        Algorithm::ES384,
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf\
         581a0db248b0a77aecec196accc52973",
    ),
    (
        Algorithm::ES512,
        "01ffffffffffffffffffffffffffffffffffffffffff\
         fffffffffffffffffffffffa51868783bf2f966b7fcc\
         0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    ),
];

/// A fresh ECDSA key for `alg`, its verifier, a signing input and a valid r||s over it.
fn ecdsa(alg: Algorithm) -> (VerifyingKey, String, Vec<u8>) {
    let key = SigningKey::generate(alg).expect("EC key");
    let header = format!(r#"{{"alg":"{alg}"}}"#);
    let input = format!("{}.{}", b64::encode(header.as_bytes()), b64::encode(b"{}"));
    let signature = key.sign(input.as_bytes()).expect("signs");
    (key.verifying_key().expect("public half"), input, signature)
}

fn verify_with_signature(key: &VerifyingKey, input: &str, signature: &[u8]) -> &'static str {
    let token = format!("{input}.{}", b64::encode(signature));
    code(compact::verify(&token, key, DEFAULT_MAX_LEN))
}

/// The DER `SEQUENCE { INTEGER r, INTEGER s }` form that JWS does not use.
fn der_signature(signature: &[u8]) -> Vec<u8> {
    let integer = |bytes: &[u8]| {
        let start = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        let mut value = bytes[start..].to_vec();
        if value[0] & 0x80 != 0 {
            value.insert(0, 0);
        }
        [vec![0x02, value.len() as u8], value].concat()
    };
    let (r, s) = signature.split_at(signature.len() / 2);
    let body = [integer(r), integer(s)].concat();
    let len = body.len() as u8;
    let head = if len < 0x80 {
        vec![0x30, len]
    } else {
        vec![0x30, 0x81, len]
    };
    [head, body].concat()
}

#[test]
fn ecdsa_signatures_must_be_exactly_r_then_s() {
    for (alg, _) in ORDERS {
        let (key, input, signature) = ecdsa(alg);
        assert_eq!(
            verify_with_signature(&key, &input, &signature),
            "ok",
            "{alg}"
        );
        let short = &signature[..signature.len() - 1];
        let long = [signature.as_slice(), &[0]].concat();
        let prefixed = [&[0], signature.as_slice()].concat();
        for (what, bad) in [
            ("DER", der_signature(&signature)),
            ("one byte short", short.to_vec()),
            ("one byte long", long),
            ("zero-prefixed", prefixed),
        ] {
            assert_eq!(
                verify_with_signature(&key, &input, &bad),
                "signature_invalid",
                "{alg}: {what} ({} bytes)",
                bad.len()
            );
        }
    }
}

#[test]
fn ecdsa_zero_scalars_are_refused() {
    for (alg, _) in ORDERS {
        let (key, input, signature) = ecdsa(alg);
        let half = signature.len() / 2;
        let zero = vec![0u8; half];
        let (r, s) = signature.split_at(half);
        for (what, bad) in [
            (
                "r = s = 0 (psychic signature)",
                [&zero[..], &zero[..]].concat(),
            ),
            ("r = 0", [&zero[..], s].concat()),
            ("s = 0", [r, &zero[..]].concat()),
        ] {
            assert_eq!(
                verify_with_signature(&key, &input, &bad),
                "signature_invalid",
                "{alg}: {what}"
            );
        }
    }
}

#[test]
fn ecdsa_scalars_at_or_above_the_order_are_refused() {
    for (alg, order) in ORDERS {
        let (key, input, signature) = ecdsa(alg);
        let n = unhex(order);
        let half = signature.len() / 2;
        assert_eq!(n.len(), half, "{alg}: n is as long as r");
        let mut above = n.clone();
        *above.last_mut().expect("non-empty") += 1;
        let max = vec![0xff; half];
        let (r, s) = signature.split_at(half);
        for (what, bad) in [
            ("r = n", [&n[..], s].concat()),
            ("s = n", [r, &n[..]].concat()),
            ("r = n + 1", [&above[..], s].concat()),
            ("s = all ones", [r, &max[..]].concat()),
            ("r = s = n", [&n[..], &n[..]].concat()),
        ] {
            assert_eq!(
                verify_with_signature(&key, &input, &bad),
                "signature_invalid",
                "{alg}: {what}"
            );
        }
    }
}

#[test]
fn unknown_crit_is_refused() {
    assert_eq!(header_code(r#"{"alg":"HS256","x":1}"#), "ok", "control");
    for header in [
        r#"{"alg":"HS256","crit":["http://example.com/UNDEFINED"],"http://example.com/UNDEFINED":true}"#,
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":"b64"}"#,
        r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
        r#"{"alg":"HS256","b64":false}"#,
    ] {
        assert_eq!(header_code(header), "crit_unsupported", "{header}");
    }
}

#[test]
fn duplicate_members_are_refused() {
    let dup = "json_duplicate_member";
    for header in [
        r#"{"alg":"HS256","alg":"HS256"}"#,
        r#"{"alg":"HS256","kid":"a","kid":"b"}"#,
        r#"{"alg":"HS256","\u0061lg":"none"}"#,
    ] {
        assert_eq!(header_code(header), dup, "{header}");
    }
    let exp = NOW + 600;
    for claims in [
        format!(r#"{{"exp":{exp},"exp":{exp}}}"#),
        format!(r#"{{"exp":{exp},"\u0065xp":{}}}"#, exp + 1000),
        format!(r#"{{"exp":{exp},"sub":"a","sub":"b"}}"#),
        format!(r#"{{"exp":{exp},"x":{{"a":1,"a":2}}}}"#),
    ] {
        assert_eq!(claims_code(validator(), &claims), dup, "{claims}");
    }
    let k = b64::encode(&SECRET);
    let key = format!(r#"{{"kty":"oct","k":"{k}","k":"{k}"}}"#);
    assert_eq!(code(Jwk::from_json(key.as_bytes())), dup);
    let set = format!(r#"{{"keys":[],"keys":[{{"kty":"oct","k":"{k}"}}]}}"#);
    assert_eq!(code(JwkSet::from_json(set.as_bytes())), dup);
}

#[test]
fn registered_claims_of_the_wrong_type_are_refused() {
    for claims in [
        r#"{"exp":"123"}"#.to_owned(),
        r#"{"exp":null}"#.to_owned(),
        with_exp(r#""nbf":"0""#),
        with_exp(r#""iat":true"#),
        with_exp(r#""iss":1"#),
        with_exp(r#""sub":{}"#),
        with_exp(r#""aud":1"#),
        with_exp(r#""aud":["api",2]"#),
        with_exp(r#""aud":{"api":true}"#),
        with_exp(r#""jti":[]"#),
    ] {
        assert_eq!(
            claims_code(validator(), &claims),
            "claim_invalid",
            "{claims}"
        );
    }
    for payload in ["[]", "\"claims\"", "1", "{"] {
        assert_eq!(
            claims_code(validator(), payload),
            "token_malformed",
            "{payload}"
        );
    }
}

#[test]
fn oversize_tokens_are_refused_before_any_work() {
    let key = hmac_verifier();
    // Not even a token: only the length can refuse it, so the length is checked first.
    for junk in [
        "x".repeat(DEFAULT_MAX_LEN + 1),
        ".".repeat(DEFAULT_MAX_LEN + 1),
    ] {
        assert_eq!(
            code(compact::verify(&junk, &key, DEFAULT_MAX_LEN)),
            "token_too_large"
        );
        assert_eq!(
            code(validator().build().verify(&junk, &key)),
            "token_too_large"
        );
        assert_eq!(
            code(validator().build().verify_view(&junk, &key)),
            "token_too_large"
        );
    }
    // A well-signed token over the default cap.
    let claims = with_exp(&format!(r#""pad":"{}""#, "p".repeat(DEFAULT_MAX_LEN)));
    assert_eq!(claims_code(validator(), &claims), "token_too_large");
    // The edge, with `max_token_len`: exactly at the cap passes, one byte over does not.
    let token = jwt::sign(&Claims::new().with_expiry(NOW + 600), &hmac()).expect("signs");
    let at = |max: usize| code(validator().max_token_len(max).build().verify(&token, &key));
    assert_eq!(at(token.len()), "ok");
    assert_eq!(at(token.len() - 1), "token_too_large");
    assert_eq!(at(10), "token_too_large");
    assert_eq!(
        code(compact::verify(&token, &key, token.len() - 1)),
        "token_too_large"
    );
}

#[test]
fn exp_is_required_by_default() {
    assert_eq!(claims_code(validator(), r#"{"sub":"s"}"#), "claim_missing");
    assert_eq!(claims_code(validator(), "{}"), "claim_missing");
    assert_eq!(
        claims_code(validator().allow_missing_exp(), r#"{"sub":"s"}"#),
        "ok"
    );
}

/// Checks one time claim at `NOW + offset` under a leeway (`None` = the 60 s default).
fn time_code(claim: &str, offset: i64, leeway: Option<u64>) -> &'static str {
    let mut builder = validator();
    if let Some(secs) = leeway {
        builder = builder.leeway(Duration::from_secs(secs));
    }
    let claims = if claim == "exp" {
        format!(r#"{{"exp":{}}}"#, NOW + offset)
    } else {
        with_exp(&format!(r#""{claim}":{}"#, NOW + offset))
    };
    claims_code(builder, &claims)
}

#[test]
fn expired_tokens_and_leeway_edges() {
    // The current time must be before `exp` (RFC 7519 §4.1.4): at `exp` exactly it has expired.
    assert_eq!(time_code("exp", 0, Some(0)), "jwt_expired");
    assert_eq!(time_code("exp", 1, Some(0)), "ok");
    assert_eq!(time_code("exp", -1, Some(0)), "jwt_expired");
    // Default leeway 60 s.
    assert_eq!(time_code("exp", -59, None), "ok");
    assert_eq!(time_code("exp", -60, None), "jwt_expired");
    assert_eq!(time_code("exp", -86_400, None), "jwt_expired");
    assert_eq!(validator().build().leeway_secs(), 60);
    // A configured leeway.
    assert_eq!(time_code("exp", -9, Some(10)), "ok");
    assert_eq!(time_code("exp", -10, Some(10)), "jwt_expired");
}

#[test]
fn nbf_in_the_future_is_refused() {
    assert_eq!(time_code("nbf", 0, Some(0)), "ok");
    assert_eq!(time_code("nbf", 1, Some(0)), "jwt_not_yet_valid");
    assert_eq!(time_code("nbf", 60, None), "ok");
    assert_eq!(time_code("nbf", 61, None), "jwt_not_yet_valid");
    assert_eq!(time_code("nbf", -86_400, None), "ok");
}

#[test]
fn iat_in_the_future_is_refused() {
    assert_eq!(time_code("iat", 0, Some(0)), "ok");
    assert_eq!(time_code("iat", 1, Some(0)), "jwt_issued_in_future");
    assert_eq!(time_code("iat", 60, None), "ok");
    assert_eq!(time_code("iat", 61, None), "jwt_issued_in_future");
    assert_eq!(time_code("iat", -86_400, None), "ok");
}

#[test]
fn issuer_is_required_once_configured() {
    let issuers = || {
        validator()
            .issuer("https://issuer.test")
            .issuer("https://other.test")
    };
    assert_eq!(claims_code(validator(), &with_exp(r#""iss":"x""#)), "ok");
    assert_eq!(
        claims_code(issuers(), &with_exp(r#""sub":"s""#)),
        "claim_missing"
    );
    for (iss, expected) in [
        ("https://issuer.test", "ok"),
        ("https://other.test", "ok"),
        ("https://evil.test", "iss_invalid"),
        ("HTTPS://ISSUER.TEST", "iss_invalid"),
        ("https://issuer.test/", "iss_invalid"),
    ] {
        let claims = with_exp(&format!(r#""iss":"{iss}""#));
        assert_eq!(claims_code(issuers(), &claims), expected, "{iss}");
    }
}

#[test]
fn audience_is_required_once_configured() {
    let api = || validator().audience("api");
    assert_eq!(
        claims_code(api(), &with_exp(r#""sub":"s""#)),
        "claim_missing"
    );
    for (aud, expected) in [
        (r#""api""#, "ok"),
        (r#"["web","api"]"#, "ok"),
        (r#""web""#, "aud_invalid"),
        (r#"["web","API"]"#, "aud_invalid"),
        ("[]", "claim_missing"),
    ] {
        let claims = with_exp(&format!(r#""aud":{aud}"#));
        assert_eq!(claims_code(api(), &claims), expected, "{aud}");
    }
}

#[test]
fn subject_and_other_claims_are_required_once_configured() {
    let subject = || validator().subject("user-1");
    assert_eq!(
        claims_code(subject(), &with_exp(r#""iss":"i""#)),
        "claim_missing"
    );
    assert_eq!(claims_code(subject(), &with_exp(r#""sub":"user-1""#)), "ok");
    assert_eq!(
        claims_code(subject(), &with_exp(r#""sub":"user-2""#)),
        "sub_invalid"
    );
    let jti = || validator().require("jti");
    assert_eq!(
        claims_code(jti(), &with_exp(r#""sub":"s""#)),
        "claim_missing"
    );
    assert_eq!(claims_code(jti(), &with_exp(r#""jti":"j1""#)), "ok");
}

#[test]
fn typ_is_required_once_configured() {
    let claims = with_exp(r#""sub":"s""#);
    for (header, expected) in [
        (r#"{"alg":"HS256"}"#, "typ_invalid"),
        (r#"{"alg":"HS256","typ":"JWT"}"#, "typ_invalid"),
        (r#"{"alg":"HS256","typ":"at+jwt"}"#, "ok"),
        (r#"{"alg":"HS256","typ":"application/at+jwt"}"#, "ok"),
        (r#"{"alg":"HS256","typ":"AT+JWT"}"#, "ok"),
    ] {
        let token = forge(header, claims.as_bytes(), &hmac());
        let verdict = validator()
            .typ("at+jwt")
            .build()
            .verify(&token, &hmac_verifier());
        assert_eq!(code(verdict), expected, "{header}");
        let view = validator()
            .typ("at+jwt")
            .build()
            .verify_view(&token, &hmac_verifier());
        assert_eq!(code(view), expected, "{header}: verify_view");
        let unconfigured = validator().build().verify(&token, &hmac_verifier());
        assert_eq!(
            code(unconfigured),
            "ok",
            "{header}: typ not checked unless configured"
        );
    }
}

#[test]
fn the_algorithm_allow_list_is_enforced() {
    let token = jwt::sign(&Claims::new().with_expiry(NOW + 600), &hmac()).expect("signs");
    let only = |algs: &[Algorithm]| {
        let validator = validator().algorithms(algs.iter().copied()).build();
        let owned = code(validator.verify(&token, &hmac_verifier()));
        assert_eq!(owned, code(validator.verify_view(&token, &hmac_verifier())));
        owned
    };
    assert_eq!(only(&[Algorithm::ES256]), "alg_not_allowed");
    assert_eq!(
        only(&[Algorithm::HS384, Algorithm::RS256]),
        "alg_not_allowed"
    );
    assert_eq!(only(&[Algorithm::ES256, Algorithm::HS256]), "ok");
    // A JWK without `alg` is bound to the one allowed algorithm that fits it, never to two.
    let jwks =
        JwkSet::from_json(format!(r#"{{"keys":[{}]}}"#, RSA_PUBLIC).as_bytes()).expect("JWKS");
    let set = KeySet::from_jwks(&jwks, &[Algorithm::PS256, Algorithm::ES256]).expect("set");
    assert_eq!(set.keys()[0].algorithm(), Algorithm::PS256);
    assert_eq!(
        code(KeySet::from_jwks(
            &jwks,
            &[Algorithm::RS256, Algorithm::PS256]
        )),
        "key_set_invalid"
    );
}

#[test]
fn keys_meant_for_encryption_are_refused() {
    let refused = "key_use_not_permitted";
    let mut key = jwk(EC_PUBLIC);
    assert_eq!(code(VerifyingKey::from_jwk(&key, None)), "ok");
    for (use_, ops) in [
        (Some("enc"), None),
        (Some("other"), None),
        (None, Some(vec!["encrypt"])),
        (None, Some(vec!["sign"])),
        (None, Some(vec![])),
    ] {
        key.use_ = use_.map(Into::into);
        key.key_ops = ops.map(|o| o.into_iter().map(Into::into).collect());
        assert_eq!(
            code(VerifyingKey::from_jwk(&key, None)),
            refused,
            "{use_:?}"
        );
    }
    key.use_ = None;
    key.key_ops = Some(vec!["verify".into()]);
    assert_eq!(code(VerifyingKey::from_jwk(&key, None)), "ok");
    // Signing needs `sign` in key_ops.
    let mut private = jwk(RSA_PRIVATE);
    private.key_ops = Some(vec!["verify".into()]);
    assert_eq!(code(SigningKey::from_jwk(&private, None)), refused);
    // In a JWKS, such keys are skipped, so a token naming one finds no key.
    let mut enc = jwk(EC_PUBLIC);
    enc.use_ = Some("enc".into());
    let mut jwks = JwkSet::default();
    jwks.keys.push(enc);
    let set = KeySet::from_jwks(&jwks, &[]).expect("set");
    let signer = SigningKey::generate(Algorithm::ES512).expect("key");
    let token = forge(
        r#"{"alg":"ES512","kid":"bilbo.baggins@hobbiton.example"}"#,
        b"{}",
        &signer,
    );
    assert_eq!(
        code(compact::verify(&token, &set, DEFAULT_MAX_LEN)),
        "kid_unknown"
    );
}

fn oct_jwk(kid: &str) -> String {
    format!(
        r#"{{"kty":"oct","kid":"{kid}","k":"{}"}}"#,
        b64::encode(&SECRET)
    )
}

fn key_set(keys: &[String]) -> &'static str {
    let jwks =
        JwkSet::from_json(format!(r#"{{"keys":[{}]}}"#, keys.join(",")).as_bytes()).expect("JWKS");
    code(KeySet::from_jwks(&jwks, &[]))
}

#[test]
fn key_sets_refuse_duplicate_kids() {
    assert_eq!(key_set(&[oct_jwk("a"), oct_jwk("b")]), "ok");
    assert_eq!(key_set(&[oct_jwk("a"), oct_jwk("a")]), "key_set_invalid");
    let mut set = KeySet::default();
    set.push(hmac_verifier()).expect("first");
    assert_eq!(code(set.push(hmac_verifier())), "key_set_invalid");
}

#[test]
fn key_sets_refuse_mixed_public_and_private_keys() {
    let (rsa_public, rsa_private) = (RSA_PUBLIC.to_owned(), RSA_PRIVATE.to_owned());
    // The cookbook gives the EC and RSA keys one kid; rename one so only mixing is at stake.
    let ec_public = EC_PUBLIC.replace("bilbo.baggins@hobbiton.example", "ec-1");
    assert_eq!(key_set(&[rsa_public.clone(), ec_public.clone()]), "ok");
    assert_eq!(
        key_set(&[rsa_private.clone(), ec_public.clone()]),
        "key_set_invalid"
    );
    assert_eq!(key_set(&[ec_public, rsa_private]), "key_set_invalid");
    // A shared secret is private material too.
    assert_eq!(key_set(&[oct_jwk("h"), rsa_public]), "key_set_invalid");
}

#[test]
fn unknown_kid_is_refused() {
    let mut set = KeySet::default();
    let named = hmac().with_kid("a").verifying_key().expect("same secret");
    set.push(named).expect("key a");
    let claims = with_exp(r#""sub":"s""#);
    let known = forge(r#"{"alg":"HS256","kid":"a"}"#, claims.as_bytes(), &hmac());
    assert_eq!(code(compact::verify(&known, &set, DEFAULT_MAX_LEN)), "ok");
    let unknown = forge(r#"{"alg":"HS256","kid":"b"}"#, claims.as_bytes(), &hmac());
    assert_eq!(
        code(compact::verify(&unknown, &set, DEFAULT_MAX_LEN)),
        "kid_unknown"
    );
    assert_eq!(
        code(validator().build().verify(&unknown, &set)),
        "kid_unknown"
    );
    let unnamed = forge(r#"{"alg":"HS256"}"#, claims.as_bytes(), &hmac());
    let empty = KeySet::default();
    assert_eq!(
        code(compact::verify(&unnamed, &empty, DEFAULT_MAX_LEN)),
        "kid_unknown"
    );
}

#[test]
fn a_tampered_payload_fails_the_signature() {
    let claims = Claims::new().with_subject("user-1").with_expiry(NOW + 600);
    let forged_claims = claims.clone().with_subject("admin");
    let rsa = SigningKey::from_jwk(&jwk(RSA_PRIVATE), None).expect("RSA key");
    let keys = [
        hmac(),
        rsa,
        SigningKey::generate(Algorithm::ES256).expect("EC key"),
        SigningKey::generate(Algorithm::EdDSA).expect("Ed25519 key"),
    ];
    for key in &keys {
        let token = jwt::sign(&claims, key).expect("signs");
        let verifier = key.verifying_key().expect("public half");
        assert_eq!(code(validator().build().verify(&token, &verifier)), "ok");
        let mut parts: Vec<&str> = token.split('.').collect();
        let payload = b64::encode(forged_claims.to_json().as_bytes());
        parts[1] = &payload;
        let tampered = parts.join(".");
        assert_eq!(
            code(validator().build().verify(&tampered, &verifier)),
            "signature_invalid",
            "{}",
            key.algorithm()
        );
        assert_eq!(
            code(validator().build().verify_view(&tampered, &verifier)),
            "signature_invalid",
            "{}",
            key.algorithm()
        );
    }
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The same base64url with a non-zero unused bit in its last character: a second spelling of
/// the same bytes, which a strict decoder must refuse.
fn with_unused_bit_set(part: &str) -> String {
    assert_ne!(
        part.len() % 4,
        0,
        "the last group is partial, so it has unused bits"
    );
    let (head, last) = part.split_at(part.len() - 1);
    let index = ALPHABET
        .iter()
        .position(|&c| c == last.as_bytes()[0])
        .expect("base64url character");
    assert_eq!(
        index & 1,
        0,
        "a canonical encoding has its unused bits clear"
    );
    format!("{head}{}", ALPHABET[index | 1] as char)
}

/// Every way a part's base64url can be malformed.
fn malformations(part: &str) -> Vec<(&'static str, String)> {
    let mid = part.len() / 2;
    vec![
        ("padding", format!("{part}=")),
        ("double padding", format!("{part}==")),
        ("space", format!("{} {}", &part[..mid], &part[mid..])),
        ("newline", format!("{part}\n")),
        ("tab", format!("\t{part}")),
        ("'+' (standard alphabet)", format!("+{}", &part[1..])),
        ("'/' (standard alphabet)", format!("/{}", &part[1..])),
        ("non-canonical trailing bits", with_unused_bit_set(part)),
    ]
}

#[test]
fn malformed_base64_is_refused() {
    let key = hmac();
    let verifier = hmac_verifier();
    // Lengths not divisible by 3, so every part ends in a partial group with unused bits.
    let header = b64::encode(br#"{"alg":"HS256","x":12}"#);
    let payload = b64::encode(b"payload");
    let valid = sign_input(&format!("{header}.{payload}"), &key);
    assert_eq!(
        code(compact::verify(&valid, &verifier, DEFAULT_MAX_LEN)),
        "ok"
    );
    let signature = valid.rsplit('.').next().expect("signature part").to_owned();
    let mut checked = 0;
    for (what, bad) in malformations(&header) {
        // Re-signed over the malformed text: only the decoding can refuse it.
        let token = sign_input(&format!("{bad}.{payload}"), &key);
        let verdict = code(compact::verify(&token, &verifier, DEFAULT_MAX_LEN));
        assert_eq!(verdict, "token_malformed", "header: {what}");
        checked += 1;
    }
    let lenient = validator().allow_missing_exp().build();
    for (what, bad) in malformations(&payload) {
        let token = sign_input(&format!("{header}.{bad}"), &key);
        let verdict = code(compact::verify(&token, &verifier, DEFAULT_MAX_LEN));
        assert_eq!(verdict, "token_malformed", "payload: {what}");
        // The view decodes the payload itself: the same rules hold there.
        let verdict = code(lenient.verify_view(&token, &verifier));
        assert_eq!(verdict, "token_malformed", "payload, view: {what}");
        checked += 1;
    }
    for (what, bad) in malformations(&signature) {
        let token = format!("{header}.{payload}.{bad}");
        let verdict = code(compact::verify(&token, &verifier, DEFAULT_MAX_LEN));
        assert_eq!(verdict, "token_malformed", "signature: {what}");
        checked += 1;
    }
    assert_eq!(checked, 24);
}

#[test]
fn wrong_part_counts_are_refused() {
    let token = forge(HS256_HEADER, with_exp(r#""sub":"s""#).as_bytes(), &hmac());
    let parts: Vec<&str> = token.split('.').collect();
    for bad in [
        String::new(),
        parts[0].to_owned(),
        parts[..2].join("."),
        format!("{token}."),
        format!("{token}.{}", parts[2]),
        format!("{token}.{}.{}", parts[1], parts[2]),
    ] {
        let verdict = code(compact::verify(&bad, &hmac_verifier(), DEFAULT_MAX_LEN));
        assert_eq!(
            verdict,
            "token_malformed",
            "{} parts",
            bad.split('.').count()
        );
        let verdict = code(validator().build().verify(&bad, &hmac_verifier()));
        assert_eq!(verdict, "token_malformed");
        let verdict = code(validator().build().verify_view(&bad, &hmac_verifier()));
        assert_eq!(verdict, "token_malformed");
    }
    // Three parts with an empty signature are well-formed, and simply do not verify.
    let unsigned = format!("{}.{}.", parts[0], parts[1]);
    let verdict = code(compact::verify(
        &unsigned,
        &hmac_verifier(),
        DEFAULT_MAX_LEN,
    ));
    assert_eq!(verdict, "signature_invalid");
}

#[test]
fn weak_rsa_exponents_are_refused() {
    let mut key = jwk(RSA_PUBLIC);
    for (e, expected) in [
        ("AQAB", "ok"),
        ("AQ", "key_too_weak"),
        ("Ag", "key_too_weak"),
    ] {
        key.e = Some(e.into());
        assert_eq!(
            code(VerifyingKey::from_jwk(&key, None)),
            expected,
            "e = {e}"
        );
    }
}

#[test]
fn the_thumbprint_is_the_default_kid() {
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::HS256] {
        let key = SigningKey::generate(alg).expect("key");
        assert_eq!(key.kid(), key.verifying_key().expect("public").thumbprint());
    }
    let mut no_kid = jwk(EC_PUBLIC);
    no_kid.kid = None;
    let key = VerifyingKey::from_jwk(&no_kid, None).expect("loads");
    assert_eq!(key.kid(), no_kid.thumbprint().expect("thumbprint"));
}
