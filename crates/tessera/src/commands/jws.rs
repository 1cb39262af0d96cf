//! `tessera jws verify`: a signature check with one key, printing the payload bytes.

use tessera_jose::jws::compact;
use tessera_jose::{Algorithm, danger};

use crate::cli::JwsVerifyArgs;
use crate::error::{CliError, Exit};
use crate::{commands, input, keysource};

/// Verifies the JWS signature and writes the payload to stdout unchanged.
///
/// # Errors
/// Exit 1 when the signature or header is rejected; exit 2 for bad usage or an unusable key.
pub(crate) fn verify(args: &JwsVerifyArgs) -> Result<(), CliError> {
    let jws = input::token(args.jws.as_deref())?;
    let token_alg = danger::decode_unverified(&jws, input::MAX_TOKEN_INPUT)
        .ok()
        .and_then(|parts| parts.header.get("alg")?.as_str()?.parse().ok());
    let allowed: Vec<_> = args.alg.into_iter().collect();
    let key = keysource::verifying_key(&args.jwk, &allowed, token_alg)?;
    let verified = compact::verify(&jws, &key, input::MAX_TOKEN_INPUT).map_err(|err| {
        let rejected = CliError::jose(Exit::Rejected, &err);
        match err.code() {
            "signature_invalid" => {
                rejected.with_hint("the JWS was altered, or signed with another key than --jwk")
            }
            "alg_not_allowed" => rejected.with_hint(alg_hint(key.algorithm(), token_alg)),
            _ => rejected,
        }
    })?;
    commands::write_raw(&verified.payload)
}

fn alg_hint(key_alg: Algorithm, token_alg: Option<Algorithm>) -> String {
    match token_alg {
        Some(alg) if alg.family() == key_alg.family() => {
            format!("the key is bound to {key_alg}; pass --alg {alg} if the JWS really uses it")
        }
        Some(alg) => format!("the JWS is {alg} but the key is for {key_alg}; use the signer's key"),
        None => "the JWS names no algorithm Tessera accepts (`none` never is)".into(),
    }
}
