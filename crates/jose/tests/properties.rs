//! Properties that must hold for any input: sign-then-verify returns the signed claims for every
//! algorithm, no single-byte change of a valid token verifies, and no input makes the parsers
//! panic.

use std::sync::{Arc, OnceLock};

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;
use tessera_jose::jws::{Header, compact};
use tessera_jose::jwt::REGISTERED;
use tessera_jose::{
    Algorithm, Claims, FixedClock, Jwk, JwkSet, KeySet, SigningKey, Validator, VerifyingKey, b64,
    danger, jwt,
};

/// The instant every validator in this file lives at.
const NOW: i64 = 1_800_000_000;

/// Round-trip cases per algorithm; RSA signing dominates the cost in debug builds.
const ROUND_TRIP_CASES: u32 = 32;

/// Random single-byte changes per algorithm, on top of the exhaustive sweep below.
const MUTATION_CASES: u32 = 256;

/// Cases of each no-panic property.
const PARSER_CASES: u32 = 512;

/// A signing key, its public half, and one valid token, made once per algorithm.
struct Fixture {
    signing: SigningKey,
    verifying: VerifyingKey,
    keys: KeySet,
    /// A token with a `kid`, `typ` and a full claims set.
    token: String,
    /// A short token (`alg` and `exp` only) for the exhaustive sweep.
    short_token: String,
}

fn fixture(alg: Algorithm) -> &'static Fixture {
    static CACHE: [OnceLock<Fixture>; Algorithm::ALL.len()] =
        [const { OnceLock::new() }; Algorithm::ALL.len()];
    let slot = Algorithm::ALL
        .iter()
        .position(|a| *a == alg)
        .expect("every algorithm is listed in ALL");
    CACHE[slot].get_or_init(|| {
        let signing = SigningKey::generate(alg).expect("generate");
        let verifying = signing.verifying_key().expect("public half");
        let mut keys = KeySet::default();
        keys.push(signing.verifying_key().expect("public half"))
            .expect("one key");
        let token = jwt::sign(&sample_claims(), &signing).expect("sign");
        let exp_only = Claims::new().with_expiry(NOW + 900).to_json();
        let short_token =
            compact::sign(&Header::new(alg), exp_only.as_bytes(), &signing).expect("sign");
        Fixture {
            signing,
            verifying,
            keys,
            token,
            short_token,
        }
    })
}

fn sample_claims() -> Claims {
    Claims::new()
        .with_issuer("https://issuer.test")
        .with_subject("user-1")
        .with_audience("api")
        .with_issued_at(NOW - 10)
        .with_not_before(NOW - 10)
        .with_expiry(NOW + 900)
        .with_jwt_id("7f3c")
        .with("scope", "read write")
        .expect("custom claim")
}

fn validator() -> Validator {
    Validator::builder()
        .clock(Arc::new(FixedClock(NOW)))
        .build()
}

/// A JSON scalar: null, a boolean, an integer, a finite float or a string.
fn json_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ]
}

/// A claims set of arbitrary strings and scalars whose times are valid at [`NOW`].
fn arbitrary_claims() -> impl Strategy<Value = Claims> {
    let custom = btree_map(
        any::<String>().prop_filter("registered claims are typed", |name| {
            !REGISTERED.contains(&name.as_str())
        }),
        json_scalar(),
        0..6,
    );
    (
        (
            option::of(any::<String>()),
            option::of(any::<String>()),
            option::of(any::<String>()),
            vec(any::<String>(), 0..3),
        ),
        (NOW + 1..=i64::MAX, option::of(..=NOW), option::of(..=NOW)),
        custom,
    )
        .prop_map(|((iss, sub, jti, aud), (exp, nbf, iat), custom)| {
            let mut claims = Claims::new().with_expiry(exp);
            (claims.iss, claims.sub, claims.jti, claims.aud) = (iss, sub, jti, aud);
            (claims.nbf, claims.iat) = (nbf, iat);
            for (name, value) in custom {
                claims
                    .set(&name, value)
                    .expect("custom claims take any value");
            }
            claims
        })
}

