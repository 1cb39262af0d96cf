//! `tessera token sign`: claims and a private key in, a compact JWT out.

use serde_json::Value;
use tessera_jose::{Claims, Clock, SystemClock, jwt};

use super::warnings;
use crate::cli::SignArgs;
use crate::error::{CliError, Exit};
use crate::{commands, input, keysource};

/// Signs the claims (then encrypts them with `--jwe-key`) and prints the token; risky claims
/// are reported on stderr.
///
/// # Errors
/// Exit 2 for an unusable key or claims that are not a JSON object.
pub(crate) fn run(args: &SignArgs) -> Result<(), CliError> {
    let mut key = keysource::signing_key(&args.key, args.alg)?;
    if let Some(kid) = &args.kid {
        key = key.with_kid(kid.clone());
    }
    let claims = claims(args, SystemClock.now())?;
    warn_about(&claims);
    let token = match &args.jwe_key {
        None => jwt::sign(&claims, &key),
        Some(path) => {
            let recipient = crate::commands::jwe::encryption_key(path, None)?;
            jwt::sign_and_encrypt(&claims, &key, &recipient, args.jwe_enc)
        }
    }
    .map_err(|err| CliError::jose(Exit::Usage, &err))?;
    commands::print(&token)
}

/// The claims from `--claims`, with iat and exp filled in when absent.
fn claims(args: &SignArgs, now: i64) -> Result<Claims, CliError> {
    let text = input::inline_or_file(&args.claims, "claims")?;
    let mut claims = Claims::from_json(text.trim().as_bytes()).map_err(|err| {
        CliError::jose(Exit::Usage, &err)
            .context("--claims")
            .with_hint("give a JSON object such as '{\"sub\":\"alice\"}', or @FILE")
    })?;
    let ttl = i64::try_from(args.ttl.as_secs()).unwrap_or(i64::MAX);
    claims.iat.get_or_insert(now);
    claims.exp.get_or_insert(now.saturating_add(ttl));
    Ok(claims)
}

/// Prints warnings for claims that should not be in a token, and for long lifetimes.
fn warn_about(claims: &Claims) {
    let Ok(Value::Object(map)) = serde_json::to_value(claims) else {
        return;
    };
    for warning in warnings::claims(&map, SystemClock.now()) {
        eprintln!("warning: {} [{}]", warning.message, warning.code);
    }
}
