//! A signing-key rotation made with the real CLI (`tessera keys rotate`) against the data of
//! a running `tessera serve`, seen by a guard that trusts the server by discovery.
//!
//! The CLI writes the new key to the store; the running server loads it into its ring at its
//! next maintenance run (`server.maintenance_interval`, a minute by default, a second here;
//! no restart), then signs with it. A guard built before meets the new `kid` in a token
//! first, refetches the JWKS once, and accepts it; an unknown `kid` within the refetch
//! cooldown is refused without another fetch.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tessera_guard::Guard;
use tokio::runtime::Runtime;

use super::helpers::{DataDir, ServerProcess, get};
use super::{AUDIENCE, guarded_app, login, orders_client};

/// How often the server's maintenance runs (and so reloads its keys from the store).
const MAINTENANCE: (&str, &str) = ("TESSERA_SERVER__MAINTENANCE_INTERVAL", "1s");
/// How long the server may take to load a key the CLI added: a margin over one maintenance
/// run for a slow machine.
const PICKUP_DEADLINE: Duration = Duration::from_secs(30);
/// The guard's refetch cooldown: the least time between two fetches for unknown kids,
/// counted from the fetch at build.
const COOLDOWN: Duration = Duration::from_secs(10);

/// The decoded JOSE header of a compact token.
fn header(token: &str) -> Value {
    let encoded = token.split('.').next().expect("header segment");
    let bytes = URL_SAFE_NO_PAD.decode(encoded).expect("base64url header");
    serde_json::from_slice(&bytes).expect("JSON header")
}

fn header_field(token: &str, name: &str) -> String {
    header(token)[name].as_str().expect(name).to_owned()
}

/// The same token with its header's `kid` replaced (payload and signature unchanged).
fn with_kid(token: &str, kid: &str) -> String {
    let mut fields = header(token);
    fields["kid"] = Value::from(kid);
    let rest = token.split_once('.').expect("compact token").1;
    let encoded = URL_SAFE_NO_PAD.encode(fields.to_string());
    format!("{encoded}.{rest}")
}

/// The kid of the key `tessera keys rotate` created (its line reads `KID ALG: new, active`).
fn created_kid(output: &str) -> String {
    output
        .lines()
        .find(|line| line.contains(": new,"))
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or_else(|| panic!("no new key in {output:?}"))
        .to_owned()
}

/// Logs in until the server signs with `kid`, which it does once it reloaded its ring.
fn login_signed_by(server: &ServerProcess, client: &super::helpers::Client, kid: &str) -> String {
    let deadline = Instant::now() + PICKUP_DEADLINE;
    loop {
        let access = login(server, client, "orders:read");
        if header_field(&access, "kid") == kid {
            return access;
        }
        assert!(
            Instant::now() < deadline,
            "the server still signs with the old key {PICKUP_DEADLINE:?} after the rotation; log:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Starts a server whose first key is ES256, rotates with `tessera keys rotate --alg
/// <new_alg>`, and checks what a guard built before the rotation does with the tokens.
fn rotation_reaches_the_guard(new_alg: &str) {
    let data = DataDir::new();
    let env = [("TESSERA_TOKENS__SIGNING_ALG", "ES256"), MAINTENANCE];
    let server = ServerProcess::start_with(&data, &env);
    data.add_user("alice", &[]);
    let client = orders_client(&data);
    let runtime = Runtime::new().expect("runtime");
    let guard = runtime
        .block_on(
            Guard::builder()
                .issuer(&server.base)
                .audience(AUDIENCE)
                .jwks_refetch_cooldown(COOLDOWN)
                .build(),
        )
        .expect("guard trusts the server");
    let built = Instant::now();
    let orders = format!("{}/orders", guarded_app(&runtime, &guard));

    let old = login(&server, &client, "orders:read");
    assert_eq!(header_field(&old, "alg"), "ES256");
    assert_eq!(get(&orders, Some(&old)).status, 200);
    assert_eq!(guard.stats().jwks_fetches, 1, "the fetch at build only");

    let rotated = data.cli(&["keys", "rotate", "--alg", new_alg], "");
    let new_kid = created_kid(&rotated);
    assert_ne!(new_kid, header_field(&old, "kid"));
    let new = login_signed_by(&server, &client, &new_kid);
    assert_eq!(header_field(&new, "alg"), new_alg);
    assert_eq!(guard.stats().jwks_fetches, 1, "nothing told the guard yet");

    // The guard has never seen the new kid: once the cooldown since its first fetch is
    // over, one refetch, then the token passes.
    std::thread::sleep(COOLDOWN.saturating_sub(built.elapsed()));
    let reply = get(&orders, Some(&new));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(guard.stats().jwks_fetches, 2, "one refetch for the new kid");
    // The old key is still published (retiring), so its tokens still pass, re-verified
    // against the new key set.
    assert_eq!(get(&orders, Some(&old)).status, 200);
    // A kid nobody published, within the cooldown: refused, and no fetch.
    let forged = with_kid(&new, "forged-kid");
    let refused = get(&orders, Some(&forged));
    assert_eq!(refused.status, 401, "{}", refused.body);
    let stats = guard.stats();
    assert_eq!(stats.rejected.get("kid_unknown"), Some(&1), "{stats:?}");
    assert_eq!(
        stats.jwks_fetches, 2,
        "no fetch for a forged kid in the cooldown"
    );
    // Another token of the new key passes with the keys already cached.
    let another = login(&server, &client, "orders:read");
    assert_eq!(get(&orders, Some(&another)).status, 200);
    assert_eq!(guard.stats().jwks_fetches, 2);
}

#[test]
fn a_key_rotated_with_the_cli_reaches_a_running_guard() {
    rotation_reaches_the_guard("ES256");
}

#[test]
fn a_rotation_to_another_algorithm_reaches_a_running_guard() {
    rotation_reaches_the_guard("EdDSA");
}