fn check_round_trip(alg: Algorithm, claims: &Claims) -> Result<(), TestCaseError> {
    let fixture = fixture(alg);
    let token = jwt::sign(claims, &fixture.signing).expect("sign");
    let verified = validator()
        .verify(&token, &fixture.verifying)
        .map_err(|err| TestCaseError::fail(format!("{alg}: {err} ({})", err.code())))?;
    prop_assert_eq!(&verified.claims, claims);
    prop_assert_eq!(verified.header.alg, alg);
    let via_set = validator()
        .verify(&token, &fixture.keys)
        .map_err(|err| TestCaseError::fail(format!("{alg} via KeySet: {err}")))?;
    prop_assert_eq!(&via_set.claims, claims);
    let view = validator()
        .verify_view(&token, &fixture.keys)
        .map_err(|err| TestCaseError::fail(format!("{alg} view: {err}")))?;
    prop_assert_eq!(&view.claims(), claims);
    prop_assert_eq!(view.header(), verified.header);
    prop_assert_eq!(view.sub(), claims.sub.as_deref());
    prop_assert!(view.aud().eq(claims.aud.iter().map(String::as_str)));
    Ok(())
}

/// Every way this file verifies a token; each must refuse `token`.
fn check_refused(alg: Algorithm, token: &str) -> Result<(), TestCaseError> {
    let fixture = fixture(alg);
    let max = compact::DEFAULT_MAX_LEN;
    if let Ok(verified) = compact::verify(token, &fixture.verifying, max) {
        return Err(TestCaseError::fail(format!(
            "{alg}: changed token verified with header {:?}: {token}",
            verified.header
        )));
    }
    prop_assert!(
        compact::verify(token, &fixture.keys, max).is_err(),
        "{alg}: changed token verified against a KeySet: {token}"
    );
    prop_assert!(
        validator().verify(token, &fixture.verifying).is_err(),
        "{alg}: changed token passed the Validator: {token}"
    );
    prop_assert!(
        validator().verify_view(token, &fixture.verifying).is_err(),
        "{alg}: changed token passed Validator::verify_view: {token}"
    );
    Ok(())
}

/// Replaces byte `pos` of `token` with `byte`; `None` when that is not UTF-8 (a byte of 0x80 or
/// more in place of an ASCII byte), which no `&str`, and so no verifier, can be given.
fn changed(token: &str, pos: usize, byte: u8) -> Option<String> {
    let mut bytes = token.as_bytes().to_vec();
    bytes[pos] = byte;
    String::from_utf8(bytes).ok()
}

/// XORs the byte at `at` with `delta` (in `1..0x80`, so the result is another ASCII byte).
fn check_single_byte_change(alg: Algorithm, at: Index, delta: u8) -> Result<(), TestCaseError> {
    let token = &fixture(alg).token;
    let pos = at.index(token.len());
    let changed = changed(token, pos, token.as_bytes()[pos] ^ delta).expect("ASCII stays UTF-8");
    check_refused(alg, &changed)
}

/// Per-algorithm tests, so that a failure names its algorithm and the algorithms run in
/// parallel.
macro_rules! per_algorithm {
    ($($module:ident => $alg:ident),+ $(,)?) => {$(
        mod $module {
            use super::*;

            const ALG: Algorithm = Algorithm::$alg;

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(ROUND_TRIP_CASES))]

                #[test]
                fn sign_then_verify_returns_the_claims(claims in arbitrary_claims()) {
                    check_round_trip(ALG, &claims)?;
                }
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(MUTATION_CASES))]

                #[test]
                fn any_single_byte_change_is_refused(at in any::<Index>(), delta in 1..0x80u8) {
                    check_single_byte_change(ALG, at, delta)?;
                }
            }

            #[test]
            fn every_bit_and_non_alphabet_byte_is_refused() {
                sweep_single_byte_changes(ALG);
            }
        }
    )+};
}

per_algorithm! {
    hs256 => HS256,
    hs384 => HS384,
    hs512 => HS512,
    rs256 => RS256,
    rs384 => RS384,
    rs512 => RS512,
    ps256 => PS256,
    ps384 => PS384,
    ps512 => PS512,
    es256 => ES256,
    es384 => ES384,
    es512 => ES512,
    eddsa => EdDSA,
}

/// The base64url alphabet, in sextet order.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The bytes tried in place of `original` by the sweep: every other ASCII byte outside the
/// alphabet (a byte of 0x80 or more in place of an ASCII byte is not UTF-8, so no `&str` can
/// carry it), and the six alphabet characters whose sextet differs from `original`'s in exactly
/// one bit, so that every bit of every part is flipped. A dot is replaced by every other byte.
fn replacements(original: u8) -> Vec<u8> {
    let outside = (0..0x80u8).filter(|b| !ALPHABET.contains(b) && *b != original);
    match ALPHABET.iter().position(|&c| c == original) {
        Some(sextet) => outside
            .chain((0..6).map(|bit| ALPHABET[sextet ^ (1 << bit)]))
            .collect(),
        None => (0..0x80u8).filter(|&b| b != original).collect(),
    }
}

