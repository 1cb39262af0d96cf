//! The device authorization grant (RFC 8628) run by Authlib, from discovery only: a public
//! client registered with `tessera client add … --grant device_code --public` asks for its
//! codes, polls the token endpoint as RFC 8628 §3.5 says (two polls at once are answered
//! `authorization_pending` and `slow_down`, and it waits five seconds more from then on),
//! while the user signs in and allows it through the `/ui/device` pages; Authlib's JOSE side
//! verifies the tokens, and the spent device code is refused.

use serde_json::{Value, json};

use crate::helpers::{DataDir, PASSWORD, ServerProcess};
use crate::tools::{Runtime, json_output};

const SCOPE: &str = "openid orders:read";
/// The server's default signing algorithm, which this test leaves unconfigured.
const DEFAULT_ALG: &str = "RS256";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[test]
#[ignore = "needs python3 with interop/python/requirements.txt"]
fn authlib_signs_a_device_in_with_the_device_authorization_grant() {
    Runtime::Python.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let args = [
        "client",
        "add",
        "tv",
        "--grant",
        "device_code",
        "--grant",
        "refresh_token",
        "--public",
        "--scope",
        SCOPE,
        "--audience",
        crate::AUDIENCE,
    ];
    let client: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    let client_id = client["client_id"].as_str().expect("client_id");
    assert!(client.get("client_secret").is_none(), "a public client");
    let output = Runtime::Python.run(
        "device_flow.py",
        &[
            "--issuer",
            server.base.as_str(),
            "--client-id",
            client_id,
            "--username",
            "alice",
            "--scope",
            SCOPE,
            "--audience",
            crate::AUDIENCE,
            "--alg",
            DEFAULT_ALG,
        ],
        &json!({ "password": PASSWORD }).to_string(),
    );
    let report = json_output("Authlib device flow", &output);
    let base = server.base.as_str();

    // The device authorization response.
    assert_eq!(
        report["device_authorization_endpoint"],
        format!("{base}/oauth/device_authorization"),
        "{report}"
    );
    assert_eq!(report["cache_control"], "no-store", "{report}");
    let started = &report["started"];
    let user_code = started["user_code"].as_str().expect("user_code");
    assert_eq!(started["verification_uri"], format!("{base}/ui/device"));
    assert_eq!(
        started["verification_uri_complete"],
        format!("{base}/ui/device?user_code={user_code}")
    );
    assert_eq!(started["expires_in"], 600, "{report}");
    assert_eq!(started["interval"], 5, "{report}");

    // Two polls at once: one is pending, the other too soon. From then on the device waits
    // 10 s between polls, and the first one after that (before the user acted) is pending;
    // the next, after the approval, brings the tokens.
    assert_eq!(
        report["two_at_once"],
        json!(["authorization_pending", "slow_down"]),
        "{report}"
    );
    assert_eq!(report["final_interval"], 10, "{report}");
    assert_eq!(
        report["answers"],
        json!(["authorization_pending"]),
        "{report}"
    );

    // The user's pages: to sign in and back to the code, filled in; a mistyped code refused
    // with the form again; the confirmation; done.
    let approval = &report["approval"];
    let shown = user_code.to_owned();
    let statuses: Vec<(&str, u64)> = approval["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .map(|p| {
            let name = p["name"].as_str().expect("name");
            (name, p["status"].as_u64().expect("status"))
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("device", 303),
            ("sign_in_page", 200),
            ("sign_in", 303),
            ("code_page", 200),
            ("wrong_code", 400),
            ("confirm", 200),
            ("allow", 200),
        ],
        "{report}"
    );
    let pages = approval["pages"].as_array().expect("pages");
    assert_eq!(
        pages[0]["location"],
        format!("/ui/login?next=%2Fui%2Fdevice%3Fuser_code%3D{shown}"),
        "{report}"
    );
    assert_eq!(
        approval["sign_in_hidden"]["next"],
        format!("/ui/device?user_code={shown}"),
        "{report}"
    );
    assert_eq!(
        pages[2]["location"],
        format!("/ui/device?user_code={shown}"),
        "{report}"
    );
    assert_eq!(approval["prefilled"], shown.as_str(), "{report}");
    let alert = approval["wrong_code_alert"].as_str().unwrap_or_default();
    assert!(alert.contains("not valid"), "{report}");
    let confirm = &approval["confirm"];
    assert_eq!(
        confirm["lead"], "tv on a device asks to sign in to your account and to:",
        "{report}"
    );
    assert_eq!(
        confirm["scopes"],
        json!(["Know who you are (your user id)", "Permission: orders:read"]),
        "{report}"
    );
    assert_eq!(confirm["notes"][0], "Signed in as alice.", "{report}");
    assert_eq!(
        confirm["hidden"],
        json!(["csrf_token", "user_code"]),
        "{report}"
    );
    assert_eq!(
        approval["done_notice"], "Done: tv on your device is signed in. You can close this page.",
        "{report}"
    );

    // The tokens: the device's client, the scope asked for, alice's account.
    let claims = &report["claims"];
    assert_eq!(claims["iss"], base, "{report}");
    assert_eq!(claims["aud"], crate::AUDIENCE, "{report}");
    assert_eq!(claims["client_id"], client_id, "{report}");
    assert_eq!(claims["scope"], SCOPE, "{report}");
    assert_eq!(report["scope"], SCOPE, "{report}");
    assert_eq!(report["userinfo"]["sub"], claims["sub"], "{report}");
    assert_eq!(
        report["userinfo"]["preferred_username"], "alice",
        "{report}"
    );
    let token_type = report["token_type"].as_str().unwrap_or_default();
    assert!(token_type.eq_ignore_ascii_case("bearer"), "{report}");
    let id_token = &report["id_token_claims"];
    assert_eq!(id_token["aud"], client_id, "{report}");
    assert_eq!(id_token["sub"], claims["sub"], "{report}");
    assert_eq!(id_token["amr"], json!(["pwd"]), "{report}");
    assert!(id_token["auth_time"].is_i64(), "{report}");
    assert!(id_token.get("nonce").is_none(), "{report}");
    // Authlib checked it against the access token.
    assert!(id_token["at_hash"].is_string(), "{report}");
    assert_eq!(report["has_refresh_token"], true, "{report}");
    assert_eq!(report["refreshed_claims"]["sub"], claims["sub"], "{report}");
    assert_eq!(report["refreshed_claims"]["client_id"], client_id);
    // Redeemed once.
    assert_eq!(report["again"], "invalid_grant", "{report}");

    // The grant is the one discovery names.
    let metadata = crate::helpers::get(&server.url("/.well-known/openid-configuration"), None);
    let grants = metadata.json()["grant_types_supported"].clone();
    assert!(
        grants
            .as_array()
            .is_some_and(|g| g.contains(&Value::from(DEVICE_GRANT))),
        "{grants}"
    );
}
