//! DPoP across instances: a proof accepted by one instance is refused by the other, at the
//! token endpoint and at `/userinfo`, because both record proofs in the shared database.

use std::time::Duration;

use tessera_jose::{Algorithm, SigningKey, dpop};

use crate::helpers::{PASSWORD, get_with, post_form_with, text};
use crate::{ISSUER, Pair};

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_proof_accepted_by_one_instance_is_refused_by_the_other() {
    let pair = Pair::start_with(
        "dpop_replay",
        &[],
        &["password", "refresh_token"],
        Duration::ZERO,
    );
    let key = SigningKey::generate(Algorithm::ES256).expect("key");
    let proof = dpop::proof(&key, "POST", &format!("{ISSUER}/oauth/token"))
        .sign()
        .expect("proof");
    let basic = pair.client.basic();
    let login = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let headers = [("Authorization", basic.as_str()), ("DPoP", proof.as_str())];
    let first = post_form_with(&pair.a.url("/oauth/token"), &headers, &login);
    assert_eq!(first.status, 200, "{}", first.body);
    let tokens = first.json();
    assert_eq!(tokens["token_type"], "DPoP");
    let replayed = post_form_with(&pair.b.url("/oauth/token"), &headers, &login);
    assert_eq!(replayed.status, 400, "{}", replayed.body);
    assert_eq!(replayed.error(), "invalid_dpop_proof");

    // The bound access token at /userinfo: a proof used at B is refused at A.
    let access = text(&tokens, "access_token");
    let proof = dpop::proof(&key, "GET", &format!("{ISSUER}/userinfo"))
        .access_token(&access)
        .sign()
        .expect("proof");
    let authorization = format!("DPoP {access}");
    let headers = [
        ("Authorization", authorization.as_str()),
        ("DPoP", proof.as_str()),
    ];
    let info = get_with(&pair.b.url("/userinfo"), &headers);
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.json()["preferred_username"], "alice");
    let replayed = get_with(&pair.a.url("/userinfo"), &headers);
    assert_eq!(replayed.status, 401, "{}", replayed.body);
    assert_eq!(replayed.error(), "invalid_dpop_proof");
    let challenge = replayed.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("DPoP "), "{challenge}");
}