/// Changes every position of the short fixture token to each of its [`replacements`].
///
/// Only `compact::verify` with the lone key is asked: `Validator::verify` runs the same checks
/// with the same key before its own, so it cannot accept what this refuses, and the random
/// property covers all three paths and every byte value on the longer token.
fn sweep_single_byte_changes(alg: Algorithm) {
    let fixture = fixture(alg);
    let token = &fixture.short_token;
    for (pos, &original) in token.as_bytes().iter().enumerate() {
        for byte in replacements(original) {
            let changed = changed(token, pos, byte).expect("ASCII stays UTF-8");
            let verified = compact::verify(&changed, &fixture.verifying, compact::DEFAULT_MAX_LEN);
            assert!(
                verified.is_err(),
                "{alg}: byte {pos} set to {byte:#04x} still verifies: {changed}"
            );
        }
    }
}

#[test]
fn every_algorithm_is_covered() {
    assert_eq!(
        Algorithm::ALL.len(),
        13,
        "add the new algorithm to per_algorithm!"
    );
}

#[test]
fn fixture_tokens_verify() {
    for alg in Algorithm::ALL {
        let fixture = fixture(alg);
        let token = validator()
            .verify(&fixture.token, &fixture.verifying)
            .expect("fixture token verifies");
        assert_eq!(token.claims, sample_claims(), "{alg}");
        // The sweep is only meaningful if the unchanged short token verifies.
        compact::verify(
            &fixture.short_token,
            &fixture.verifying,
            compact::DEFAULT_MAX_LEN,
        )
        .expect("short fixture token verifies");
    }
}

/// Every alphabet character in the last place of each part: all but the canonical one leave
/// non-zero unused bits or change the bytes, and both must be refused.
#[test]
fn non_canonical_last_characters_are_refused() {
    for alg in Algorithm::ALL {
        let token = &fixture(alg).token;
        let ends = token
            .match_indices('.')
            .map(|(dot, _)| dot - 1)
            .chain([token.len() - 1]);
        for pos in ends {
            for &byte in ALPHABET.iter().filter(|&&b| b != token.as_bytes()[pos]) {
                let changed = changed(token, pos, byte).expect("ASCII stays UTF-8");
                if let Err(err) = check_refused(alg, &changed) {
                    panic!(
                        "{alg}: last character at {pos} set to {:?}: {err}",
                        byte as char
                    );
                }
            }
        }
    }
}

/// Text that looks like a compact token: three parts, each base64url of bytes that are often
/// JSON with a real `alg`.
fn token_like() -> impl Strategy<Value = String> {
    let alg = prop::sample::select(
        Algorithm::ALL
            .iter()
            .map(|a| a.as_str().to_owned())
            .chain(["none".to_owned(), "".to_owned()])
            .collect::<Vec<_>>(),
    );
    let header = prop_oneof![
        (alg, option::of(".{0,8}"), option::of(".{0,8}")).prop_map(|(alg, kid, typ)| {
            let mut header = serde_json::json!({ "alg": alg });
            if let Some(kid) = kid {
                header["kid"] = kid.into();
            }
            if let Some(typ) = typ {
                header["typ"] = typ.into();
            }
            header.to_string().into_bytes()
        }),
        vec(any::<u8>(), 0..64),
    ];
    let payload = prop_oneof![
        arbitrary_claims().prop_map(|c| c.to_json().into_bytes()),
        "\\{.{0,48}\\}".prop_map(String::into_bytes),
        vec(any::<u8>(), 0..64),
    ];
    let signature = vec(any::<u8>(), 0..600);
    (header, payload, signature).prop_map(|(h, p, s)| {
        format!(
            "{}.{}.{}",
            b64::encode(&h),
            b64::encode(&p),
            b64::encode(&s)
        )
    })
}

