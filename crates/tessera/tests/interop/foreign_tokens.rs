//! Tokens and keys made by PyJWT/cryptography and by `jose` are verified by
//! `tessera token verify`, with their JWKS and with each PEM, and tampered copies are refused.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

use crate::fixtures::{ALGS, ForeignTokens, Generator, Tampered};

/// The key source given to `tessera token verify`.
enum KeySource<'a> {
    Jwks(&'a Path),
    /// A PEM does not say which RSA scheme it serves, so the algorithm is pinned with it.
    Pem(&'a Path, &'a str),
}

/// `tessera token verify` with the fixtures' issuer, audience and typ, the token on stdin.
fn verify(tokens: &ForeignTokens, source: &KeySource<'_>, token: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.args(["token", "verify"]);
    match source {
        KeySource::Jwks(path) => cmd.arg("--jwks").arg(path),
        KeySource::Pem(path, alg) => cmd.arg("--key").arg(path).args(["--alg", alg]),
    };
    cmd.args(["--iss", tokens.manifest("issuer")])
        .args(["--aud", tokens.manifest("audience")])
        .args(["--typ", tokens.manifest("typ")])
        .pipe_stdin(token)
        .expect("token file")
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run tessera token verify")
}

/// Checks one algorithm of one generator with both key sources.
fn check(generator: Generator, alg: &str) {
    let tokens = ForeignTokens::generate(generator);
    assert_eq!(tokens.algs(), ALGS, "{generator:?} covers every algorithm");
    let jwks = tokens.jwks();
    let pem = tokens.pem(alg);
    for source in [KeySource::Jwks(&jwks), KeySource::Pem(&pem, alg)] {
        let what = match source {
            KeySource::Jwks(_) => format!("{generator:?} {alg} token with the JWKS"),
            KeySource::Pem(..) => format!("{generator:?} {alg} token with the PEM"),
        };
        accepts(&tokens, &source, alg, &what);
        rejects_tampered(&tokens, &source, alg, &what);
    }
}

/// Both tampered copies exit 1 for their signature, and print no claims.
fn rejects_tampered(tokens: &ForeignTokens, source: &KeySource<'_>, alg: &str, what: &str) {
    for tampered in [Tampered::Payload, Tampered::Signature] {
        let output = verify(tokens, source, &tokens.token(alg, Some(tampered)));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{what}, {tampered:?}: {stderr}"
        );
        assert!(
            stderr.contains("(signature_invalid)"),
            "{what}, {tampered:?}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "{what}, {tampered:?}: no claims");
    }
}

fn accepts(tokens: &ForeignTokens, source: &KeySource<'_>, alg: &str, what: &str) {
    let output = verify(tokens, source, &tokens.token(alg, None));
    assert!(
        output.status.success(),
        "{what} ({}): {}",
        tokens.manifest("generator"),
        String::from_utf8_lossy(&output.stderr)
    );
    let claims: Value = serde_json::from_slice(&output.stdout).expect("claims JSON");
    assert_eq!(claims, tokens.claims(alg), "{what}: the claims as signed");
}

/// Made by PyJWT with keys from cryptography.
mod pyjwt {
    use crate::fixtures::Generator;

    per_alg!(
        super::check,
        Generator::PyJwt,
        "needs python3 with interop/python/requirements.txt"
    );
}

/// Made by the `jose` package.
mod jose {
    use crate::fixtures::Generator;

    per_alg!(
        super::check,
        Generator::Jose,
        "needs node with interop/node packages (npm ci)"
    );
}
