//! `tessera keys generate`: a new key, printed as a JWK or PEM. Nothing is stored.
//! `tessera keys list|rotate|retire`: the signing keys in the deployment's store (offline).

use tessera_jose::{Algorithm, KeyFamily, SigningKey};
use zeroize::Zeroizing;

use tessera_core::KeyChange;
use tessera_core::model::{Actor, KeyState, Timestamp};

use crate::cli::{GenerateArgs, GlobalArgs, KeyFormat};
use crate::commands::{self, admin};
use crate::error::{CliError, Exit};
use crate::timefmt;

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

/// Arguments of `keys list`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

/// Arguments of `keys rotate`.
#[derive(Debug, clap::Args)]
pub(crate) struct RotateArgs {
    /// The new key's algorithm: RS256, PS256, ES256, ES384 or EdDSA [default: tokens.signing_alg]
    #[arg(long, value_name = "ALG")]
    alg: Option<String>,
}

/// Arguments of `keys retire`.
#[derive(Debug, clap::Args)]
pub(crate) struct RetireArgs {
    /// The key id, as `tessera keys list` shows it. A thumbprint may start with `-`
    /// (base64url), so a value that looks like a flag is taken as the id.
    #[arg(value_name = "KID", allow_hyphen_values = true)]
    kid: String,
}

/// Lists every signing key in the store, oldest first, without key material.
///
/// # Errors
/// Exit 2 for bad configuration.
pub(crate) fn list(global: &GlobalArgs, args: &ListArgs) -> Result<(), CliError> {
    let keys = admin::with_deployment(global, |d| async move {
        d.authority().list_keys().await.map_err(CliError::from)
    })?;
    if args.json {
        return commands::print(&admin::json(&keys)?);
    }
    let when = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| timefmt::utc(t.secs()));
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.kid.to_string(),
                k.alg.to_string(),
                state_name(k.state).to_owned(),
                when(Some(k.created_at)),
                when(Some(k.activates_at)),
                when(k.retired_at),
            ]
        })
        .collect();
    let header = ["KID", "ALG", "STATE", "CREATED", "ACTIVATES", "RETIRED"];
    commands::print(&admin::table(&header, &rows))
}

/// Rotates now: a new key signs at once and the previous ones start retiring.
///
/// # Errors
/// Exit 2 for an algorithm Tessera does not sign with, or bad configuration.
pub(crate) fn rotate(global: &GlobalArgs, args: &RotateArgs) -> Result<(), CliError> {
    let alg = args
        .alg
        .as_deref()
        .map(|name| {
            tessera_core::keys::parse_alg(name).map_err(|_| {
                CliError::usage(format!("Tessera does not sign with {name:?}"))
                    .with_hint("use --alg RS256, PS256, ES256, ES384 or EdDSA")
            })
        })
        .transpose()?;
    let changes = admin::with_deployment(global, |d| async move {
        d.authority()
            .rotate_keys_now(alg, &Actor::Operator)
            .await
            .map_err(CliError::from)
    })?;
    print_changes(&changes)
}

/// Retires a key at once: it leaves the JWKS and what it signed stops verifying.
///
/// # Errors
/// Exit 1 for an unknown or already retired kid; exit 2 for the key that signs now.
pub(crate) fn retire(global: &GlobalArgs, args: &RetireArgs) -> Result<(), CliError> {
    let kid = args.kid.as_str();
    let change = admin::with_deployment(global, |d| async move {
        d.authority()
            .retire_key(kid, &Actor::Operator)
            .await
            .map_err(|err| {
                CliError::from(err)
                    .context(&format!("key {kid}"))
                    .with_hint("`tessera keys list` shows the keys and their states")
            })
    })?;
    print_changes(std::slice::from_ref(&change))
}

fn print_changes(changes: &[KeyChange]) -> Result<(), CliError> {
    for change in changes {
        let line = match change.from {
            None => format!(
                "{} {}: new, {}",
                change.kid,
                change.alg,
                state_name(change.to)
            ),
            Some(from) => format!(
                "{} {}: {} -> {}",
                change.kid,
                change.alg,
                state_name(from),
                state_name(change.to)
            ),
        };
        commands::print(&line)?;
    }
    Ok(())
}

fn state_name(state: KeyState) -> &'static str {
    match state {
        KeyState::Published => "published",
        KeyState::Active => "active",
        KeyState::Retiring => "retiring",
        KeyState::Retired => "retired",
    }
}
