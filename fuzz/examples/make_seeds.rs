//! Writes the seed corpora under `seeds/<target>/`: valid tokens for each fixed key, tokens
//! that fail one check each, and the fixed keys as JWK, JWKS and PEM.
//!
//! Run from `fuzz/`: `cargo run --example make_seeds` (a plain build; no nightly needed).

#[path = "../fuzz_targets/common/mod.rs"]
mod common;

use std::fs;
use std::path::Path;

use tessera_jose::jws::{Header, compact};
use tessera_jose::{Claims, JwkSet, jwt};

use common::{AUDIENCE, ISSUER, NOW, fixture};

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut tokens = Vec::new();
    let mut signed = Vec::new();
    let mut keys = Vec::new();
    for key in &fixture().keys {
        let alg = key.signing.algorithm().as_str().to_lowercase();
        tokens.extend(tokens_for(&alg, &key.signing));
        let header = format!(
            r#"{{"alg":"{}","typ":"JWT","kid":"{}"}}"#,
            key.signing.algorithm(),
            key.signing.kid()
        );
        signed.push((format!("{alg}-header-only"), header.clone().into_bytes()));
        let mut with_claims = header.into_bytes();
        with_claims.push(0);
        with_claims.extend(strict_claims().to_json().into_bytes());
        signed.push((format!("{alg}-header-and-claims"), with_claims));
        keys.push((format!("{alg}-private.jwk"), key.signing.to_jwk().to_json()));
        keys.push((
            format!("{alg}-public.jwk"),
            key.verifying.to_jwk().to_json(),
        ));
        if let Ok(pem) = key.signing.to_pem() {
            keys.push((format!("{alg}-private.pem"), pem.to_string()));
        }
        if let Ok(pem) = key.verifying.to_pem() {
            keys.push((format!("{alg}-public.pem"), pem));
        }
    }
    let mut public = JwkSet::default();
    public.keys = fixture()
        .keys
        .iter()
        .map(|k| k.verifying.to_jwk())
        .collect();
    keys.push(("public.jwks".into(), public.to_json()));

    write_all(
        &root.join("verify_token"),
        tokens.iter().map(as_bytes).chain(signed.clone()),
    )?;
    write_all(&root.join("decode_unverified"), tokens.iter().map(as_bytes))?;
    write_all(&root.join("parse_keys"), keys.iter().map(as_bytes))?;
    Ok(())
}

fn strict_claims() -> Claims {
    claims_for(AUDIENCE)
}

fn claims_for(audience: &str) -> Claims {
    Claims::new()
        .with_issuer(ISSUER)
        .with_audience(audience)
        .with_subject("fuzz")
        .with_issued_at(NOW - 60)
        .with_expiry(NOW + 3600)
}

/// A valid token, and tokens refused by one check each.
fn tokens_for(alg: &str, key: &tessera_jose::SigningKey) -> Vec<(String, String)> {
    let sign = |claims: &Claims| jwt::sign(claims, key).expect("fixed keys sign");
    let no_kid = compact::sign(
        &Header::new(key.algorithm()).with_typ("JWT"),
        strict_claims().to_json().as_bytes(),
        key,
    )
    .expect("fixed keys sign");
    vec![
        (format!("{alg}-valid"), sign(&strict_claims())),
        (format!("{alg}-no-kid"), no_kid),
        (
            format!("{alg}-expired"),
            sign(&strict_claims().with_expiry(NOW - 3600)),
        ),
        (format!("{alg}-wrong-audience"), sign(&claims_for("other"))),
        (
            format!("{alg}-minimal"),
            sign(&Claims::new().with_expiry(NOW + 60)),
        ),
    ]
}

fn as_bytes<T: AsRef<[u8]>>((name, body): &(String, T)) -> (String, Vec<u8>) {
    (name.clone(), body.as_ref().to_vec())
}

fn write_all(dir: &Path, files: impl Iterator<Item = (String, Vec<u8>)>) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    for (name, body) in files {
        fs::write(dir.join(name), body)?;
    }
    Ok(())
}
