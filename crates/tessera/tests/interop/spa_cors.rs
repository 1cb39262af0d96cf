//! A single-page application in Chromium: served from the origin its client registered with
//! `--allowed-origin`, it gets tokens, userinfo (after a CORS preflight) and the JWKS with
//! `fetch`; served from another origin, the browser refuses it every answer.

use serde_json::{Value, json};

use crate::helpers::{DataDir, PASSWORD, ServerProcess};
use crate::tools::{Runtime, json_output};

/// A port nobody listens on right now, for one of the script's origins.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[test]
#[ignore = "needs chromium (apt) and interop/node package playwright-core (npm ci)"]
fn a_registered_origin_may_call_the_server_and_another_may_not() {
    Runtime::Node.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let (allowed, other) = (free_port().to_string(), free_port().to_string());
    let origin = format!("http://localhost:{allowed}");
    let args = [
        "client",
        "add",
        "SPA",
        "--grant",
        "password",
        "--public",
        "--allowed-origin",
        origin.as_str(),
    ];
    let client: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    let client_id = client["client_id"].as_str().expect("client_id");
    let output = Runtime::Node.run(
        "spa-cors.mjs",
        &[
            "--issuer",
            server.base.as_str(),
            "--client-id",
            client_id,
            "--username",
            "alice",
            "--allowed-port",
            allowed.as_str(),
            "--other-port",
            other.as_str(),
        ],
        &json!({ "password": PASSWORD }).to_string(),
    );
    let report = json_output("SPA CORS", &output);

    let ok = &report["allowed"];
    assert_eq!(ok["token"]["status"], 200, "{report}");
    assert_eq!(ok["token"]["body"]["token_type"], "Bearer", "{report}");
    assert_eq!(ok["userinfo"]["status"], 200, "{report}");
    assert_eq!(
        ok["userinfo"]["body"]["preferred_username"], "alice",
        "{report}"
    );
    assert_eq!(ok["jwks"]["status"], 200, "{report}");

    // From an unregistered origin the browser shows the page nothing: fetch itself fails.
    let refused = &report["other"];
    for call in ["token", "jwks"] {
        let error = refused[call]["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("TypeError"), "{call}: {report}");
    }
    assert_eq!(refused["userinfo"], Value::Null, "{report}");
}
