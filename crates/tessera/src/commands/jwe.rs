//! `tessera jwe encrypt|decrypt`: RFC 7516 compact JWEs with JWK keys, and the key loading
//! that `token sign|verify --jwe-key` share.

use std::io::{self, IsTerminal, Read};
use std::path::Path;

use tessera_jose::jwe::{self, DecryptionKey, EncryptionKey, KeyAlgorithm};
use tessera_jose::{Error, Jwk, JwkSet};
use zeroize::Zeroizing;

use crate::cli::{JweDecryptArgs, JweEncryptArgs, JweGenerateArgs};
use crate::error::{CliError, Exit};
use crate::{commands, input};

/// The hint for a file that is not a JWK.
const JWK_HINT: &str = "a JWE key file holds one JWK, such as {\"kty\":\"RSA\",\"n\":…} or \
     {\"kty\":\"oct\",\"k\":…}";

/// Encrypts the payload and prints the compact JWE.
///
/// # Errors
/// Exit 2 for an unusable key, a key that does not fit `--alg`, or unreadable input.
pub(crate) fn encrypt(args: &JweEncryptArgs) -> Result<(), CliError> {
    let payload = payload(args.payload.as_deref())?;
    let key = match (&args.key.jwk, &args.key.jwks) {
        (Some(path), _) => encryption_key(path, Some(args.alg))?,
        (None, Some(path)) => {
            let origin = format!("JWKS file {}", path.display());
            let bytes = Zeroizing::new(input::file(path, "JWKS")?);
            let jwks = JwkSet::from_json(&bytes).map_err(|err| CliError::key(&origin, &err))?;
            EncryptionKey::select(&jwks, args.alg).map_err(|err| match err {
                Error::KeyNotFound => CliError::usage(format!(
                    "{origin} has no encryption key for {}",
                    args.alg
                ))
                .with_hint("a key fits when its use is \"enc\" (or absent), its alg is --alg (or absent) and its type serves --alg"),
                err => CliError::key(&origin, &err),
            })?
        }
        // clap's ArgGroup requires exactly one source.
        (None, None) => return Err(CliError::usage("no key given; pass --jwk or --jwks")),
    };
    let mut header = key.header(args.enc);
    if let Some(cty) = &args.cty {
        header = header.with_cty(cty.clone());
    }
    let token = jwe::compact::encrypt(&header, &payload, &key)
        .map_err(|err| CliError::jose(Exit::Usage, &err))?;
    commands::print(&token)
}

/// Decrypts the JWE and writes the plaintext to stdout unchanged.
///
/// # Errors
/// Exit 1 when the JWE is refused or cannot be decrypted; exit 2 for an unusable key.
pub(crate) fn decrypt(args: &JweDecryptArgs) -> Result<(), CliError> {
    let token = input::token(args.jwe.as_deref())?;
    let key = decryption_key(&args.jwk, &token)?;
    let decrypted = jwe::compact::decrypt(&token, &key, input::MAX_TOKEN_INPUT)
        .map_err(|err| rejection(&err, &key, &token))?;
    commands::write_raw(&decrypted.plaintext)
}

/// Prints a new key for `--alg` as a JWK (or its public half).
///
/// # Errors
/// Exit 2 for `--public` with a shared secret, or `dir` without `--enc`.
pub(crate) fn generate(args: &JweGenerateArgs) -> Result<(), CliError> {
    let secret = matches!(
        args.alg,
        KeyAlgorithm::A128Kw | KeyAlgorithm::A256Kw | KeyAlgorithm::Dir
    );
    if args.public && secret {
        return Err(CliError::usage(format!(
            "a {} key is a shared secret; it has no public half",
            args.alg
        ))
        .with_hint("drop --public, and give the key to the other side by a secure channel"));
    }
    let key = DecryptionKey::generate(args.alg, Some(args.curve), args.enc).map_err(|err| {
        CliError::jose(Exit::Usage, &err)
            .with_hint("a dir key needs --enc, which decides its length")
    })?;
    let jwk = if args.public {
        key.encryption_key()
            .map_err(|err| CliError::jose(Exit::Usage, &err))?
            .to_jwk()
    } else {
        key.to_jwk()
    };
    commands::print(&jwk.to_json())
}

