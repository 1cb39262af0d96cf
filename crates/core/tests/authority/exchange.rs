//! Token exchange (RFC 8693): a narrower token for one of the client's audiences, about the
//! subject of a live access token, never with more rights, and with `act` for an actor.

use tessera_core::GrantError;
use tessera_core::authority::{ACCESS_TOKEN_TYPE, ExchangeRequest};
use tessera_core::model::{Actor, Client, Grant};

use crate::support::{Harness, block_on, decode};

/// A confidential client that may exchange for `orders-api` and `billing`.
fn gateway(h: &Harness) -> Client {
    block_on(h.auth.create_client(
        "gateway",
        &[Grant::TokenExchange],
        &[],
        &["orders-api".to_owned(), "billing".to_owned()],
        false,
        &Actor::Operator,
    ))
    .expect("client")
    .0
}

fn request(subject: &str) -> ExchangeRequest<'_> {
    ExchangeRequest {
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN_TYPE,
        ..ExchangeRequest::default()
    }
}

#[test]
fn a_subject_token_is_exchanged_for_a_narrower_one_for_another_audience() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", Some("orders:read orders:write"));
    let gateway = gateway(&h);
    let mut ask = request(&login.access_token);
    ask.audience = Some("orders-api");
    ask.scope = Some("orders:read");
    let exchanged = block_on(h.auth.token_exchange(&gateway, &ask, None)).expect("exchanged");
    assert_eq!(
        exchanged.issued_token_type.as_deref(),
        Some(ACCESS_TOKEN_TYPE)
    );
    assert_eq!(exchanged.token_type, "Bearer");
    assert!(exchanged.refresh_token.is_none() && exchanged.id_token.is_none());
    assert_eq!(exchanged.scope.as_deref(), Some("orders:read"));
    let (header, claims) = decode(&exchanged.access_token);
    let (_, original) = decode(&login.access_token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(claims["sub"], original["sub"]);
    assert_eq!(claims["aud"], "orders-api");
    assert_eq!(claims["client_id"], gateway.id.as_str());
    assert_eq!(claims["roles"], original["roles"]);
    assert_eq!(claims["sid"], original["sid"]);
    assert!(claims.get("act").is_none());
    assert!(
        claims["exp"].as_i64() <= original["exp"].as_i64(),
        "no later expiry"
    );
    assert_ne!(claims["jti"], original["jti"]);
    // Our own verification accepts it, as any guard would.
    let verified = block_on(h.auth.verify_access_token(&exchanged.access_token)).expect("valid");
    assert_eq!(verified.aud, ["orders-api"]);

    // `resource` names the audience too; without either, the client's first.
    let mut by_resource = request(&login.access_token);
    by_resource.resource = Some("billing");
    let token = block_on(h.auth.token_exchange(&gateway, &by_resource, None)).expect("billing");
    assert_eq!(decode(&token.access_token).1["aud"], "billing");
    let plain = block_on(
        h.auth
            .token_exchange(&gateway, &request(&login.access_token), None),
    )
    .expect("default");
    let (_, claims) = decode(&plain.access_token);
    assert_eq!(claims["aud"], "orders-api");
    assert_eq!(
        claims["scope"], "orders:read orders:write",
        "the subject's scope"
    );
}

#[test]
fn the_expiry_is_never_later_than_the_subject_tokens() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", None);
    h.clock.advance(600);
    let gateway = gateway(&h);
    let token = block_on(
        h.auth
            .token_exchange(&gateway, &request(&login.access_token), None),
    )
    .expect("exchanged");
    let (_, original) = decode(&login.access_token);
    let (_, claims) = decode(&token.access_token);
    assert_eq!(claims["exp"], original["exp"]);
    assert_eq!(token.expires_in, 900 - 600);
}

#[test]
fn an_actor_is_named_in_act_and_earlier_actors_are_kept() {
    let h = Harness::new();
    h.user("alice");
    h.user("bob");
    let app = h.app();
    let alice = h.login(&app, "alice", None);
    let bob = h.login(&app, "bob", None);
    let gateway = gateway(&h);
    let mut ask = request(&alice.access_token);
    ask.actor_token = Some(&bob.access_token);
    ask.actor_token_type = Some(ACCESS_TOKEN_TYPE);
    let first = block_on(h.auth.token_exchange(&gateway, &ask, None)).expect("delegated");
    let (_, claims) = decode(&first.access_token);
    let (_, bobs) = decode(&bob.access_token);
    assert_eq!(claims["act"]["sub"], bobs["sub"]);
    assert_eq!(claims["act"]["client_id"], app.id.as_str());
    assert!(claims["act"].get("act").is_none());

    // Exchanged again by the gateway acting itself: the chain nests (RFC 8693 §4.1).
    let (service, _) = h.client(&[Grant::ClientCredentials], &[], false);
    let service_token = block_on(h.auth.client_credentials_grant(&service, None))
        .expect("service")
        .access_token;
    let mut again = request(&first.access_token);
    again.actor_token = Some(&service_token);
    again.actor_token_type = Some(ACCESS_TOKEN_TYPE);
    let second = block_on(h.auth.token_exchange(&gateway, &again, None)).expect("nested");
    let (_, claims) = decode(&second.access_token);
    assert_eq!(claims["act"]["sub"], service.id.as_str());
    assert_eq!(claims["act"]["act"]["sub"], bobs["sub"]);
    // Without an actor, the subject token's `act` is kept.
    let kept = block_on(
        h.auth
            .token_exchange(&gateway, &request(&first.access_token), None),
    )
    .expect("kept");
    assert_eq!(decode(&kept.access_token).1["act"]["sub"], bobs["sub"]);
}

