//! Access tokens issued by `tessera serve` are accepted by PyJWT (PyJWKClient) and by `jose`
//! (createRemoteJWKSet + jwtVerify), which find the keys through discovery and check iss, aud,
//! typ and a pinned algorithm, for every signing algorithm the server offers.

use base64::Engine as _;
use serde_json::Value;

use crate::helpers::{DataDir, ServerProcess, get, login, text};
use crate::tools::{Runtime, assert_rejected, json_output};
use crate::{AUDIENCE, add_client};

/// A resource-server library that verifies our tokens.
#[derive(Clone, Copy, Debug)]
enum Verifier {
    PyJwt,
    Jose,
}

impl Verifier {
    fn runtime_and_script(self) -> (Runtime, &'static str) {
        match self {
            Self::PyJwt => (Runtime::Python, "verify_remote.py"),
            Self::Jose => (Runtime::Node, "verify-remote.mjs"),
        }
    }

    /// The library's own name for a wrong `aud`.
    fn audience_error(self) -> &'static str {
        match self {
            Self::PyJwt => "InvalidAudienceError",
            Self::Jose => "unexpected \"aud\" claim value",
        }
    }

    fn verify(self, issuer: &str, audience: &str, alg: &str, token: &str) -> std::process::Output {
        let (runtime, script) = self.runtime_and_script();
        let args = ["--issuer", issuer, "--audience", audience, "--alg", alg];
        runtime.run(script, &args, token)
    }
}

/// A server signing with `alg`; a login token is verified by `verifier`, which must return
/// exactly the signed claims, and must refuse the token for another audience.
fn check(verifier: Verifier, alg: &str) {
    let (runtime, _) = verifier.runtime_and_script();
    runtime.require();
    let data = DataDir::new();
    let server = ServerProcess::start_with(&data, &[("TESSERA_TOKENS__SIGNING_ALG", alg)]);
    data.add_user("alice", &[]);
    let client = add_client(&data, &["password"]);
    let access = text(&login(&server, &client, "alice"), "access_token");
    let what = format!("{verifier:?} on a {alg} token");

    let claims = json_output(
        &what,
        &verifier.verify(&server.base, AUDIENCE, alg, &access),
    );
    assert_eq!(claims, payload(&access), "{what}: the claims as signed");
    assert_eq!(claims["iss"], server.base.as_str(), "{what}");
    assert_eq!(claims["aud"], AUDIENCE, "{what}");
    assert_eq!(claims["client_id"], client.id.as_str(), "{what}");
    let me = get(&server.url("/userinfo"), Some(&access)).json();
    assert_eq!(claims["sub"], me["sub"], "{what}: sub is the user's id");

    let other = verifier.verify(&server.base, &server.base, alg, &access);
    assert_rejected(
        &format!("{what}, wrong aud"),
        &other,
        verifier.audience_error(),
    );
}

/// The token's claims, decoded without verification, to compare with a library's result.
fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a compact JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// PyJWT with PyJWKClient.
mod pyjwt {
    use super::Verifier;

    per_alg!(
        super::check,
        Verifier::PyJwt,
        "needs python3 with interop/python/requirements.txt"
    );
}

/// `jose` with createRemoteJWKSet and jwtVerify.
mod jose {
    use super::Verifier;

    per_alg!(
        super::check,
        Verifier::Jose,
        "needs node with interop/node packages (npm ci)"
    );
}
