//! Client registration and authentication.

use tessera_core::authority::ClientChanges;
use tessera_core::model::Actor;
use tessera_core::model::{ClientWeb, EventKind, EventQuery, Grant};
use tessera_core::secrets::sha256;
use tessera_core::{AdminError, ClientAuthError, NewClient, SecurityEvent};

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

#[test]
fn a_client_requiring_a_second_factor_is_stored_changed_and_kept_off_the_password_grant() {
    let h = Harness::new();
    let web = ClientWeb {
        redirect_uris: vec!["https://app.example.test/cb".into()],
        require_second_factor: true,
        ..ClientWeb::default()
    };
    let new = NewClient::new("portal", &[Grant::AuthorizationCode]).with_web(web.clone());
    let (client, _) = block_on(h.auth.register_client(&new, &Actor::Operator)).expect("register");
    assert!(client.web.require_second_factor);
    assert!(
        block_on(h.auth.client(&client.id))
            .expect("stored")
            .web
            .require_second_factor
    );

    // The password grant cannot ask for the second factor: registering both is refused,
    // and so is adding the grant later.
    let both = NewClient::new("portal", &[Grant::AuthorizationCode, Grant::Password]).with_web(web);
    let err = block_on(h.auth.register_client(&both, &Actor::Operator)).expect_err("refused");
    assert!(matches!(err, AdminError::Invalid(_)), "{err}");
    let mut grants = ClientChanges::default();
    grants.grants = Some(vec![Grant::AuthorizationCode, Grant::Password]);
    let err =
        block_on(h.auth.update_client(&client.id, grants, &Actor::Operator)).expect_err("refused");
    assert!(matches!(err, AdminError::Invalid(_)), "{err}");

    let mut off = ClientChanges::default();
    off.require_second_factor = Some(false);
    let changed = block_on(h.auth.update_client(&client.id, off, &Actor::Operator)).expect("off");
    assert!(!changed.web.require_second_factor);
    let trail = block_on(h.auth.events(&EventQuery::default())).expect("events");
    let updated = trail
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::ClientUpdated)
        .expect("client_updated");
    assert_eq!(updated.detail.as_deref(), Some("require_second_factor"));
}
