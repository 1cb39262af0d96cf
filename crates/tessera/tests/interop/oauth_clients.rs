//! Standard OAuth client libraries, configured only from our discovery document, run the
//! password, refresh_token and client_credentials grants against `tessera serve`, and their
//! JOSE side verifies every access token against the published keys.

use serde_json::{Value, json};

use crate::helpers::{Client, DataDir, PASSWORD, ServerProcess, get, login, text};
use crate::tools::{Runtime, assert_rejected, json_output};
use crate::{AUDIENCE, add_client};

const SCOPE: &str = "orders:read";
/// The server's default signing algorithm, which these tests leave unconfigured.
const DEFAULT_ALG: &str = "RS256";

/// A client library and its flow script.
#[derive(Clone, Copy, Debug)]
enum Library {
    /// Authlib's requests OAuth2Session, RFC 8414 metadata checks, authlib.jose.
    Authlib,
    /// openid-client's discovery and grants, `jose` for the tokens.
    OpenIdClient,
}

impl Library {
    fn runtime_and_script(self) -> (Runtime, &'static str) {
        match self {
            Self::Authlib => (Runtime::Python, "oauth_flow.py"),
            Self::OpenIdClient => (Runtime::Node, "oauth-flow.mjs"),
        }
    }

    /// Runs the flow as `client` and user alice with `password`, checking tokens for `audience`.
    fn run(
        self,
        server: &ServerProcess,
        client: &Client,
        password: &str,
        audience: &str,
    ) -> std::process::Output {
        let (runtime, script) = self.runtime_and_script();
        let args = [
            "--issuer",
            server.base.as_str(),
            "--client-id",
            client.id.as_str(),
            "--username",
            "alice",
            "--scope",
            SCOPE,
            "--audience",
            audience,
            "--alg",
            DEFAULT_ALG,
        ];
        let secrets = json!({"client_secret": client.secret, "password": password});
        runtime.run(script, &args, &secrets.to_string())
    }

    /// The library's words for a refused login and for a token of another audience.
    fn rejections(self) -> (&'static str, &'static str) {
        match self {
            Self::Authlib => ("invalid_grant", "Invalid claim 'aud'"),
            Self::OpenIdClient => ("invalid_grant", "unexpected \"aud\" claim value"),
        }
    }
}

fn check(library: Library) {
    let (runtime, _) = library.runtime_and_script();
    runtime.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let client = add_client(&data, &["password", "refresh_token", "client_credentials"]);

    let output = library.run(&server, &client, PASSWORD, AUDIENCE);
    let report = json_output(&format!("{library:?} flow"), &output);
    let user = user_grants(&server, &client, &report);
    let service = &report["client_credentials"];
    assert_grant(service, &client, false);
    assert_ne!(
        service["claims"]["sub"], user,
        "a service token is not the user's"
    );

    let (refused_login, wrong_audience) = library.rejections();
    let output = library.run(&server, &client, "not the password", AUDIENCE);
    assert_rejected(
        &format!("{library:?}, wrong password"),
        &output,
        refused_login,
    );
    let output = library.run(&server, &client, PASSWORD, "another-api");
    assert_rejected(
        &format!("{library:?}, other audience"),
        &output,
        wrong_audience,
    );
}

/// Checks the password and refresh grants' tokens; returns the user's `sub`.
fn user_grants(server: &ServerProcess, client: &Client, report: &Value) -> Value {
    let (first, refreshed) = (&report["password"], &report["refresh_token"]);
    assert_grant(first, client, true);
    assert_grant(refreshed, client, true);
    assert_ne!(first["claims"]["jti"], refreshed["claims"]["jti"]);
    let user = first["claims"]["sub"].clone();
    assert_eq!(refreshed["claims"]["sub"], user);
    // The sub the library verified is the account's id, as the server itself reports it (the
    // library's tokens stay in its process, so ask with a token fetched here).
    let access = text(&login(server, client, "alice"), "access_token");
    let me = get(&server.url("/userinfo"), Some(&access));
    assert_eq!(me.json()["sub"], user);
    user
}

