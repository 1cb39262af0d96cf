//! The password and client credentials grants, and the tokens they issue.

use serde_json::Value;
use tessera_core::events::LoginFailure;
use tessera_core::model::Actor;
use tessera_core::model::Grant;
use tessera_core::store::AccountStore;
use tessera_core::{GrantError, KeyRing, SecurityEvent, StoreError, TokenError};
use tessera_jose::{JwkSet, KeySet, Validator};

use crate::support::{Harness, ISSUER, PASSWORD, T0, block_on, decode};

#[test]
fn password_grant_issues_an_rfc_9068_access_token_and_a_refresh_token() {
    let h = Harness::new();
    let user = h.user("alice");
    let app = h.app();
    let response = h.login(&app, "alice", Some("orders:read"));
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(response.expires_in, 900);
    assert_eq!(response.scope.as_deref(), Some("orders:read"));
    assert_eq!(response.refresh_token.as_ref().map(String::len), Some(43));
    assert!(response.id_token.is_none());

    let (header, claims) = decode(&response.access_token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], h.auth.key_ring().signing_key().kid());
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!(claims["aud"], "orders");
    assert_eq!(claims["iat"], T0);
    assert_eq!(claims["exp"], T0 + 900);
    assert_eq!(claims["client_id"], app.id.as_str());
    assert_eq!(claims["scope"], "orders:read");
    assert_eq!(claims["roles"], serde_json::json!(["staff"]));
    assert!(claims["sid"].as_str().is_some_and(|s| s.starts_with("s_")));
    assert_eq!(claims["jti"].as_str().map(str::len), Some(22));
    // No personal data in access tokens.
    for private in ["email", "preferred_username", "username", "password"] {
        assert!(!claims.contains_key(private), "{private} leaked");
    }

    // A resource server verifies it with the published JWKS alone.
    let jwks = JwkSet::from_json(h.auth.jwks_json().as_bytes()).expect("jwks");
    let keys = KeySet::from_jwks(&jwks, &[]).expect("key set");
    let validator = Validator::builder()
        .issuer(ISSUER)
        .audience("orders")
        .typ("at+jwt")
        .clock(h.clock.clone())
        .build();
    validator
        .verify(&response.access_token, &keys)
        .expect("verifies against the JWKS");
    let verified = block_on(h.auth.verify_access_token(&response.access_token)).expect("ours");
    assert_eq!(verified.sub, user.id);
    assert!(verified.has_scope("orders:read") && !verified.has_scope("orders:write"));
}

#[test]
fn without_a_scope_the_client_gets_all_of_its_scopes() {
    let h = Harness::new();
    h.user("alice");
    let response = h.login(&h.app(), "alice", None);
    assert_eq!(response.scope.as_deref(), Some("orders:read orders:write"));
}

#[test]
fn openid_adds_an_id_token() {
    let h = Harness::new();
    let user = h.user("alice");
    let app = h.app();
    let response = h.login(&app, "alice", Some("openid orders:read"));
    let id_token = response.id_token.expect("id token");
    let (header, claims) = decode(&id_token);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!(claims["aud"], app.id.as_str());
    assert_eq!(claims["auth_time"], T0);
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["email"], "alice@example.test");
    assert_eq!(claims["exp"], T0 + 900);
    let (_, access) = decode(&response.access_token);
    assert_eq!(claims["sid"], access["sid"]);
    // An ID token is not an access token.
    let err = block_on(h.auth.verify_access_token(&id_token)).expect_err("typ JWT");
    assert!(matches!(err, TokenError::Invalid(_)), "{err:?}");
}

#[test]
fn unknown_user_wrong_password_and_disabled_account_fail_alike() {
    let h = Harness::new();
    let alice = h.user("alice");
    let bob = h.user("bob");
    block_on(h.auth.set_user_disabled("bob", true, &Actor::Operator)).expect("disabled");
    let app = h.app();
    let attempts = [
        ("nobody", PASSWORD),
        ("alice", "wrong password"),
        ("bob", PASSWORD),
    ];
    let errors: Vec<_> = attempts
        .iter()
        .map(|(user, password)| {
            block_on(h.auth.password_grant(&app, user, password, None)).expect_err("refused")
        })
        .collect();
    for err in &errors {
        assert!(matches!(err, GrantError::BadCredentials), "{err:?}");
        assert_eq!(err.to_string(), "invalid username or password");
        assert_eq!(err.to_string(), errors[0].to_string());
    }
    let reasons: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            SecurityEvent::LoginFailed {
                user_id, reason, ..
            } => Some((user_id, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (None, LoginFailure::UnknownUser),
            (Some(alice.id), LoginFailure::WrongPassword),
            (Some(bob.id), LoginFailure::Disabled),
        ]
    );
}

#[test]
fn usernames_are_matched_case_insensitively() {
    let h = Harness::new();
    h.user("Alice");
    assert!(block_on(h.auth.password_grant(&h.app(), "aLICE", PASSWORD, None)).is_ok());
}

#[test]
fn malformed_credentials_are_bad_requests() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    for (user, password) in [("", PASSWORD), ("alice", ""), ("alice", "nul\0byte")] {
        let err = block_on(h.auth.password_grant(&app, user, password, None)).expect_err("bad");
        assert!(
            matches!(err, GrantError::Malformed(_)),
            "{user:?} {password:?}"
        );
    }
    let long = "x".repeat(1025);
    let err = block_on(h.auth.password_grant(&app, "alice", &long, None)).expect_err("long");
    assert!(matches!(err, GrantError::Malformed(_)), "{err:?}");
}