/// A header and payload of fuzzed JSON, correctly signed with the fixture key of an algorithm
/// the verifiers hold, so that the header and claims checks run on them.
fn signed_token_like() -> impl Strategy<Value = (Algorithm, String)> {
    let alg = prop::sample::select(vec![Algorithm::HS256, Algorithm::ES256, Algorithm::EdDSA]);
    let extra = prop::sample::subsequence(
        vec![
            r#""kid":"k""#,
            r#""typ":"JWT""#,
            r#""typ":7"#,
            r#""cty":"JWT""#,
            r#""crit":["exp"]"#,
            r#""b64":true"#,
            r#""b64":false"#,
            r#""jwk":{}"#,
            r#""x5c":[]"#,
            r#""alg":"none""#,
        ],
        0..4,
    );
    let payload = prop_oneof![
        arbitrary_claims().prop_map(|c| c.to_json().into_bytes()),
        "\\{.{0,48}\\}".prop_map(String::into_bytes),
        vec(any::<u8>(), 0..64),
    ];
    (alg, extra, payload).prop_map(|(alg, extra, payload)| {
        let mut header = format!(r#"{{"alg":"{alg}""#);
        for member in extra {
            header.push(',');
            header.push_str(member);
        }
        header.push('}');
        let input = format!(
            "{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(&payload)
        );
        let signature = fixture(alg).signing.sign(input.as_bytes()).expect("sign");
        (alg, format!("{input}.{}", b64::encode(&signature)))
    })
}

/// Arbitrary text: raw bytes read as UTF-8, arbitrary strings, or token-shaped text.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        vec(any::<u8>(), 0..512).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        any::<String>(),
        "[A-Za-z0-9_.=+/-]{0,400}",
        token_like(),
    ]
}

/// The verifiers tried on arbitrary input: one key per family, and a set of them.
fn verifiers() -> &'static (Vec<VerifyingKey>, KeySet) {
    static VERIFIERS: OnceLock<(Vec<VerifyingKey>, KeySet)> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        let algs = [
            Algorithm::HS256,
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::EdDSA,
        ];
        let mut set = KeySet::default();
        let mut keys = Vec::new();
        for alg in algs {
            let key = &fixture(alg).signing;
            keys.push(key.verifying_key().expect("public half"));
            set.push(key.verifying_key().expect("public half"))
                .expect("distinct kids");
        }
        (keys, set)
    })
}

fn verify_everywhere(token: &str) {
    let (keys, set) = verifiers();
    let strict = Validator::builder()
        .issuer("https://issuer.test")
        .audience("api")
        .typ("JWT")
        .clock(Arc::new(FixedClock(NOW)))
        .build();
    for key in keys {
        let _ = compact::verify(token, key, compact::DEFAULT_MAX_LEN);
        same_verdicts(&validator(), token, key);
    }
    let _ = compact::verify(token, set, compact::DEFAULT_MAX_LEN);
    same_verdicts(&validator(), token, set);
    same_verdicts(&strict, token, set);
    let _ = danger::decode_unverified(token, compact::DEFAULT_MAX_LEN);
}

/// `verify` and `verify_view` accept and refuse alike, with the same error, and agree on the
/// token they accept.
fn same_verdicts(validator: &Validator, token: &str, keys: &impl tessera_jose::KeyResolver) {
    let owned = validator.verify(token, keys);
    let view = validator.verify_view(token, keys);
    match (owned, view) {
        (Ok(owned), Ok(view)) => {
            assert_eq!(view.claims(), owned.claims, "{token}");
            assert_eq!(view.header(), owned.header, "{token}");
        }
        (owned, view) => assert_eq!(owned.err(), view.err(), "{token}"),
    }
}

