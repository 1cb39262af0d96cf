//! Shared fixtures for the benchmarks: one key per algorithm, loaded once into each library
//! under test, a typical access-token claims set, and one token per algorithm that every
//! library verifies (so that all of them, and the floor, see the same bytes).

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as lc, KeyPair as _};
use aws_lc_rs::{hmac, signature::ParsedPublicKey};
use base64::Engine as _;
use jwt_simple::prelude as js;
use jwt_simple::prelude::{
    ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ECDSAP384KeyPairLike, ECDSAP384PublicKeyLike,
    EdDSAKeyPairLike, EdDSAPublicKeyLike, MACLike, RSAKeyPairLike, RSAPublicKeyLike,
};
use serde::{Deserialize, Serialize};
use tessera_jose as tj;

/// The algorithms compared.
pub const ALGORITHMS: [tj::Algorithm; 6] = [
    tj::Algorithm::HS256,
    tj::Algorithm::RS256,
    tj::Algorithm::PS256,
    tj::Algorithm::ES256,
    tj::Algorithm::ES384,
    tj::Algorithm::EdDSA,
];

pub const ISSUER: &str = "https://auth.example.com";
pub const AUDIENCE: &str = "orders-api";
pub const SUBJECT: &str = "u-7f3c9a2e";
pub const JTI: &str = "2f7ca1d4e8b34a90";
pub const CLIENT_ID: &str = "web-app";
pub const SCOPE: &str = "orders:read orders:write";
pub const ROLES: [&str; 2] = ["customer", "beta"];
/// A fixed 32-byte HS256 secret (the length RFC 7518 requires for HS256).
pub const HMAC_SECRET: &[u8; 32] = b"tessera-bench-hs256-secret-32byt";

/// The access-token claims as an application struct (what jsonwebtoken decodes into).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    pub roles: Vec<String>,
}

/// The access-token claims borrowed from tessera-jose's verified view
/// (`TokenView::deserialize`): what a service reads from each request's token.
#[derive(Debug, Deserialize)]
pub struct AccessView<'a> {
    pub sub: &'a str,
    pub jti: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    #[serde(borrow)]
    pub roles: Vec<&'a str>,
}

/// How the tessera-jose rows verify (the `TESSERA_VERIFY` environment variable of the
/// examples; the criterion comparison uses [`TesseraVerify::View`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TesseraVerify {
    /// `Validator::verify_view`: registered claims read in place, the rest on demand.
    View,
    /// `Validator::verify`: an owned `Token` (registered claims as `String`s).
    Owned,
    /// `Validator::verify_view`, then `TokenView::deserialize` into [`AccessView`]: every
    /// claim the service uses, typed, as jsonwebtoken and jwt-simple hand them over.
    Typed,
}

impl TesseraVerify {
    /// From `TESSERA_VERIFY` (`view`, `owned` or `typed`; default `view`).
    pub fn from_env() -> Self {
        match std::env::var("TESSERA_VERIFY").as_deref() {
            Ok("owned") => Self::Owned,
            Ok("typed") => Self::Typed,
            _ => Self::View,
        }
    }
}

/// The non-registered claims, for jwt-simple (whose `JWTClaims` holds the registered ones).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CustomClaims {
    pub client_id: String,
    pub scope: String,
    pub roles: Vec<String>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// jwt-simple's key types, one variant per algorithm (a match per call, under 1 ns).
pub enum SimpleKeys {
    HS256(js::HS256Key),
    RS256(js::RS256KeyPair, js::RS256PublicKey),
    PS256(js::PS256KeyPair, js::PS256PublicKey),
    ES256(js::ES256KeyPair, js::ES256PublicKey),
    ES384(js::ES384KeyPair, js::ES384PublicKey),
    EdDSA(js::Ed25519KeyPair, js::Ed25519PublicKey),
}

impl SimpleKeys {
    /// Signs; jwt-simple takes the claims by value, so the caller passes a clone.
    pub fn sign(&self, claims: js::JWTClaims<CustomClaims>) -> Result<String, jwt_simple::Error> {
        match self {
            Self::HS256(k) => k.authenticate(claims),
            Self::RS256(k, _) => k.sign(claims),
            Self::PS256(k, _) => k.sign(claims),
            Self::ES256(k, _) => k.sign(claims),
            Self::ES384(k, _) => k.sign(claims),
            Self::EdDSA(k, _) => k.sign(claims),
        }
    }

