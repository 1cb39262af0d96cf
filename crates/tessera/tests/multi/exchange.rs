//! Token exchange (RFC 8693) across two instances: a token issued by one is exchanged at the
//! other, and once revoked at one it is refused for exchange at the other.

use serde_json::Value;

use crate::helpers::{Client, login, post_form, text, token};
use crate::{Pair, cli};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_token_from_one_instance_is_exchanged_at_the_other_until_revoked() {
    let pair = Pair::start("exchange");
    let args = [
        "client",
        "add",
        "gateway",
        "--grant",
        "token_exchange",
        "--audience",
        "orders-api",
    ];
    let out: Value = serde_json::from_str(&cli(&pair.dirs.0, &pair.env, &args, "")).expect("JSON");
    let gateway = Client {
        id: text(&out, "client_id"),
        secret: Some(text(&out, "client_secret")),
    };
    let subject = text(&login(&pair.a, &pair.client, "alice"), "access_token");
    let form = [
        ("grant_type", EXCHANGE),
        ("subject_token", subject.as_str()),
        ("subject_token_type", ACCESS_TOKEN),
        ("audience", "orders-api"),
    ];
    let exchanged = token(&pair.b, &gateway, &form);
    assert_eq!(exchanged.status, 200, "{}", exchanged.body);
    assert_eq!(
        exchanged.json()["issued_token_type"],
        ACCESS_TOKEN,
        "{}",
        exchanged.body
    );

    let revoked = post_form(
        &pair.a.url("/oauth/revoke"),
        Some(&pair.client.basic()),
        &[("token", subject.as_str())],
    );
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let refused = token(&pair.b, &gateway, &form);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["error"], "invalid_grant");
}