#[test]
fn a_grant_the_client_lacks_is_refused() {
    let h = Harness::new();
    h.user("alice");
    let (machine, _) = h.client(&[Grant::ClientCredentials], &["orders:read"], false);
    let err = block_on(h.auth.password_grant(&machine, "alice", PASSWORD, None)).expect_err("no");
    assert!(
        matches!(err, GrantError::GrantNotAllowed(Grant::Password)),
        "{err:?}"
    );
    let (login_only, _) = h.client(&[Grant::Password], &[], false);
    let err = block_on(h.auth.client_credentials_grant(&login_only, None)).expect_err("no");
    assert!(matches!(err, GrantError::GrantNotAllowed(_)), "{err:?}");
    let err = block_on(h.auth.refresh_grant(&login_only, &"A".repeat(43), None)).expect_err("no");
    assert!(matches!(err, GrantError::GrantNotAllowed(_)), "{err:?}");
    // Without the refresh grant the login gives no refresh token.
    let response = h.login(&login_only, "alice", None);
    assert!(response.refresh_token.is_none());
}

#[test]
fn a_scope_beyond_the_clients_is_refused() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    for scope in ["admin", "orders:read admin", "bad\"scope"] {
        let err = block_on(h.auth.password_grant(&app, "alice", PASSWORD, Some(scope)))
            .expect_err("refused");
        assert!(matches!(err, GrantError::Scope(_)), "{scope}");
    }
}

#[test]
fn client_credentials_issue_an_access_token_for_the_client_itself() {
    let h = Harness::new();
    let (machine, _) = h.client(
        &[Grant::ClientCredentials],
        &["orders:read", "orders:write"],
        false,
    );
    let response = block_on(
        h.auth
            .client_credentials_grant(&machine, Some("orders:read")),
    )
    .expect("token");
    assert!(response.refresh_token.is_none() && response.id_token.is_none());
    assert_eq!(response.scope.as_deref(), Some("orders:read"));
    let (_, claims) = decode(&response.access_token);
    assert_eq!(claims["sub"], machine.id.as_str());
    assert_eq!(claims["client_id"], machine.id.as_str());
    assert!(!claims.contains_key("sid") && !claims.contains_key("roles"));
    let verified = block_on(h.auth.verify_access_token(&response.access_token)).expect("valid");
    assert!(!verified.is_user());
    // openid makes no sense without a user.
    let err = block_on(h.auth.client_credentials_grant(&machine, Some("openid"))).expect_err("no");
    assert!(matches!(err, GrantError::Scope(_)), "{err:?}");
    // userinfo is for users.
    let err = block_on(h.auth.userinfo(&verified)).expect_err("not a user");
    assert!(matches!(err, TokenError::NotAUser), "{err:?}");
}

#[test]
fn a_public_client_never_gets_client_credentials() {
    let h = Harness::new();
    // create_client refuses the combination; a record made some other way is still refused.
    let (mut public, secret) = h.client(&[Grant::Password], &[], true);
    assert!(secret.is_none());
    public.grants.push(Grant::ClientCredentials);
    let err = block_on(h.auth.client_credentials_grant(&public, None)).expect_err("public");
    assert!(matches!(err, GrantError::PublicClient(_)), "{err:?}");
}

#[test]
fn a_login_rehashes_a_password_stored_under_old_parameters() {
    let h = Harness::new();
    let user = h.user("alice");
    assert!(user.password_hash.contains("m=256,t=1,p=1"));
    // Restart with stronger (still cheap) parameters over the same store.
    let mut config = crate::support::config();
    config.passwords = tessera_core::PasswordPolicy::new(512, 1, 1);
    let h2 = h.restart(config);
    let app = h2.app();
    h2.login(&app, "alice", None);
    let stored = block_on(h2.store().user_by_id(&user.id))
        .expect("store")
        .expect("user");
    assert!(
        stored.password_hash.contains("m=512,t=1,p=1"),
        "{}",
        stored.password_hash
    );
    h2.login(&app, "alice", None);
}

#[test]
fn an_unavailable_store_is_temporarily_unavailable() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    h.store().set_unavailable(true);
    let err = block_on(h.auth.password_grant(&app, "alice", PASSWORD, None)).expect_err("down");
    assert!(
        matches!(err, GrantError::Store(StoreError::Unavailable(_))),
        "{err:?}"
    );
    assert!(!err.to_string().contains("test store"));
    h.store().set_unavailable(false);
    h.login(&app, "alice", None);
}

#[test]
fn the_operations_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let h = Harness::new();
    let app = h.app();
    send(&h.auth.password_grant(&app, "a", "b", None));
    send(&h.auth.refresh_grant(&app, "a", None));
    send(&h.auth.verify_access_token("a"));
    send(&h.auth.apply_rotation());
    send(&h.auth.introspect(&app, "a", None));
    send(&h.auth.revoke(&app, "a", None));
}

#[test]
fn the_key_ring_verifies_what_it_signs() {
    let h = Harness::new();
    let ring: std::sync::Arc<KeyRing> = h.auth.key_ring();
    let jwks: Value = serde_json::from_str(ring.jwks_json()).expect("json");
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(jwks["keys"][0]["use"], "sig");
    assert!(jwks["keys"][0].get("d").is_none());
    assert_eq!(h.auth.jwks_cache_control(), "public, max-age=1800");
}
