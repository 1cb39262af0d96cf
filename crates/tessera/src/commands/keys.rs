//! `tessera keys generate`: a new key, printed as a JWK or PEM. Nothing is stored.

use tessera_jose::{Algorithm, KeyFamily, SigningKey};
use zeroize::Zeroizing;

use crate::cli::{GenerateArgs, KeyFormat};
use crate::commands;
use crate::error::{CliError, Exit};

/// Generates a key and prints it (the private key unless `--public`).
///
/// # Errors
/// Exit 2 for combinations that have no meaning (`--public` or PEM for an HMAC secret,
/// `--bits` for a non-RSA key).
pub(crate) fn generate(args: &GenerateArgs) -> Result<(), CliError> {
    check_combination(args)?;
    let mut key = new_key(args.alg, args.bits)?;
    if let Some(kid) = &args.kid {
        key = key.with_kid(kid.clone());
    }
    let failed = |err: tessera_jose::Error| CliError::jose(Exit::Usage, &err);
    let text: Zeroizing<String> = match (args.format, args.public) {
        (KeyFormat::Jwk, false) => Zeroizing::new(pretty(&key.to_jwk())),
        (KeyFormat::Jwk, true) => pretty(&key.verifying_key().map_err(failed)?.to_jwk()).into(),
        (KeyFormat::Pem, false) => key.to_pem().map_err(failed)?,
        (KeyFormat::Pem, true) => key
            .verifying_key()
            .and_then(|k| k.to_pem())
            .map_err(failed)?
            .into(),
    };
    commands::print(text.trim_end())
}

fn check_combination(args: &GenerateArgs) -> Result<(), CliError> {
    let alg = args.alg;
    if alg.is_symmetric() && args.public {
        return Err(CliError::usage(format!(
            "an {alg} key is a shared secret and has no public half"
        ))
        .with_hint(
            "give verifiers the secret JWK over a safe channel, or use an asymmetric --alg \
             such as ES256 or EdDSA",
        ));
    }
    if alg.is_symmetric() && args.format == KeyFormat::Pem {
        return Err(CliError::usage(format!("an {alg} secret has no PEM form"))
            .with_hint("use --format jwk (the default)"));
    }
    if args.bits.is_some() && alg.family() != KeyFamily::Rsa {
        return Err(CliError::usage(format!(
            "--bits is for RSA keys (RS* and PS*), not {alg}"
        )));
    }
    Ok(())
}

fn new_key(alg: Algorithm, bits: Option<usize>) -> Result<SigningKey, CliError> {
    match bits {
        Some(bits) => SigningKey::generate_rsa(alg, bits),
        None => SigningKey::generate(alg),
    }
    .map_err(|err| CliError::jose(Exit::Usage, &err))
}

fn pretty(value: &impl serde::Serialize) -> String {
    // Serializing a JWK cannot fail: it holds only strings and JSON values.
    serde_json::to_string_pretty(value).unwrap_or_default()
}
