//! Interoperability with libraries no one here wrote: PyJWT, cryptography and Authlib in
//! Python, `jose` and `openid-client` in Node. Each test needs its runtime and packages
//! (interop/README.md), so all are ignored on a fresh machine; `.ci/run` installs the packages
//! and runs them. A test whose runtime or package is missing fails and says what to install.

#[path = "../server/helpers.rs"]
mod helpers;

mod fixtures;
mod tools;

/// One `#[test]` per signing algorithm, each calling `$check($subject, ALG)`, so that a failure
/// names the algorithm.
macro_rules! per_alg {
    ($check:path, $subject:expr, $reason:literal) => {
        #[test]
        #[ignore = $reason]
        fn rs256() {
            $check($subject, "RS256");
        }

        #[test]
        #[ignore = $reason]
        fn ps256() {
            $check($subject, "PS256");
        }

        #[test]
        #[ignore = $reason]
        fn es256() {
            $check($subject, "ES256");
        }

        #[test]
        #[ignore = $reason]
        fn es384() {
            $check($subject, "ES384");
        }

        #[test]
        #[ignore = $reason]
        fn eddsa() {
            $check($subject, "EdDSA");
        }
    };
}

mod browser_flow;
mod browser_pages;
mod console_pages;
mod demo_web;
mod device_flow;
mod device_pages;
mod encrypted_id_token;
mod foreign_tokens;
mod guard;
mod jwe;
mod oauth_clients;
mod second_factor_pages;
mod server_tokens;
mod spa_cors;

use serde_json::Value;

use crate::helpers::{Client, DataDir};

/// The audience of the test clients' tokens (not the issuer, so that a verifier which
/// confused the two would fail).
pub(crate) const AUDIENCE: &str = "interop-api";

/// `tessera client add interop …` with these grants, scope `orders:read` and [`AUDIENCE`].
pub(crate) fn add_client(data: &DataDir, grants: &[&str]) -> Client {
    let mut args = vec!["client", "add", "interop", "--scope", "orders:read"];
    args.extend(["--audience", AUDIENCE]);
    for grant in grants {
        args.extend(["--grant", grant]);
    }
    let out: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    Client {
        id: out["client_id"].as_str().expect("client_id").to_owned(),
        secret: out["client_secret"].as_str().map(str::to_owned),
    }
}