    /// Verifies and validates; jwt-simple takes the options by value.
    pub fn verify(
        &self,
        token: &str,
        options: js::VerificationOptions,
    ) -> Result<js::JWTClaims<CustomClaims>, jwt_simple::Error> {
        let options = Some(options);
        match self {
            Self::HS256(k) => k.verify_token(token, options),
            Self::RS256(_, k) => k.verify_token(token, options),
            Self::PS256(_, k) => k.verify_token(token, options),
            Self::ES256(_, k) => k.verify_token(token, options),
            Self::ES384(_, k) => k.verify_token(token, options),
            Self::EdDSA(_, k) => k.verify_token(token, options),
        }
    }
}

/// The bare aws-lc-rs primitive: keys parsed once, no JSON, no base64.
// One value per benchmark, made once: boxing the large variant would only add an
// indirection to the timed floor.
#[allow(clippy::large_enum_variant)]
pub enum Floor {
    Hmac(hmac::Key),
    Rsa(
        lc::RsaKeyPair,
        &'static dyn lc::RsaEncoding,
        ParsedPublicKey,
        SystemRandom,
    ),
    Ecdsa(lc::EcdsaKeyPair, ParsedPublicKey, SystemRandom),
    Ed25519(lc::Ed25519KeyPair, ParsedPublicKey),
}

impl Floor {
    /// Signs `input` and returns the raw signature.
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        match self {
            Self::Hmac(key) => hmac::sign(key, input).as_ref().to_vec(),
            Self::Rsa(pair, encoding, _, rng) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(*encoding, rng, input, &mut sig)
                    .expect("RSA sign");
                sig
            }
            Self::Ecdsa(pair, _, rng) => {
                pair.sign(rng, input).expect("ECDSA sign").as_ref().to_vec()
            }
            Self::Ed25519(pair, _) => pair.sign(input).as_ref().to_vec(),
        }
    }

    /// Verifies `signature` over `input`.
    pub fn verify(&self, input: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Hmac(key) => hmac::verify(key, input, signature).is_ok(),
            Self::Rsa(_, _, public, _) | Self::Ecdsa(_, public, _) | Self::Ed25519(_, public) => {
                public.verify_sig(input, signature).is_ok()
            }
        }
    }
}

/// Everything one algorithm's benchmarks need, built once.
pub struct Fixture {
    pub alg: tj::Algorithm,
    // tessera-jose
    pub tessera_signing: tj::SigningKey,
    pub tessera_verifying: tj::VerifyingKey,
    pub tessera_claims: tj::Claims,
    pub tessera_validator: tj::Validator,
    // jsonwebtoken
    pub jwt_encoding: jsonwebtoken::EncodingKey,
    pub jwt_decoding: jsonwebtoken::DecodingKey,
    pub jwt_header: jsonwebtoken::Header,
    pub jwt_validation: jsonwebtoken::Validation,
    pub jwt_claims: AccessClaims,
    // jwt-simple
    pub simple_keys: SimpleKeys,
    pub simple_claims: js::JWTClaims<CustomClaims>,
    pub simple_options: js::VerificationOptions,
    // the floor
    pub floor: Floor,
    /// The token every library verifies (signed by tessera-jose).
    pub token: String,
    /// `header.payload` of `token`.
    pub signing_input: Vec<u8>,
    /// The decoded signature of `token`.
    pub signature: Vec<u8>,
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body")
}

