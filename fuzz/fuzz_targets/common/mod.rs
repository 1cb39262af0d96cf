//! Fixed keys and validators shared by the fuzz targets and the seed generator.
//!
//! The keys are test keys made once for fuzzing; they protect nothing.

#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use tessera_jose::jws::compact;
use tessera_jose::{Algorithm, FixedClock, Jwk, KeySet, SigningKey, Validator, VerifyingKey, b64};

/// The instant the validators live at; seed tokens are valid then.
pub const NOW: i64 = 1_800_000_000;

/// The issuer and audience the strict validator wants.
pub const ISSUER: &str = "https://issuer.fuzz";
pub const AUDIENCE: &str = "fuzz-api";

/// The private JWKs, one per key family.
pub const JWKS: [&str; 4] = [
    include_str!("../../keys/hs256.json"),
    include_str!("../../keys/es256.json"),
    include_str!("../../keys/rs256.json"),
    include_str!("../../keys/eddsa.json"),
];

/// One fixed key: its private half (to sign, and to recompute deterministic signatures) and
/// its public half (to verify).
pub struct Key {
    pub signing: SigningKey,
    pub verifying: VerifyingKey,
}

impl Key {
    /// True when signing the same input twice gives the same signature (all but ECDSA).
    pub fn deterministic(&self) -> bool {
        self.signing.algorithm() != Algorithm::ES256
    }
}

/// Everything a target verifies with.
pub struct Fixture {
    pub keys: Vec<Key>,
    pub set: KeySet,
    /// Defaults only: `exp` required, 60 s leeway.
    pub lenient: Validator,
    /// Issuer, audience, `typ` and `sub` required, and only the four algorithms allowed.
    pub strict: Validator,
}

/// The fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

fn build() -> Fixture {
    let mut keys = Vec::new();
    let mut set = KeySet::default();
    for json in JWKS {
        let jwk = Jwk::from_json(json.as_bytes()).expect("fixed JWK parses");
        let signing = SigningKey::from_jwk(&jwk, None).expect("fixed JWK is a signing key");
        let verifying = VerifyingKey::from_jwk(&jwk, None).expect("fixed JWK verifies");
        set.push(VerifyingKey::from_jwk(&jwk, None).expect("fixed JWK verifies"))
            .expect("distinct kids");
        keys.push(Key { signing, verifying });
    }
    let clock = Arc::new(FixedClock(NOW));
    let lenient = Validator::builder().clock(clock.clone()).build();
    let strict = Validator::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .typ("JWT")
        .require("sub")
        .algorithms([
            Algorithm::HS256,
            Algorithm::ES256,
            Algorithm::RS256,
            Algorithm::EdDSA,
        ])
        .clock(clock)
        .build();
    Fixture {
        keys,
        set,
        lenient,
        strict,
    }
}

/// The three dot-separated parts of `token`, if it has exactly three.
pub fn parts(token: &str) -> Option<[&str; 3]> {
    let mut pieces = token.split('.');
    let parts = [pieces.next()?, pieces.next()?, pieces.next()?];
    pieces.next().is_none().then_some(parts)
}

/// Asserts that each part of an accepted token is the one canonical base64url encoding of the
/// bytes it decodes to: a second spelling of the same token must not verify.
pub fn assert_canonical(token: &str) {
    let parts = parts(token).expect("an accepted token has three parts");
    for part in parts {
        let bytes = b64::decode(part.as_bytes()).expect("an accepted part is base64url");
        assert_eq!(
            b64::encode(&bytes),
            part,
            "non-canonical base64url accepted"
        );
    }
}

/// Joins `header` and `payload` as a compact signing input.
pub fn signing_input(header: &[u8], payload: &[u8]) -> String {
    format!("{}.{}", b64::encode(header), b64::encode(payload))
}

/// Signs `header` and `payload` with `key`, header `alg` or not.
pub fn sign_raw(key: &SigningKey, header: &[u8], payload: &[u8]) -> String {
    let input = signing_input(header, payload);
    let signature = key.sign(input.as_bytes()).expect("fixed keys sign");
    format!("{input}.{}", b64::encode(&signature))
}

/// The default length cap, re-exported for the targets.
pub const MAX_LEN: usize = compact::DEFAULT_MAX_LEN;
