//! Client registration and authentication.

use tessera_core::model::Actor;
use tessera_core::model::Grant;
use tessera_core::secrets::sha256;
use tessera_core::{AdminError, ClientAuthError, SecurityEvent};

use crate::support::{Harness, block_on};

#[test]
fn a_confidential_client_gets_its_secret_once_and_authenticates_with_it() {
    let h = Harness::new();
    let (client, secret) = h.client(&[Grant::ClientCredentials], &["orders:read"], false);
    let secret = secret.expect("secret");
    assert_eq!(secret.len(), 43);
    assert!(client.id.starts_with("c_"));
    assert_eq!(
        client.secret_hash.as_deref(),
        Some(sha256(secret.as_bytes()).as_slice())
    );
    assert_eq!(client.audiences, ["orders"]);
    let authenticated =
        block_on(h.auth.authenticate_client(&client.id, Some(&secret))).expect("ok");
    assert_eq!(authenticated, client);
    // The secret is never serialized.
    let json = serde_json::to_string(&client).expect("json");
    assert!(!json.contains("secret"));
}

#[test]
fn client_authentication_failures_are_all_invalid_client() {
    let h = Harness::new();
    let (confidential, secret) = h.client(&[Grant::Password], &[], false);
    let secret = secret.expect("secret");
    let (public, _) = h.client(&[Grant::Password], &[], true);
    let wrong = "x".repeat(43);
    let attempts = [
        (confidential.id.as_str(), Some(wrong.as_str())),
        (confidential.id.as_str(), None),
        (confidential.id.as_str(), Some("")),
        (public.id.as_str(), Some(secret.as_str())),
        ("c_unknown", Some(secret.as_str())),
        ("c_unknown", None),
    ];
    for (id, secret) in attempts {
        let err = block_on(h.auth.authenticate_client(id, secret)).expect_err("refused");
        assert!(matches!(err, ClientAuthError::Failed), "{id} {secret:?}");
        assert_eq!(err.to_string(), "client authentication failed");
    }
    assert_eq!(h.events().len(), attempts.len());
    assert!(
        matches!(&h.events()[0], SecurityEvent::ClientAuthFailed { client_id } if *client_id == confidential.id)
    );
    block_on(h.auth.authenticate_client(&public.id, None)).expect("public without secret");
}

#[test]
fn client_registration_is_validated() {
    let h = Harness::new();
    let cases: [(&str, &[Grant], &[&str], bool); 4] = [
        ("", &[Grant::Password], &[], false),
        ("app", &[], &[], false),
        ("app", &[Grant::ClientCredentials], &[], true),
        ("app", &[Grant::Password], &["bad scope"], false),
    ];
    for (name, grants, scopes, public) in cases {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        let err =
            block_on(
                h.auth
                    .create_client(name, grants, &scopes, &[], public, &Actor::Operator),
            )
            .expect_err("bad");
        assert!(
            matches!(err, AdminError::Invalid(_)),
            "{name} {grants:?} {scopes:?}"
        );
    }
    let (client, secret) = block_on(h.auth.create_client(
        "spa",
        &[Grant::Password, Grant::Password, Grant::RefreshToken],
        &[],
        &[],
        true,
        &Actor::Operator,
    ))
    .expect("public client");
    assert!(secret.is_none() && client.is_public());
    assert_eq!(client.grants, [Grant::Password, Grant::RefreshToken]);
}