/// Loads a decryption key from a private JWK file. A JWK without `alg` is bound to the
/// algorithm the JWE names, when that one fits the key's type.
///
/// # Errors
/// Exit 2 for an unreadable, public, weak or mismatched key.
pub(crate) fn decryption_key(path: &Path, token: &str) -> Result<DecryptionKey, CliError> {
    let origin = format!("key file {}", path.display());
    let jwk = read_jwk(path, &origin)?;
    let alg = match jwk.alg {
        Some(_) => None,
        None => header_alg(token),
    };
    DecryptionKey::from_jwk(&jwk, alg)
        .or_else(|err| match alg {
            // The JWE's alg does not fit this key: load it with its own and let the
            // decryption refuse the JWE with a clear reason.
            Some(_) if err.code() == "key_alg_mismatch" => DecryptionKey::from_jwk(&jwk, None),
            _ => Err(err),
        })
        .map_err(|err| key_error(&origin, &err))
}

/// Loads an encryption key from a JWK file (public or private).
///
/// # Errors
/// Exit 2 for an unreadable, weak or mismatched key.
pub(crate) fn encryption_key(
    path: &Path,
    alg: Option<KeyAlgorithm>,
) -> Result<EncryptionKey, CliError> {
    let origin = format!("key file {}", path.display());
    let jwk = read_jwk(path, &origin)?;
    EncryptionKey::from_jwk(&jwk, alg).map_err(|err| key_error(&origin, &err))
}

fn read_jwk(path: &Path, origin: &str) -> Result<Jwk, CliError> {
    let bytes = Zeroizing::new(input::file(path, "key")?);
    Jwk::from_json(&bytes).map_err(|err| CliError::key(origin, &err).with_hint(JWK_HINT))
}

fn key_error(origin: &str, err: &Error) -> CliError {
    let error = CliError::key(origin, err);
    match err.code() {
        "key_use_not_permitted" => error.with_hint(
            "decryption needs the private key, with \"use\": \"enc\" or no use; signing keys do not decrypt",
        ),
        "alg_insecure" => error.with_hint("RSA1_5 keys are refused; give the key alg RSA-OAEP-256"),
        _ => error,
    }
}

/// The `alg` a JWE's header names, read without any check (only to bind an alg-less key).
pub(crate) fn header_alg(token: &str) -> Option<KeyAlgorithm> {
    let part = token.split('.').next()?;
    let bytes = tessera_jose::b64::decode(part.as_bytes())?;
    let header: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    header.get("alg")?.as_str()?.parse().ok()
}

/// A refused JWE, with what to do about it.
pub(crate) fn rejection(err: &Error, key: &DecryptionKey, token: &str) -> CliError {
    let rejected = CliError::jose(Exit::Rejected, err);
    match err {
        Error::Decryption => rejected
            .with_hint("the JWE was altered, or encrypted to another key than the one given"),
        Error::AlgNotAllowed(alg) => rejected.with_hint(format!(
            "the JWE uses {alg} but the key is bound to {}; use the key it was encrypted to",
            key.algorithm()
        )),
        Error::AlgInsecure(_) => {
            rejected.with_hint("ask the sender to encrypt with RSA-OAEP-256 or ECDH-ES")
        }
        Error::Malformed(_) if token.matches('.').count() == 2 => rejected.with_hint(
            "three parts make a signed JWS, which is not encrypted: use `tessera token decode`",
        ),
        Error::Malformed(_) => {
            rejected.with_hint("a compact JWE is five base64url parts separated by dots")
        }
        _ => rejected,
    }
}

/// The payload to encrypt: the argument's bytes, or stdin's (at most 64 KiB).
fn payload(arg: Option<&str>) -> Result<Vec<u8>, CliError> {
    match arg {
        Some(text) if text != "-" => return Ok(text.as_bytes().to_vec()),
        None if io::stdin().is_terminal() => {
            return Err(CliError::usage("no payload given")
                .with_hint("pass it as an argument, or pipe it in: tessera jwe encrypt … < file"));
        }
        _ => {}
    }
    let mut bytes = Vec::new();
    io::stdin()
        .lock()
        .take(input::MAX_TOKEN_INPUT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| CliError::usage(format!("cannot read stdin: {err}")))?;
    if bytes.len() > input::MAX_TOKEN_INPUT {
        return Err(CliError::usage(format!(
            "the payload is over {} KiB; a JWE over that size is refused when decrypted",
            input::MAX_TOKEN_INPUT / 1024
        )));
    }
    Ok(bytes)
}
