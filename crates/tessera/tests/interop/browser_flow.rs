//! Standard relying parties, configured only from our OpenID Connect discovery document, run
//! the authorization code flow with PKCE against `tessera serve`: they sign in through the
//! sign-in page's form, redeem the code, validate the ID token with their own JOSE code, call
//! userinfo, refresh, and sign out through the discovered end_session_endpoint.

use serde_json::{Value, json};

use crate::helpers::{DataDir, PASSWORD, ServerProcess};
use crate::tools::{Runtime, json_output};

/// Never contacted: the libraries read the code from the redirect's `Location`.
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const BYE: &str = "http://127.0.0.1:9/signed-out";

fn check(runtime: Runtime, script: &str) {
    runtime.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let args = [
        "client",
        "add",
        "portal",
        "--grant",
        "authorization_code",
        "--grant",
        "refresh_token",
        "--scope",
        "openid",
        "--redirect-uri",
        REDIRECT,
        "--post-logout-redirect-uri",
        BYE,
        "--first-party",
    ];
    let client: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    let client_id = client["client_id"].as_str().expect("client_id");
    let secrets = json!({"client_secret": client["client_secret"], "password": PASSWORD});
    let output = runtime.run(
        script,
        &[
            "--issuer",
            server.base.as_str(),
            "--client-id",
            client_id,
            "--username",
            "alice",
            "--redirect-uri",
            REDIRECT,
            "--post-logout-redirect-uri",
            BYE,
        ],
        &secrets.to_string(),
    );
    let report = json_output(&format!("{script} code flow"), &output);
    let claims = &report["id_token_claims"];
    assert_eq!(claims["iss"], server.base.as_str(), "{report}");
    assert_eq!(claims["aud"], client_id, "{report}");
    assert!(claims["auth_time"].is_i64(), "{report}");
    assert!(claims["sid"].is_string(), "{report}");
    assert!(claims["sub"].is_string(), "{report}");
    assert_eq!(report["userinfo"]["sub"], claims["sub"], "{report}");
    assert_eq!(
        report["userinfo"]["preferred_username"], "alice",
        "{report}"
    );
    let token_type = report["token_type"].as_str().unwrap_or_default();
    assert!(token_type.eq_ignore_ascii_case("bearer"), "{report}");
    assert_eq!(report["has_refresh_token"], true, "{report}");
    assert_eq!(report["logout_status"], 303, "{report}");
    assert_eq!(
        report["logout_location"],
        format!("{BYE}?state=bye"),
        "{report}"
    );
    assert_eq!(report["signed_out"], true, "{report}");
}

#[test]
#[ignore = "needs node with interop/node packages (npm ci)"]
fn openid_client_runs_the_code_flow_from_discovery() {
    check(Runtime::Node, "code-flow.mjs");
}

#[test]
#[ignore = "needs python3 with interop/python/requirements.txt"]
fn authlib_runs_the_code_flow_from_discovery() {
    check(Runtime::Python, "code_flow.py");
}

/// openid-client asks for a second factor with `acr_values` (from discovery's
/// `acr_values_supported`); the user gives a password and a TOTP code, and the validated ID
/// token says so (`acr`, `amr`).
#[test]
#[ignore = "needs node with interop/node packages (npm ci)"]
fn openid_client_steps_up_to_a_second_factor_with_acr_values() {
    Runtime::Node.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let uri = data.cli(&["user", "totp", "enroll", "alice"], "");
    let secret = uri
        .split("secret=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the secret in the otpauth URI");
    let args = [
        "client",
        "add",
        "portal",
        "--grant",
        "authorization_code",
        "--scope",
        "openid",
        "--redirect-uri",
        REDIRECT,
        "--first-party",
    ];
    let client: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    let client_id = client["client_id"].as_str().expect("client_id");
    let secrets = json!({
        "client_secret": client["client_secret"],
        "password": PASSWORD,
        "totp_secret": secret,
    });
    let output = Runtime::Node.run(
        "step-up.mjs",
        &[
            "--issuer",
            server.base.as_str(),
            "--client-id",
            client_id,
            "--username",
            "alice",
            "--redirect-uri",
            REDIRECT,
        ],
        &secrets.to_string(),
    );
    let report = json_output("step-up.mjs", &output);
    let claims = &report["id_token_claims"];
    assert_eq!(claims["acr"], "urn:tessera:acr:mfa", "{report}");
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]), "{report}");
    assert_eq!(claims["aud"], client_id, "{report}");
}