impl Fixture {
    /// Generates a key for `alg` and loads it into every library.
    pub fn new(alg: tj::Algorithm) -> Self {
        let iat = now();
        let exp = iat + 3600;

        let tessera_signing = match alg {
            tj::Algorithm::HS256 => tj::SigningKey::from_secret(HMAC_SECRET, alg),
            _ => tj::SigningKey::generate(alg),
        }
        .expect("tessera key");
        let tessera_verifying = tessera_signing.verifying_key().expect("tessera public key");
        let kid = tessera_signing.kid().to_owned();
        let tessera_claims = tj::Claims::new()
            .with_issuer(ISSUER)
            .with_subject(SUBJECT)
            .with_audience(AUDIENCE)
            .with_expiry(exp)
            .with_issued_at(iat)
            .with_jwt_id(JTI)
            .with("client_id", CLIENT_ID)
            .and_then(|c| c.with("scope", SCOPE))
            .and_then(|c| c.with("roles", ROLES.to_vec()))
            .expect("claims");
        let tessera_validator = tj::Validator::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build();

        // The same key material, as PEM, for the others.
        let (private_pem, public_pem) = if alg == tj::Algorithm::HS256 {
            (String::new(), String::new())
        } else {
            (
                tessera_signing.to_pem().expect("private PEM").to_string(),
                tessera_verifying.to_pem().expect("public PEM"),
            )
        };

        let jwt_alg = match alg {
            tj::Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            tj::Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            tj::Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
            tj::Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            tj::Algorithm::ES384 => jsonwebtoken::Algorithm::ES384,
            tj::Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
            other => panic!("not benchmarked: {other}"),
        };
        let (jwt_encoding, jwt_decoding) = match alg {
            tj::Algorithm::HS256 => (
                jsonwebtoken::EncodingKey::from_secret(HMAC_SECRET),
                jsonwebtoken::DecodingKey::from_secret(HMAC_SECRET),
            ),
            tj::Algorithm::RS256 | tj::Algorithm::PS256 => (
                jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes()),
                jsonwebtoken::DecodingKey::from_rsa_pem(public_pem.as_bytes()),
            ),
            tj::Algorithm::ES256 | tj::Algorithm::ES384 => (
                jsonwebtoken::EncodingKey::from_ec_pem(private_pem.as_bytes()),
                jsonwebtoken::DecodingKey::from_ec_pem(public_pem.as_bytes()),
            ),
            _ => (
                jsonwebtoken::EncodingKey::from_ed_pem(private_pem.as_bytes()),
                jsonwebtoken::DecodingKey::from_ed_pem(public_pem.as_bytes()),
            ),
        };
        let (jwt_encoding, jwt_decoding) = (
            jwt_encoding.expect("jsonwebtoken encoding key"),
            jwt_decoding.expect("jsonwebtoken decoding key"),
        );
        let mut jwt_header = jsonwebtoken::Header::new(jwt_alg);
        jwt_header.kid = Some(kid.clone());
        let mut jwt_validation = jsonwebtoken::Validation::new(jwt_alg);
        jwt_validation.set_issuer(&[ISSUER]);
        jwt_validation.set_audience(&[AUDIENCE]);
        let jwt_claims = AccessClaims {
            iss: ISSUER.into(),
            sub: SUBJECT.into(),
            aud: AUDIENCE.into(),
            exp,
            iat,
            jti: JTI.into(),
            client_id: CLIENT_ID.into(),
            scope: SCOPE.into(),
            roles: ROLES.iter().map(|r| r.to_string()).collect(),
        };