#[test]
fn every_refusal_has_its_error() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", Some("orders:read"));
    let token = login.access_token.as_str();
    let gateway = gateway(&h);
    let exchange = |client: &Client, ask: &ExchangeRequest<'_>| {
        block_on(h.auth.token_exchange(client, ask, None)).expect_err("refused")
    };

    let err = exchange(&app, &request(token));
    assert!(
        matches!(err, GrantError::GrantNotAllowed(Grant::TokenExchange)),
        "{err}"
    );
    // Registration refuses a public client the grant; one stored before is refused here.
    let refused = block_on(h.auth.create_client(
        "spa",
        &[Grant::TokenExchange],
        &[],
        &["orders-api".to_owned()],
        true,
        &Actor::Operator,
    ));
    assert!(refused.is_err());
    let public = Client {
        id: "c_publicexchanger".into(),
        secret_hash: None,
        ..gateway.clone()
    };
    block_on(tessera_core::store::ClientStore::create_client(
        h.store().as_ref(),
        &public,
    ))
    .expect("stored");
    assert!(matches!(
        exchange(&public, &request(token)),
        GrantError::PublicClient(_)
    ));

    let mut wrong_type = request(token);
    wrong_type.subject_token_type = "urn:ietf:params:oauth:token-type:refresh_token";
    assert!(matches!(
        exchange(&gateway, &wrong_type),
        GrantError::Malformed(_)
    ));
    let mut wanted = request(token);
    wanted.requested_token_type = Some("urn:ietf:params:oauth:token-type:id_token");
    assert!(matches!(
        exchange(&gateway, &wanted),
        GrantError::Malformed(_)
    ));
    let mut lone_type = request(token);
    lone_type.actor_token_type = Some(ACCESS_TOKEN_TYPE);
    assert!(matches!(
        exchange(&gateway, &lone_type),
        GrantError::Malformed(_)
    ));
    let mut untyped_actor = request(token);
    untyped_actor.actor_token = Some(token);
    assert!(matches!(
        exchange(&gateway, &untyped_actor),
        GrantError::Malformed(_)
    ));

    for bad in [
        "",
        "not.a.token",
        login.refresh_token.as_deref().expect("refresh"),
    ] {
        let err = exchange(&gateway, &request(bad));
        assert!(
            matches!(err, GrantError::BadExchangeToken("subject_token")),
            "{bad}: {err}"
        );
    }
    let mut bad_actor = request(token);
    bad_actor.actor_token = Some("nonsense");
    bad_actor.actor_token_type = Some(ACCESS_TOKEN_TYPE);
    let err = exchange(&gateway, &bad_actor);
    assert!(
        matches!(err, GrantError::BadExchangeToken("actor_token")),
        "{err}"
    );

    let mut elsewhere = request(token);
    elsewhere.audience = Some("payroll");
    assert!(matches!(
        exchange(&gateway, &elsewhere),
        GrantError::InvalidTarget
    ));
    let mut two = request(token);
    two.audience = Some("orders-api");
    two.resource = Some("billing");
    assert!(matches!(
        exchange(&gateway, &two),
        GrantError::InvalidTarget
    ));

    let mut broader = request(token);
    broader.scope = Some("orders:read orders:write");
    assert!(
        matches!(exchange(&gateway, &broader), GrantError::Scope(_)),
        "never more rights"
    );

    // A revoked subject token, and one whose session ended, are refused.
    block_on(h.auth.revoke(&app, token, None)).expect("revoked");
    assert!(matches!(
        exchange(&gateway, &request(token)),
        GrantError::BadExchangeToken(_)
    ));
    let other = h.login(&app, "alice", None);
    let claims = block_on(h.auth.verify_access_token(&other.access_token)).expect("claims");
    block_on(h.auth.logout(&claims)).expect("logout");
    let after_logout = request(&other.access_token);
    assert!(matches!(
        exchange(&gateway, &after_logout),
        GrantError::BadExchangeToken(_)
    ));
    // Expired.
    let late = h.login(&app, "alice", None);
    h.clock.advance(901 + 60);
    assert!(matches!(
        exchange(&gateway, &request(&late.access_token)),
        GrantError::BadExchangeToken(_)
    ));
}

#[test]
fn a_dpop_bound_subject_token_needs_a_proof_of_its_key() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let thumbprint = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let bound = block_on(h.auth.password_grant_dpop(
        &app,
        "alice",
        crate::support::PASSWORD,
        None,
        Some(thumbprint),
        None,
    ))
    .expect("bound");
    let gateway = gateway(&h);
    let ask = request(&bound.access_token);
    let err = block_on(h.auth.token_exchange(&gateway, &ask, None)).expect_err("no proof");
    assert!(
        matches!(err, GrantError::BadExchangeToken("subject_token")),
        "{err}"
    );
    let err = block_on(
        h.auth
            .token_exchange(&gateway, &ask, Some("another-key-thumbprint")),
    )
    .expect_err("another key");
    assert!(
        matches!(err, GrantError::BadExchangeToken("subject_token")),
        "{err}"
    );
    let exchanged =
        block_on(h.auth.token_exchange(&gateway, &ask, Some(thumbprint))).expect("same key");
    assert_eq!(exchanged.token_type, "DPoP");
    assert_eq!(decode(&exchanged.access_token).1["cnf"]["jkt"], thumbprint);
}