/// A JWK-shaped JSON object with members drawn from the real ones, holding base64url of
/// arbitrary bytes (of the right length often enough to reach the key checks).
fn jwk_like() -> impl Strategy<Value = Vec<u8>> {
    let kty = prop::sample::select(vec!["RSA", "EC", "OKP", "oct", "RSA ", ""]);
    let crv = option::of(prop::sample::select(vec![
        "P-256",
        "P-384",
        "P-521",
        "Ed25519",
        "X25519",
        "secp256k1",
    ]));
    let alg = option::of(prop::sample::select(vec![
        "HS256", "RS256", "PS512", "ES256", "ES512", "EdDSA", "none", "RSA-OAEP",
    ]));
    let number = || {
        option::of(prop_oneof![
            vec(any::<u8>(), 0..4),
            vec(any::<u8>(), 31..34),
            vec(any::<u8>(), 48..49),
            vec(any::<u8>(), 64..67),
            vec(any::<u8>(), 255..258),
        ])
    };
    let members = (
        (kty, crv, alg, option::of(".{0,4}")),
        (number(), number(), number(), number(), number()),
        (number(), number(), number()),
    );
    members.prop_map(|((kty, crv, alg, kid), (x, y, n, e, d), (k, p, q))| {
        let mut jwk = serde_json::json!({ "kty": kty });
        for (name, value) in [("crv", crv), ("alg", alg)] {
            if let Some(value) = value {
                jwk[name] = value.into();
            }
        }
        if let Some(kid) = kid {
            jwk["kid"] = kid.into();
        }
        let numbers = [
            ("x", x),
            ("y", y),
            ("n", n),
            ("e", e),
            ("d", d),
            ("k", k),
            ("p", p),
            ("q", q),
        ];
        for (name, value) in numbers {
            if let Some(bytes) = value {
                jwk[name] = b64::encode(&bytes).into();
            }
        }
        jwk.to_string().into_bytes()
    })
}

fn any_json_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..512),
        any::<String>().prop_map(String::into_bytes),
        jwk_like(),
        vec(jwk_like(), 0..4).prop_map(|keys| {
            let mut doc = b"{\"keys\":[".to_vec();
            doc.extend(keys.join(&b","[..]));
            doc.extend(b"]}");
            doc
        }),
    ]
}

fn load_keys_everywhere(json: &[u8]) {
    if let Ok(jwk) = Jwk::from_json(json) {
        let _ = jwk.thumbprint();
        let _ = VerifyingKey::from_jwk(&jwk, None);
        let _ = SigningKey::from_jwk(&jwk, None);
        for alg in Algorithm::ALL {
            let _ = VerifyingKey::from_jwk(&jwk, Some(alg));
        }
    }
    if let Ok(set) = JwkSet::from_json(json) {
        let _ = KeySet::from_jwks(&set, &[]);
        let _ = KeySet::from_jwks(&set, &[Algorithm::RS256, Algorithm::ES256]);
        let _ = KeySet::from_jwks(&set, &Algorithm::ALL);
    }
}

/// PEM armour with one of the labels the loader knows around arbitrary bytes, or plain text.
fn pem_like() -> impl Strategy<Value = String> {
    let label = prop::sample::select(vec![
        "PRIVATE KEY",
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
        "ENCRYPTED PRIVATE KEY",
        "CERTIFICATE",
        "OPENSSH PRIVATE KEY",
    ]);
    let der = prop_oneof![
        vec(any::<u8>(), 0..300),
        // A DER SEQUENCE header in front of arbitrary content reaches the structure readers.
        vec(any::<u8>(), 0..200).prop_map(|body| {
            let mut der = vec![0x30, 0x81, 0xc8];
            der.extend(body);
            der
        }),
    ];
    prop_oneof![
        (label, der).prop_map(|(label, der)| {
            let body = base64_std(&der);
            format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
        }),
        any::<String>(),
    ]
}

/// Standard base64 with padding, wrapped at 64 columns as PEM wants.
fn base64_std(bytes: &[u8]) -> String {
    let url = b64::encode(bytes).replace('-', "+").replace('_', "/");
    let padded = format!("{url}{}", "=".repeat((4 - url.len() % 4) % 4));
    let lines: Vec<&str> = padded
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect();
    lines.join("\n")
}

fn load_pem_everywhere(pem: &str) {
    let _ = VerifyingKey::from_pem(pem, None);
    let _ = SigningKey::from_pem(pem, None);
    for alg in [Algorithm::RS256, Algorithm::ES384, Algorithm::EdDSA] {
        let _ = VerifyingKey::from_pem(pem, Some(alg));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(PARSER_CASES))]

    #[test]
    fn verifiers_never_panic(token in any_text()) {
        verify_everywhere(&token);
    }

    #[test]
    fn correct_signatures_are_never_blamed((alg, token) in signed_token_like()) {
        verify_everywhere(&token);
        let result = compact::verify(&token, &fixture(alg).verifying, compact::DEFAULT_MAX_LEN);
        prop_assert!(
            !matches!(result, Err(tessera_jose::Error::Signature)),
            "a correct {} signature was refused: {}", alg, token
        );
    }

    #[test]
    fn decode_unverified_never_panics(token in any_text(), max_len in 0..=20_000usize) {
        let _ = danger::decode_unverified(&token, max_len);
    }

    #[test]
    fn jwk_parsers_never_panic(json in any_json_bytes()) {
        load_keys_everywhere(&json);
    }

    #[test]
    fn pem_loaders_never_panic(pem in pem_like()) {
        load_pem_everywhere(&pem);
    }
}

