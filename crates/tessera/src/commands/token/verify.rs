//! `tessera token verify`: signature, then claims, against keys the user trusts.

use serde_json::{Map, Value};
use tessera_jose::{
    Algorithm, ClaimReason, Clock, Error, KeySet, Malformed, Part, SystemClock, Validator,
    VerifyingKey, danger,
};

use super::warnings;
use crate::cli::{KeySourceArgs, VerifyArgs};
use crate::commands::jwe;
use crate::error::{CliError, Exit};
use crate::{commands, input, keysource, timefmt};

/// The verification keys from the one key source given.
enum Keys {
    One(Box<VerifyingKey>),
    Set(KeySet),
}

impl Keys {
    fn algorithms(&self) -> Vec<Algorithm> {
        let mut algs: Vec<Algorithm> = match self {
            Self::One(key) => vec![key.algorithm()],
            Self::Set(set) => set.algorithms().into_iter().collect(),
        };
        algs.sort();
        algs
    }
}

/// Verifies the token and prints its claims.
///
/// # Errors
/// Exit 1 with the reason when the token is rejected; exit 2 for bad usage or keys.
pub(crate) fn run(args: &VerifyArgs) -> Result<(), CliError> {
    let token = input::token(args.token.as_deref())?;
    let jwe_key = match &args.jwe_key {
        Some(path) => Some(jwe::decryption_key(path, &token)?),
        None => None,
    };
    // The signed token inside a nested JWT, decrypted once here only to read its header for
    // the key choice and the hints; the validator decrypts and checks it again.
    let inner = jwe_key.as_ref().and_then(|key| {
        let decrypted = tessera_jose::jwe::compact::decrypt(&token, key, input::MAX_TOKEN_INPUT);
        decrypted
            .ok()
            .and_then(|d| String::from_utf8(d.plaintext).ok())
    });
    let shown = inner.as_deref().unwrap_or(&token);
    let peek = Peek::new(shown);
    let keys = load_keys(&args.source, &args.alg, peek.alg())?;
    let validator = validator(args);
    let verified = match (&keys, &jwe_key) {
        (Keys::One(key), None) => validator.verify(&token, key.as_ref()),
        (Keys::Set(set), None) => validator.verify(&token, set),
        (Keys::One(key), Some(jwe)) => validator.decrypt_and_verify(&token, jwe, key.as_ref()),
        (Keys::Set(set), Some(jwe)) => validator.decrypt_and_verify(&token, jwe, set),
    }
    .map_err(|err| match (&jwe_key, &err) {
        (Some(key), Error::Decryption | Error::AlgInsecure(_) | Error::EncNotAllowed(_)) => {
            jwe::rejection(&err, key, &token)
        }
        _ => rejection(&err, shown, &peek, args, &keys),
    })?;
    let claims = serde_json::to_string_pretty(&verified.claims).unwrap_or_default();
    commands::print(&claims)
}

fn load_keys(
    source: &KeySourceArgs,
    allowed: &[Algorithm],
    token_alg: Option<Algorithm>,
) -> Result<Keys, CliError> {
    if let Some(jwks) = &source.jwks {
        return keysource::key_set(jwks, allowed).map(Keys::Set);
    }
    if let Some(path) = &source.key {
        return keysource::verifying_key(path, allowed, token_alg)
            .map(|key| Keys::One(Box::new(key)));
    }
    if let Some(path) = &source.secret_file {
        return keysource::secret(path, allowed, token_alg).map(|key| Keys::One(Box::new(key)));
    }
    // clap's ArgGroup requires exactly one source; this is reached only if that changes.
    Err(CliError::usage(
        "no key source given; pass --jwks, --key or --secret-file",
    ))
}

fn validator(args: &VerifyArgs) -> Validator {
    let mut builder = Validator::builder().algorithms(args.alg.iter().copied());
    if let Some(iss) = &args.iss {
        builder = builder.issuer(iss);
    }
    if let Some(aud) = &args.aud {
        builder = builder.audience(aud);
    }
    if let Some(typ) = &args.typ {
        builder = builder.typ(typ);
    }
    if let Some(leeway) = args.leeway {
        builder = builder.leeway(leeway);
    }
    builder.build()
}