/// One grant's summary: verified claims for our client and audience, the response's shape.
fn assert_grant(grant: &Value, client: &Client, refresh_expected: bool) {
    let claims = &grant["claims"];
    assert_eq!(claims["aud"], AUDIENCE, "{grant}");
    assert_eq!(claims["client_id"], client.id.as_str(), "{grant}");
    assert_eq!(claims["scope"], SCOPE, "{grant}");
    let token_type = grant["token_type"].as_str().unwrap_or_default();
    assert!(token_type.eq_ignore_ascii_case("bearer"), "{grant}");
    assert_eq!(grant["expires_in"], 900, "the default 15 minutes: {grant}");
    assert_eq!(grant["has_refresh_token"], refresh_expected, "{grant}");
}

#[test]
#[ignore = "needs python3 with interop/python/requirements.txt"]
fn authlib_runs_the_grants_from_discovery() {
    check(Library::Authlib);
}

#[test]
#[ignore = "needs node with interop/node packages (npm ci)"]
fn openid_client_runs_the_grants_from_discovery() {
    check(Library::OpenIdClient);
}

/// openid-client's DPoP: its proofs bind the tokens of two grants to its key, and its bound
/// user token is accepted at /userinfo with its proof.
#[test]
#[ignore = "needs node with interop/node packages (npm ci)"]
fn openid_client_binds_tokens_with_dpop_and_reads_userinfo() {
    Runtime::Node.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let client = add_client(&data, &["password", "client_credentials"]);
    let args = [
        "--issuer",
        server.base.as_str(),
        "--client-id",
        client.id.as_str(),
        "--username",
        "alice",
        "--scope",
        SCOPE,
    ];
    let secrets = json!({"client_secret": client.secret, "password": PASSWORD});
    let output = Runtime::Node.run("dpop-flow.mjs", &args, &secrets.to_string());
    let report = json_output("openid-client DPoP flow", &output);
    let thumbprint = report["thumbprint"].as_str().expect("thumbprint");
    for grant in ["client_credentials", "password"] {
        // openid-client reports the token type in lower case.
        let token_type = report[grant]["token_type"].as_str().unwrap_or_default();
        assert!(token_type.eq_ignore_ascii_case("dpop"), "{report}");
        assert_eq!(report[grant]["jkt"], thumbprint, "{report}");
    }
    assert_eq!(
        report["userinfo"]["preferred_username"], "alice",
        "{report}"
    );
    let algs = report["dpop_signing_alg_values_supported"].to_string();
    assert!(algs.contains("\"ES256\""), "{report}");
}

#[test]
#[ignore = "needs python3 with interop/python/requirements.txt"]
fn authlib_exchanges_a_users_token_for_another_audience() {
    Runtime::Python.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let client = add_client(&data, &["password"]);
    let args = [
        "client",
        "add",
        "orders-gateway",
        "--grant",
        "token_exchange",
        "--audience",
        "orders-api",
    ];
    let exchanger: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    let exchanger_id = exchanger["client_id"].as_str().expect("client_id");
    let secrets = json!({
        "client_secret": client.secret,
        "exchanger_secret": exchanger["client_secret"],
        "password": PASSWORD,
    });
    let output = Runtime::Python.run(
        "token_exchange.py",
        &[
            "--issuer",
            server.base.as_str(),
            "--client-id",
            client.id.as_str(),
            "--exchanger-id",
            exchanger_id,
            "--username",
            "alice",
            "--audience",
            "orders-api",
            "--alg",
            DEFAULT_ALG,
        ],
        &secrets.to_string(),
    );
    let report = json_output("Authlib token exchange", &output);
    let claims = &report["claims"];
    assert_eq!(claims["aud"], "orders-api", "{report}");
    assert_eq!(claims["client_id"], exchanger_id, "{report}");
    assert_eq!(claims["scope"], SCOPE, "{report}");
    let access = text(&login(&server, &client, "alice"), "access_token");
    let me = get(&server.url("/userinfo"), Some(&access));
    assert_eq!(claims["sub"], me.json()["sub"], "the user's sub: {report}");
    assert_eq!(
        report["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(report["has_refresh_token"], false);
    assert_eq!(report["other_audience"], "invalid_target", "{report}");
}
