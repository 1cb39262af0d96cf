//! The access token both guard benchmarks verify: a typical RFC 9068 token of ~200 bytes of
//! claims, signed with a fresh key of the given algorithm.

use tessera_jose::jws::Header;
use tessera_jose::{Algorithm, Claims, SigningKey, jwt};

/// The issuer the token names and the guards expect.
pub(crate) const ISSUER: &str = "https://auth.example.com";
/// The audience the token names and the guards expect.
pub(crate) const AUDIENCE: &str = "orders-api";

/// A new signing key of `alg` and an access token it signed.
pub(crate) fn signed_access_token(alg: Algorithm) -> (SigningKey, String) {
    access_token(alg, None)
}

/// As [`signed_access_token`], the token bound to the key of thumbprint `jkt` if given.
pub(crate) fn access_token(alg: Algorithm, jkt: Option<&str>) -> (SigningKey, String) {
    let key = SigningKey::generate(alg).expect("key");
    let token = sign_access_token(&key, jkt);
    (key, token)
}

/// The access token signed by `key`, bound to the key of thumbprint `jkt` if given.
pub(crate) fn sign_access_token(key: &SigningKey, jkt: Option<&str>) -> String {
    let alg = key.algorithm();
    let claims = Claims::new()
        .with_issuer(ISSUER)
        .with_subject("4f1c7d2e-9a8b-4c6d-8e2f-1a2b3c4d5e6f")
        .with_audience(AUDIENCE)
        .with_expiry(4_102_444_800)
        .with_issued_at(1_764_000_000)
        .with_jwt_id("b7e3f1a2c4d5e6f7a8b9c0d1e2f3a4b5")
        .with("client_id", "orders-web")
        .and_then(|c| c.with("scope", "orders:read orders:write"))
        .and_then(|c| c.with("roles", vec!["clerk"]))
        .and_then(|c| match jkt {
            Some(jkt) => c.with("cnf", serde_json::json!({ "jkt": jkt })),
            None => Ok(c),
        })
        .expect("claims");
    let header = Header::new(alg).with_typ("at+jwt").with_kid(key.kid());
    jwt::sign_with_header(&header, &claims, key).expect("sign")
}