/// The token's header and claims read without checks, only to explain a rejection.
struct Peek {
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl Peek {
    fn new(token: &str) -> Self {
        let parts = danger::decode_unverified(token, input::MAX_TOKEN_INPUT).ok();
        let claims = parts
            .as_ref()
            .and_then(|p| serde_json::from_slice::<Map<String, Value>>(&p.payload).ok());
        Self {
            header: parts.map(|p| p.header).unwrap_or_default(),
            claims: claims.unwrap_or_default(),
        }
    }

    fn alg(&self) -> Option<Algorithm> {
        self.text("alg")?.parse().ok()
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    fn time(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(warnings::numeric)
    }

    /// A claim as compact JSON, cut short, for messages.
    fn claim(&self, name: &str) -> String {
        let text = self
            .claims
            .get(name)
            .map(Value::to_string)
            .unwrap_or_else(|| "absent".into());
        text.chars().take(80).collect()
    }
}

fn rejection(err: &Error, token: &str, peek: &Peek, args: &VerifyArgs, keys: &Keys) -> CliError {
    let rejected = CliError::jose(Exit::Rejected, err);
    match hint(err, token, peek, args, keys) {
        Some(hint) => rejected.with_hint(hint),
        None => rejected,
    }
}

fn hint(err: &Error, token: &str, peek: &Peek, args: &VerifyArgs, keys: &Keys) -> Option<String> {
    let now = SystemClock.now();
    let ago = |at: i64| timefmt::span(at.abs_diff(now));
    match err {
        Error::Claim { claim, reason } => claim_hint(claim, *reason, peek, &ago),
        Error::Signature => Some(
            "the token was altered, or signed with another key; check that this is the issuer's \
             current key"
                .into(),
        ),
        Error::KeyNotFound => Some(format!(
            "the token's kid {:?} is not among the keys given; the issuer may have rotated its \
             keys, so fetch its current JWKS",
            peek.text("kid").unwrap_or("(none)")
        )),
        Error::AlgNotAllowed(alg) => Some(alg_hint(alg, keys, &args.alg)),
        Error::TypInvalid(_) => Some(format!(
            "--typ {} was required; drop it or pass the typ the issuer uses",
            args.typ.as_deref().unwrap_or_default()
        )),
        Error::Malformed(
            Malformed::Json(Part::Payload, _) | Malformed::NotObject(Part::Payload),
        ) => Some(
            "the signature is valid but the payload is not JWT claims; for a raw JWS use \
                 `tessera jws verify`"
                .into(),
        ),
        Error::Malformed(_) if token.matches('.').count() == 4 && args.jwe_key.is_none() => Some(
            "five parts make an encrypted JWE; for a nested JWT pass --jwe-key with the \
             recipient's private key"
                .into(),
        ),
        Error::Malformed(_) => Some(input::malformed_hint(token)),
        Error::NotNested(_) => Some(
            "the JWE does not hold a signed token; read its content with `tessera jwe decrypt`"
                .into(),
        ),
        _ => None,
    }
}

fn claim_hint(
    claim: &str,
    reason: ClaimReason,
    peek: &Peek,
    ago: &dyn Fn(i64) -> String,
) -> Option<String> {
    let at = peek.time(claim);
    match (reason, claim) {
        (ClaimReason::Expired, _) => at.map(|exp| {
            format!(
                "it expired {} ago ({}); get a fresh token, or allow clock skew with --leeway",
                ago(exp),
                timefmt::utc(exp)
            )
        }),
        (ClaimReason::NotYetValid, _) => at.map(|nbf| {
            format!(
                "it becomes valid in {} ({}); check both clocks, or allow skew with --leeway",
                ago(nbf),
                timefmt::utc(nbf)
            )
        }),
        (ClaimReason::IssuedInFuture, _) => at.map(|iat| {
            format!(
                "iat is {} ahead of this machine's clock; check both clocks",
                ago(iat)
            )
        }),
        (ClaimReason::Missing, "exp") => {
            Some("tokens without exp never expire, so they are always refused".into())
        }
        (ClaimReason::Missing, "iss" | "aud") => Some(format!(
            "--{claim} was given, so the token must carry `{claim}`"
        )),
        (ClaimReason::Mismatch, "iss") => Some(format!(
            "the token's iss is {}; --iss must name the issuer exactly",
            peek.claim("iss")
        )),
        (ClaimReason::Mismatch, "aud") => Some(format!(
            "the token's aud is {}, so it was issued for another service",
            peek.claim("aud")
        )),
        _ => None,
    }
}

fn alg_hint(alg: &str, keys: &Keys, allowed: &[Algorithm]) -> String {
    let Ok(token_alg) = alg.parse::<Algorithm>() else {
        return "an unsigned token (alg none, or no alg) or an unknown alg is never accepted"
            .into();
    };
    if !allowed.is_empty() && !allowed.contains(&token_alg) {
        return format!("the token says {alg}, which --alg does not allow");
    }
    let key_algs = keys.algorithms();
    let names: Vec<&str> = key_algs.iter().map(|a| a.as_str()).collect();
    if key_algs.iter().any(|k| k.family() == token_alg.family()) {
        format!(
            "the token says {alg}, the key given verifies {}; if the issuer really signs with \
             {alg}, pass --alg {alg}",
            names.join(", ")
        )
    } else {
        format!(
            "the token says {alg}, but the key given is for {}; use the issuer's key",
            names.join(", ")
        )
    }
}
