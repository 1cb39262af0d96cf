//! `tessera client …`.

use serde_json::Value;

use crate::helpers::{Deployment, assert_fails, stdout_of};

#[test]
fn add_prints_the_secret_once_then_list_and_remove() {
    let d = Deployment::new();
    let output = d.run(&[
        "client",
        "add",
        "web",
        "--grant",
        "password",
        "--grant",
        "refresh_token",
        "--scope",
        "orders:read",
        "--scope",
        "orders:write profile",
        "--audience",
        "orders-api",
    ]);
    let created: Value =
        serde_json::from_str(&stdout_of(&output, &["client", "add"])).expect("json");
    let object = created.as_object().expect("object");
    assert_eq!(object.len(), 2, "{created}");
    let id = created["client_id"].as_str().expect("client_id").to_owned();
    let secret = created["client_secret"]
        .as_str()
        .expect("client_secret")
        .to_owned();
    assert!(secret.len() >= 40, "256-bit secret: {secret}");

    let spa = d.run(&["client", "add", "spa", "--grant", "password", "--public"]);
    let spa: Value = serde_json::from_str(&stdout_of(&spa, &["client", "add"])).expect("json");
    assert!(spa.get("client_secret").is_none(), "{spa}");
    let spa_id = spa["client_id"].as_str().expect("client_id").to_owned();

    let table = d.ok(&["client", "list"]);
    assert!(table.contains(&id) && table.contains(&spa_id), "{table}");
    assert!(!table.contains(&secret), "the secret is shown only once");
    let list = d.json(&["client", "list", "--json"]);
    assert!(!list.to_string().contains(&secret));
    // Clients made in the same second list in id order, so find each by its id.
    let by_id = |wanted: &str| {
        list.as_array()
            .and_then(|all| all.iter().find(|c| c["client_id"] == wanted))
            .cloned()
            .expect("client listed")
    };
    let web = &by_id(&id);
    assert_eq!(web["client_id"], id.as_str());
    assert_eq!(web["public"], false);
    assert_eq!(
        web["grants"],
        serde_json::json!(["password", "refresh_token"])
    );
    assert_eq!(
        web["scopes"],
        serde_json::json!(["orders:read", "orders:write", "profile"])
    );
    assert_eq!(web["audiences"], serde_json::json!(["orders-api"]));
    assert_eq!(by_id(&spa_id)["public"], true);

    assert!(d.ok(&["client", "remove", &spa_id]).contains("removed"));
    assert_eq!(
        d.json(&["client", "list", "--json"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_fails(&d.run(&["client", "remove", &spa_id]), 1, "not found");
}

#[test]
fn bad_clients_are_refused() {
    let d = Deployment::new();
    let output = d.run(&["client", "add", "x", "--grant", "implicit"]);
    assert_eq!(output.status.code(), Some(2), "a clap usage error");
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown grant"));
    let output = d.run(&[
        "client",
        "add",
        "x",
        "--grant",
        "client_credentials",
        "--public",
    ]);
    assert_fails(&output, 2, "public client");
    let output = d.run(&["client", "add", "x"]);
    assert_eq!(output.status.code(), Some(2), "--grant is required");
}

#[test]
fn browser_clients_keep_their_redirect_and_logout_settings() {
    let d = Deployment::new();
    let output = d.run(&[
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
        "https://portal.example.com/callback",
        "--redirect-uri",
        "http://127.0.0.1/callback",
        "--post-logout-redirect-uri",
        "https://portal.example.com/bye",
        "--backchannel-logout-uri",
        "https://portal.example.com/backchannel",
        "--allowed-origin",
        "https://portal.example.com",
        "--first-party",
        "--public",
    ]);
    let created: Value =
        serde_json::from_str(&stdout_of(&output, &["client", "add"])).expect("json");
    let id = created["client_id"].as_str().expect("client_id");
    let list = d.json(&["client", "list", "--json"]);
    let portal = &list[0];
    assert_eq!(portal["client_id"], id);
    assert_eq!(
        portal["redirect_uris"],
        serde_json::json!([
            "https://portal.example.com/callback",
            "http://127.0.0.1/callback"
        ])
    );
    assert_eq!(
        portal["post_logout_redirect_uris"],
        serde_json::json!(["https://portal.example.com/bye"])
    );
    assert_eq!(
        portal["backchannel_logout_uri"],
        "https://portal.example.com/backchannel"
    );
    assert_eq!(
        portal["allowed_origins"],
        serde_json::json!(["https://portal.example.com"])
    );
    assert_eq!(portal["first_party"], true);
}

#[test]
fn browser_clients_with_unsafe_uris_are_refused() {
    let d = Deployment::new();
    let add = |extra: &[&str]| {
        let mut args = vec!["client", "add", "x", "--grant", "authorization_code"];
        args.extend_from_slice(extra);
        d.run(&args)
    };
    assert_fails(&add(&[]), 2, "--redirect-uri");
    assert_fails(
        &add(&["--redirect-uri", "http://portal.example.com/cb"]),
        2,
        "redirect URI",
    );
    assert_fails(
        &add(&["--redirect-uri", "https://portal.example.com/cb#frag"]),
        2,
        "redirect URI",
    );
    assert_fails(
        &add(&[
            "--redirect-uri",
            "https://portal.example.com/cb",
            "--allowed-origin",
            "https://portal.example.com/path",
        ]),
        2,
        "origin",
    );
    assert!(
        d.json(&["client", "list", "--json"])
            .as_array()
            .is_some_and(Vec::is_empty),
        "nothing was stored"
    );
}

#[test]
fn require_dpop_is_stored_and_listed() {
    let d = Deployment::new();
    let output = d.run(&[
        "client",
        "add",
        "agent",
        "--grant",
        "client_credentials",
        "--require-dpop",
    ]);
    let created: Value =
        serde_json::from_str(&stdout_of(&output, &["client", "add"])).expect("json");
    let id = created["client_id"].as_str().expect("client_id").to_owned();
    d.run(&["client", "add", "plain", "--grant", "client_credentials"]);
    let list = d.json(&["client", "list", "--json"]);
    let by_id = |wanted: &str| {
        list.as_array()
            .and_then(|all| all.iter().find(|c| c["client_id"] == wanted))
            .cloned()
            .expect("client listed")
    };
    assert_eq!(by_id(&id)["require_dpop"], true);
    let plain = list
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == "plain"))
        .expect("plain listed");
    assert!(plain.get("require_dpop").is_none(), "{plain}");
    let table = d.ok(&["client", "list"]);
    let row = table
        .lines()
        .find(|line| line.contains(&id))
        .expect("agent's row");
    assert!(row.trim_end().ends_with("required"), "{table}");
    assert!(
        table.lines().next().unwrap_or("").ends_with("DPOP"),
        "{table}"
    );
}

#[test]
fn require_second_factor_is_stored_and_listed() {
    let d = Deployment::new();
    let output = d.run(&[
        "client",
        "add",
        "console",
        "--grant",
        "authorization_code",
        "--scope",
        "openid",
        "--redirect-uri",
        "https://console.example.com/callback",
        "--require-second-factor",
    ]);
    let created: Value =
        serde_json::from_str(&stdout_of(&output, &["client", "add"])).expect("json");
    let id = created["client_id"].as_str().expect("client_id").to_owned();
    d.ok(&[
        "client",
        "add",
        "portal",
        "--grant",
        "authorization_code",
        "--redirect-uri",
        "https://portal.example.com/callback",
    ]);
    let list = d.json(&["client", "list", "--json"]);
    let named = |name: &str| {
        list.as_array()
            .and_then(|all| all.iter().find(|c| c["name"] == name))
            .cloned()
            .expect("client listed")
    };
    assert_eq!(named("console")["client_id"], id.as_str());
    assert_eq!(named("console")["require_second_factor"], true);
    assert_eq!(named("portal")["require_second_factor"], false);
    let table = d.ok(&["client", "list"]);
    let header = table.lines().next().unwrap_or("");
    assert!(header.contains("  MFA  "), "{table}");
    let column = header.find("MFA").expect("MFA column");
    let row = table
        .lines()
        .find(|line| line.contains(&id))
        .expect("console's row");
    assert_eq!(row.get(column..column + 8), Some("required"), "{table}");

    // The password grant cannot ask for a second factor: refused, nothing stored.
    let refused = d.run(&[
        "client",
        "add",
        "legacy",
        "--grant",
        "password",
        "--require-second-factor",
    ]);
    assert_fails(&refused, 2, "password grant");
    assert_eq!(
        d.json(&["client", "list", "--json"])
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[test]
fn rotate_secret_prints_a_new_one_once() {
    let d = Deployment::new();
    let created = d.json(&["client", "add", "batch", "--grant", "client_credentials"]);
    let id = created["client_id"].as_str().expect("id");
    let old = created["client_secret"].as_str().expect("secret");
    let rotated = d.json(&["client", "rotate-secret", id]);
    assert_eq!(rotated["client_id"], id);
    let new = rotated["client_secret"].as_str().expect("secret");
    assert_eq!(new.len(), 43);
    assert_ne!(new, old);
    let events = d.ok(&["events", "--json", "--type", "client_updated"]);
    assert!(events.contains("\"secret\""), "{events}");

    let public = d.json(&["client", "add", "spa", "--grant", "password", "--public"]);
    let public = public["client_id"].as_str().expect("id");
    assert_fails(&d.run(&["client", "rotate-secret", public]), 2, "no secret");
    assert_fails(
        &d.run(&["client", "rotate-secret", "c_nobody"]),
        1,
        "client not found",
    );
}

#[test]
fn token_exchange_clients_are_confidential() {
    let d = Deployment::new();
    let created = d.json(&[
        "client",
        "add",
        "gateway",
        "--grant",
        "token_exchange",
        "--audience",
        "orders-api",
    ]);
    assert!(created["client_secret"].is_string(), "{created}");
    let by_urn = d.json(&[
        "client",
        "add",
        "gateway2",
        "--grant",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    ]);
    assert!(by_urn["client_id"].is_string());
    let listed = d.json(&["client", "list", "--json"]);
    assert_eq!(listed[0]["grants"], serde_json::json!(["token_exchange"]));
    assert_fails(
        &d.run(&[
            "client",
            "add",
            "spa",
            "--grant",
            "token_exchange",
            "--public",
        ]),
        2,
        "token_exchange",
    );
}