        let simple_keys = match alg {
            tj::Algorithm::HS256 => {
                SimpleKeys::HS256(js::HS256Key::from_bytes(HMAC_SECRET).with_key_id(&kid))
            }
            tj::Algorithm::RS256 => SimpleKeys::RS256(
                js::RS256KeyPair::from_pem(&private_pem)
                    .expect("jwt-simple RS256")
                    .with_key_id(&kid),
                js::RS256PublicKey::from_pem(&public_pem).expect("jwt-simple RS256 public"),
            ),
            tj::Algorithm::PS256 => SimpleKeys::PS256(
                js::PS256KeyPair::from_pem(&private_pem)
                    .expect("jwt-simple PS256")
                    .with_key_id(&kid),
                js::PS256PublicKey::from_pem(&public_pem).expect("jwt-simple PS256 public"),
            ),
            tj::Algorithm::ES256 => SimpleKeys::ES256(
                js::ES256KeyPair::from_pem(&private_pem)
                    .expect("jwt-simple ES256")
                    .with_key_id(&kid),
                js::ES256PublicKey::from_pem(&public_pem).expect("jwt-simple ES256 public"),
            ),
            tj::Algorithm::ES384 => SimpleKeys::ES384(
                js::ES384KeyPair::from_pem(&private_pem)
                    .expect("jwt-simple ES384")
                    .with_key_id(&kid),
                js::ES384PublicKey::from_pem(&public_pem).expect("jwt-simple ES384 public"),
            ),
            _ => SimpleKeys::EdDSA(
                js::Ed25519KeyPair::from_pem(&private_pem)
                    .expect("jwt-simple Ed25519")
                    .with_key_id(&kid),
                js::Ed25519PublicKey::from_pem(&public_pem).expect("jwt-simple Ed25519 public"),
            ),
        };
        let mut simple_claims = js::Claims::with_custom_claims(
            CustomClaims {
                client_id: CLIENT_ID.into(),
                scope: SCOPE.into(),
                roles: ROLES.iter().map(|r| r.to_string()).collect(),
            },
            js::Duration::from_hours(1),
        )
        .with_issuer(ISSUER)
        .with_subject(SUBJECT)
        .with_audience(AUDIENCE)
        .with_jwt_id(JTI);
        // Same claim set as the others: no `nbf`, the same `iat` and `exp`.
        simple_claims.invalid_before = None;
        simple_claims.issued_at = Some(js::UnixTimeStamp::from_secs(iat as u64));
        simple_claims.expires_at = Some(js::UnixTimeStamp::from_secs(exp as u64));
        let simple_options = js::VerificationOptions {
            allowed_issuers: Some(HashSet::from([ISSUER.to_owned()])),
            allowed_audiences: Some(HashSet::from([AUDIENCE.to_owned()])),
            ..Default::default()
        };

        let floor = match alg {
            tj::Algorithm::HS256 => Floor::Hmac(hmac::Key::new(hmac::HMAC_SHA256, HMAC_SECRET)),
            tj::Algorithm::RS256 | tj::Algorithm::PS256 => {
                let pair = lc::RsaKeyPair::from_pkcs8(&pem_der(&private_pem)).expect("floor RSA");
                let (encoding, verification): (&'static dyn lc::RsaEncoding, _) =
                    if alg == tj::Algorithm::RS256 {
                        (&lc::RSA_PKCS1_SHA256, &lc::RSA_PKCS1_2048_8192_SHA256)
                    } else {
                        (&lc::RSA_PSS_SHA256, &lc::RSA_PSS_2048_8192_SHA256)
                    };
                let public = ParsedPublicKey::new(verification, pair.public_key().as_ref())
                    .expect("floor RSA public");
                Floor::Rsa(pair, encoding, public, SystemRandom::new())
            }
            tj::Algorithm::ES256 | tj::Algorithm::ES384 => {
                let (signing, verification) = if alg == tj::Algorithm::ES256 {
                    (
                        &lc::ECDSA_P256_SHA256_FIXED_SIGNING,
                        &lc::ECDSA_P256_SHA256_FIXED,
                    )
                } else {
                    (
                        &lc::ECDSA_P384_SHA384_FIXED_SIGNING,
                        &lc::ECDSA_P384_SHA384_FIXED,
                    )
                };
                let pair = lc::EcdsaKeyPair::from_pkcs8(signing, &pem_der(&private_pem))
                    .expect("floor ECDSA");
                let public = ParsedPublicKey::new(verification, pair.public_key().as_ref())
                    .expect("floor ECDSA public");
                Floor::Ecdsa(pair, public, SystemRandom::new())
            }
            _ => {
                let pair =
                    lc::Ed25519KeyPair::from_pkcs8(&pem_der(&private_pem)).expect("floor Ed25519");
                let public = ParsedPublicKey::new(&lc::ED25519, pair.public_key().as_ref())
                    .expect("floor Ed25519 public");
                Floor::Ed25519(pair, public)
            }
        };

        let token = tj::jwt::sign(&tessera_claims, &tessera_signing).expect("tessera sign");
        let (signing_input, signature_b64) = token.rsplit_once('.').expect("three parts");
        let signature = tj::b64::decode(signature_b64.as_bytes()).expect("signature base64");
        let fixture = Self {
            alg,
            tessera_signing,
            tessera_verifying,
            tessera_claims,
            tessera_validator,
            jwt_encoding,
            jwt_decoding,
            jwt_header,
            jwt_validation,
            jwt_claims,
            simple_keys,
            simple_claims,
            simple_options,
            floor,
            signing_input: signing_input.as_bytes().to_vec(),
            signature,
            token,
        };
        fixture.check();
        fixture
    }