/// Found by the round-trip property: a float must come back bit for bit (serde_json's
/// `float_roundtrip` is on for that reason).
#[test]
fn tiny_float_claims_survive_sign_then_verify() {
    let value = 1.109_694_513_582_438_3e-116_f64;
    let text = Value::from(value).to_string();
    assert_eq!(serde_json::from_str::<f64>(&text).ok(), Some(value));
}

/// A resolver that knows no key's header, so that every header is decoded and parsed: the
/// reference for the shortcut that skips both for a key's own default header.
struct Parsing<'a, R>(&'a R);

impl<R: tessera_jose::KeyResolver> tessera_jose::KeyResolver for Parsing<'_, R> {
    fn candidates<'a>(
        &'a self,
        header: &Header,
    ) -> Result<tessera_jose::jwk::Candidates<'a>, tessera_jose::Error> {
        self.0.candidates(header)
    }
}

/// The outcome of a verification, comparable across resolvers.
fn outcome(result: Result<jwt::Token, tessera_jose::Error>) -> Result<(Header, Claims), String> {
    result
        .map(|token| (token.header, token.claims))
        .map_err(|err| format!("{}: {err}", err.code()))
}

/// An HMAC key with an arbitrary `kid`, its verifying half alone and in a set.
fn hmac_keys(kid: &str) -> (SigningKey, VerifyingKey, KeySet) {
    let signing = SigningKey::from_secret(&[7; 32], Algorithm::HS256)
        .expect("secret")
        .with_kid(kid);
    let verifying = signing.verifying_key().expect("same secret");
    let mut set = KeySet::default();
    set.push(signing.verifying_key().expect("same secret"))
        .expect("one key");
    (signing, verifying, set)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(PARSER_CASES))]

    /// The key's own header, taken from its cache, gives what parsing gives, and a header
    /// changed in any one byte is parsed and judged as without the cache.
    #[test]
    fn the_known_header_shortcut_agrees_with_parsing(
        kid in any::<String>(),
        at in any::<Index>(),
        delta in 1..=255u8,
    ) {
        let (signing, verifying, set) = hmac_keys(&kid);
        let validator = validator();
        let token = jwt::sign(&sample_claims(), &signing).expect("sign");
        let header_len = token.find('.').expect("three parts");
        let mut bytes = token.clone().into_bytes();
        bytes[at.index(header_len)] = bytes[at.index(header_len)].wrapping_add(delta);
        let changed = String::from_utf8(bytes).ok();
        for token in std::iter::once(token).chain(changed) {
            // A lone key ignores `kid` and a set looks it up, so each is compared with itself.
            let parsed = outcome(validator.verify(&token, &Parsing(&verifying)));
            prop_assert_eq!(outcome(validator.verify(&token, &verifying)), parsed);
            let parsed = outcome(validator.verify(&token, &Parsing(&set)));
            prop_assert_eq!(outcome(validator.verify(&token, &set)), parsed);
        }
    }
}

/// A token under the key's own header still meets the validator's header checks.
#[test]
fn the_known_header_shortcut_keeps_every_header_check() {
    let (signing, verifying, set) = hmac_keys("k1");
    let token = jwt::sign(&sample_claims(), &signing).expect("sign");
    let strict = Validator::builder()
        .clock(Arc::new(FixedClock(NOW)))
        .typ("at+jwt")
        .build();
    let code =
        |result: Result<jwt::Token, tessera_jose::Error>| result.map(|_| ()).map_err(|e| e.code());
    assert_eq!(code(strict.verify(&token, &verifying)), Err("typ_invalid"));
    assert_eq!(code(strict.verify(&token, &set)), Err("typ_invalid"));
    let es256_only = Validator::builder()
        .clock(Arc::new(FixedClock(NOW)))
        .algorithms([Algorithm::ES256])
        .build();
    assert_eq!(
        code(es256_only.verify(&token, &verifying)),
        Err("alg_not_allowed")
    );
    assert_eq!(
        code(es256_only.verify(&token, &set)),
        Err("alg_not_allowed")
    );
}
