//! Loading keys for the token tools: PEM and JWK files, JWK Sets from files or URLs, and raw
//! HMAC secrets. Every key is bound to one algorithm before it is used.

use std::path::Path;

use tessera_jose::{Algorithm, Error, Jwk, JwkSet, KeySet, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::{fetch, input};

/// The hint shown when a file holds something other than a key.
const KEY_FILE_HINT: &str = "a key file holds a -----BEGIN ... KEY----- PEM block or a JWK, \
     such as the output of `tessera keys generate`";

/// A key file's content, recognised by its shape.
enum KeyDoc {
    Pem(Zeroizing<String>),
    Jwk(Box<Jwk>),
    Jwks(JwkSet),
}

/// Loads a verifying key from a PEM (public or private) or JWK file.
///
/// With no `allowed` algorithms the key keeps its own (the JWK's `alg`, or the key type's
/// default). Otherwise it is bound to one of `allowed` that fits its type: the token's
/// `alg` when that one fits, else the key's default, else the first that fits.
///
/// # Errors
/// Exit 2 for an unreadable or unusable key, or when no allowed algorithm fits it.
pub(crate) fn verifying_key(
    path: &Path,
    allowed: &[Algorithm],
    token_alg: Option<Algorithm>,
) -> Result<VerifyingKey, CliError> {
    let origin = origin(path);
    let bytes = Zeroizing::new(input::file(path, "key")?);
    match parse_doc(&bytes, &origin)? {
        KeyDoc::Pem(pem) => bind(&origin, allowed, token_alg, |alg| {
            VerifyingKey::from_pem(&pem, alg)
        }),
        KeyDoc::Jwk(jwk) => bind(&origin, allowed, token_alg, |alg| {
            VerifyingKey::from_jwk(&jwk, alg)
        }),
        KeyDoc::Jwks(_) => Err(CliError::usage(format!("{origin} holds a JWK Set"))
            .with_hint("use --jwks for a key set; --key takes a single key")),
    }
}

/// Loads an HMAC secret from a file of raw bytes (one trailing newline removed).
///
/// The algorithm is one of the HS* in `allowed`, chosen as for [`verifying_key`], or HS256.
///
/// # Errors
/// Exit 2 for an unreadable, empty or short secret, or a non-HMAC `--alg`.
pub(crate) fn secret(
    path: &Path,
    allowed: &[Algorithm],
    token_alg: Option<Algorithm>,
) -> Result<VerifyingKey, CliError> {
    let origin = format!("secret file {}", path.display());
    let bytes = Zeroizing::new(input::file(path, "secret")?);
    let secret = strip_newline(&bytes);
    if secret.is_empty() {
        return Err(CliError::usage(format!("{origin} is empty")));
    }
    bind(&origin, allowed, token_alg, |alg| {
        VerifyingKey::from_secret(secret, alg.unwrap_or(Algorithm::HS256))
    })
}

/// Loads a JWK Set from a file or an https URL and builds the verification set.
///
/// # Errors
/// Exit 2 when it cannot be fetched or read, is not a JWKS, or holds no usable signing key.
pub(crate) fn key_set(source: &str, allowed: &[Algorithm]) -> Result<KeySet, CliError> {
    let (bytes, origin) = if fetch::is_url(source) {
        (fetch::get(source)?, format!("JWKS from {source}"))
    } else {
        let path = Path::new(source);
        (
            input::file(path, "JWKS")?,
            format!("JWKS file {}", path.display()),
        )
    };
    let bytes = Zeroizing::new(bytes);
    let jwks = match parse_doc(&bytes, &origin)? {
        KeyDoc::Jwks(jwks) => jwks,
        KeyDoc::Jwk(_) | KeyDoc::Pem(_) => {
            return Err(
                CliError::usage(format!("{origin} holds a single key, not a JWK Set"))
                    .with_hint("use --key for a single key; a JWKS looks like {\"keys\": [...]}"),
            );
        }
    };
    let set = KeySet::from_jwks(&jwks, allowed).map_err(|err| CliError::key(&origin, &err))?;
    if set.is_empty() {
        return Err(CliError::usage(format!("{origin} has no signing keys"))
            .with_hint("a JWKS for tokens lists keys with \"use\": \"sig\" (or no use)"));
    }
    Ok(set)
}

/// Loads a private key for signing from a PEM or JWK file, bound to `alg` when given.
///
/// # Errors
/// Exit 2 for an unreadable, public, weak or mismatched key.
pub(crate) fn signing_key(path: &Path, alg: Option<Algorithm>) -> Result<SigningKey, CliError> {
    let origin = origin(path);
    let bytes = Zeroizing::new(input::file(path, "key")?);
    let public_only = || {
        CliError::usage(format!(
            "{origin} holds a public key; signing needs the private key"
        ))
        .with_hint("use the file printed by `tessera keys generate` (without --public)")
    };
    let key = match parse_doc(&bytes, &origin)? {
        KeyDoc::Pem(pem) if pem.contains("PUBLIC KEY-----") => return Err(public_only()),
        KeyDoc::Pem(pem) => SigningKey::from_pem(&pem, alg),
        KeyDoc::Jwk(jwk) if jwk.d.is_none() && jwk.k.is_none() => return Err(public_only()),
        KeyDoc::Jwk(jwk) => SigningKey::from_jwk(&jwk, alg),
        KeyDoc::Jwks(_) => {
            return Err(CliError::usage(format!("{origin} holds a JWK Set"))
                .with_hint("signing needs one private key; put it in a file of its own"));
        }
    };
    key.map_err(|err| CliError::key(&origin, &err))
}

fn origin(path: &Path) -> String {
    format!("key file {}", path.display())
}

/// Loads a key with its own algorithm, then rebinds it when the allow-list asks for another.
fn bind(
    origin: &str,
    allowed: &[Algorithm],
    token_alg: Option<Algorithm>,
    load: impl Fn(Option<Algorithm>) -> Result<VerifyingKey, Error>,
) -> Result<VerifyingKey, CliError> {
    let key = load(None).map_err(|err| CliError::key(origin, &err))?;
    match choose_alg(key.algorithm(), allowed, token_alg) {
        Ok(None) => Ok(key),
        Ok(Some(alg)) if alg == key.algorithm() => Ok(key),
        Ok(Some(alg)) => load(Some(alg)).map_err(|err| CliError::key(origin, &err)),
        Err(err) => Err(err.context(origin)),
    }
}

/// The algorithm to bind a key of default algorithm `own` to, given `--alg` values.
fn choose_alg(
    own: Algorithm,
    allowed: &[Algorithm],
    token_alg: Option<Algorithm>,
) -> Result<Option<Algorithm>, CliError> {
    if allowed.is_empty() {
        return Ok(None);
    }
    let fitting: Vec<Algorithm> = allowed
        .iter()
        .copied()
        .filter(|alg| alg.family() == own.family())
        .collect();
    let Some(first) = fitting.first().copied() else {
        let names: Vec<&str> = allowed.iter().map(|alg| alg.as_str()).collect();
        return Err(CliError::usage(format!(
            "--alg {} does not fit this key, which is for {own}",
            names.join(", ")
        ))
        .with_hint("each key serves one algorithm family; pass the key the issuer signs with"));
    };
    let choice = token_alg
        .filter(|alg| fitting.contains(alg))
        .or_else(|| fitting.contains(&own).then_some(own))
        .unwrap_or(first);
    Ok(Some(choice))
}

/// Recognises a PEM block, a JWK or a JWK Set.
fn parse_doc(bytes: &[u8], origin: &str) -> Result<KeyDoc, CliError> {
    let not_a_key = || CliError::usage(format!("{origin} is not a key")).with_hint(KEY_FILE_HINT);
    let text = std::str::from_utf8(bytes).map_err(|_| not_a_key())?;
    let start = text.trim_start();
    if start.starts_with("-----BEGIN") {
        return Ok(KeyDoc::Pem(Zeroizing::new(text.to_owned())));
    }
    if !start.starts_with('{') {
        return Err(not_a_key());
    }
    let is_set = serde_json::from_slice::<serde_json::Value>(bytes)
        .is_ok_and(|value| value.get("keys").is_some());
    let doc = if is_set {
        JwkSet::from_json(bytes).map(KeyDoc::Jwks)
    } else {
        Jwk::from_json(bytes).map(|jwk| KeyDoc::Jwk(Box::new(jwk)))
    };
    doc.map_err(|err| CliError::key(origin, &err).with_hint(KEY_FILE_HINT))
}

/// Removes one trailing `\n` (or `\r\n`) left by editors and `echo`.
fn strip_newline(bytes: &[u8]) -> &[u8] {
    match bytes.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Algorithm::*;

    #[test]
    fn chooses_the_token_alg_when_allowed_and_fitting() {
        let pick = |own, allowed: &[Algorithm], token| {
            choose_alg(own, allowed, token).map_err(|e| e.to_string())
        };
        assert_eq!(pick(RS256, &[], Some(PS256)), Ok(None));
        assert_eq!(pick(RS256, &[RS256, PS256], Some(PS256)), Ok(Some(PS256)));
        assert_eq!(pick(RS256, &[RS256, PS256], Some(ES256)), Ok(Some(RS256)));
        assert_eq!(pick(RS256, &[PS384, ES256], None), Ok(Some(PS384)));
        assert_eq!(pick(HS256, &[HS512], Some(HS512)), Ok(Some(HS512)));
        assert!(pick(ES256, &[ES384], Some(ES384)).is_err());
        assert!(pick(HS256, &[RS256], None).is_err());
    }

    #[test]
    fn strips_one_newline_only() {
        assert_eq!(strip_newline(b"abc\n"), b"abc");
        assert_eq!(strip_newline(b"abc\r\n"), b"abc");
        assert_eq!(strip_newline(b"abc\n\n"), b"abc\n");
        assert_eq!(strip_newline(b"abc\r"), b"abc\r");
    }
}