    /// Every library accepts the shared token and its own, so that no benchmark measures a
    /// failure path.
    pub fn check(&self) {
        let alg = self.alg;
        let own = [
            (
                "tessera",
                tj::jwt::sign(&self.tessera_claims, &self.tessera_signing).expect("sign"),
            ),
            (
                "jsonwebtoken",
                jsonwebtoken::encode(&self.jwt_header, &self.jwt_claims, &self.jwt_encoding)
                    .expect("jsonwebtoken sign"),
            ),
            (
                "jwt-simple",
                self.simple_keys
                    .sign(self.simple_claims.clone())
                    .expect("jwt-simple sign"),
            ),
        ];
        for (who, token) in own.iter().chain([&("shared", self.token.clone())]) {
            let t = self
                .tessera_validator
                .verify(token, &self.tessera_verifying)
                .unwrap_or_else(|e| panic!("{alg}: tessera rejects {who}'s token: {e}"));
            assert_eq!(t.claims.sub.as_deref(), Some(SUBJECT));
            let view = self
                .tessera_validator
                .verify_view(token, &self.tessera_verifying)
                .unwrap_or_else(|e| panic!("{alg}: tessera's view rejects {who}'s token: {e}"));
            let typed: AccessView<'_> = view.deserialize().expect("access claims");
            assert_eq!((view.sub(), typed.scope), (Some(SUBJECT), SCOPE));
            let j = jsonwebtoken::decode::<AccessClaims>(
                token,
                &self.jwt_decoding,
                &self.jwt_validation,
            )
            .unwrap_or_else(|e| panic!("{alg}: jsonwebtoken rejects {who}'s token: {e}"));
            assert_eq!(j.claims.scope, SCOPE);
            let s = self
                .simple_keys
                .verify(token, self.simple_options.clone())
                .unwrap_or_else(|e| panic!("{alg}: jwt-simple rejects {who}'s token: {e}"));
            assert_eq!(s.custom.client_id, CLIENT_ID);
            let (input, sig) = token.rsplit_once('.').expect("three parts");
            let sig = tj::b64::decode(sig.as_bytes()).expect("base64");
            assert!(
                self.floor.verify(input.as_bytes(), &sig),
                "{alg}: floor rejects {who}'s"
            );
        }
        let sig = self.floor.sign(&self.signing_input);
        assert!(self.floor.verify(&self.signing_input, &sig));
        // Everybody signs the same claims under {alg, typ, kid}: token lengths within a few bytes.
        let lens: Vec<usize> = own.iter().map(|(_, t)| t.len()).collect();
        assert!(
            lens.iter().max().unwrap_or(&0) - lens.iter().min().unwrap_or(&0) <= 16,
            "{alg}: token lengths differ: {lens:?}"
        );
    }

    /// Verifies the shared token with tessera-jose the way `how` says; returns a value that
    /// depends on the work so that it cannot be optimized away.
    pub fn tessera_verify(&self, how: TesseraVerify) -> usize {
        let token = std::hint::black_box(&self.token);
        let validator = &self.tessera_validator;
        let key = &self.tessera_verifying;
        match how {
            TesseraVerify::View => {
                let view = validator.verify_view(token, key).expect("verify");
                view.sub().map_or(0, str::len)
            }
            TesseraVerify::Owned => {
                let token = validator.verify(token, key).expect("verify");
                token.claims.sub.map_or(0, |sub| sub.len())
            }
            TesseraVerify::Typed => {
                let view = validator.verify_view(token, key).expect("verify");
                let claims: AccessView<'_> = view.deserialize().expect("access claims");
                claims.sub.len() + claims.roles.len()
            }
        }
    }

    /// The claims set as JSON, for the README.
    pub fn payload_json(&self) -> String {
        self.tessera_claims.to_json()
    }
}
