//! The authorization code grant: what the tokens say, what a code must be presented with, and
//! what a replay takes back.

use aws_lc_rs::digest::{SHA256, digest};
use serde_json::json;
use tessera_core::events::EndReason;
use tessera_core::model::Actor;
use tessera_core::model::Grant;
use tessera_core::{GrantError, SecurityEvent, TokenError};
use tessera_jose::b64;

use super::{
    NONCE, REDIRECT, VERIFIER, Web, client_with, code_for, exchange, params, sign_in, web_client,
};
use crate::support::{Harness, ISSUER, T0, block_on, decode};

/// `at_hash` of an access token signed with ES256 (OpenID Connect Core §3.1.3.6).
fn at_hash(access_token: &str) -> String {
    let full = digest(&SHA256, access_token.as_bytes());
    b64::encode(&full.as_ref()[..16])
}

#[test]
fn a_code_gives_access_refresh_and_id_tokens_that_tell_how_the_user_signed_in() {
    let h = Harness::new();
    let alice = h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    h.clock.advance(100);
    let code = code_for(&h, &params(&client), &signed.session);
    let tokens = exchange(&h, &client, &code);
    assert_eq!(tokens.scope.as_deref(), Some("openid orders:read"));
    let id_token = tokens.id_token.as_deref().expect("an ID token for openid");
    let (header, claims) = decode(id_token);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(claims["aud"], client.id.as_str());
    assert_eq!(claims["azp"], client.id.as_str());
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["auth_time"], T0, "when the user signed in, not now");
    assert_eq!(claims["iat"], T0 + 100);
    assert_eq!(claims["sid"], signed.session.id.as_str());
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["at_hash"], at_hash(&tokens.access_token).as_str());
    // The access token works, belongs to a refresh family of its own, and refreshes.
    let access = block_on(h.auth.verify_access_token(&tokens.access_token)).expect("valid");
    assert_eq!(access.client_id, client.id);
    assert_eq!(access.user_id(), Some(alice.id.clone()));
    assert_ne!(
        access.sid.as_ref().map(|s| s.as_str()),
        Some(signed.session.id.as_str())
    );
    let refresh = tokens.refresh_token.expect("a refresh token");
    let renewed = block_on(h.auth.refresh_grant(&client, &refresh, None)).expect("refreshed");
    assert!(renewed.refresh_token.is_some());
}

#[test]
fn a_code_without_openid_gives_no_id_token_and_no_nonce_is_invented() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let mut plain = params(&client);
    plain.scope = Some("orders:read".into());
    let code = code_for(&h, &plain, &signed.session);
    let tokens = exchange(&h, &client, &code);
    assert!(tokens.id_token.is_none());
    let mut no_nonce = params(&client);
    no_nonce.nonce = None;
    let code = code_for(&h, &no_nonce, &signed.session);
    let (_, claims) = decode(&exchange(&h, &client, &code).id_token.expect("ID token"));
    assert!(!claims.contains_key("nonce"));
}

#[test]
fn a_wrong_code_verifier_fails_pkce() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let code = code_for(&h, &params(&client), &signed.session);
    let other = format!("{}A", &VERIFIER[..VERIFIER.len() - 1]);
    for verifier in [other.as_str(), "too-short", &format!("{VERIFIER}+")] {
        let err = block_on(
            h.auth
                .code_grant(&client, &code, Some(REDIRECT), Some(verifier)),
        )
        .expect_err("refused");
        assert!(matches!(err, GrantError::PkceFailed), "{verifier}: {err:?}");
    }
}

#[test]
fn a_missing_code_verifier_is_malformed() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let code = code_for(&h, &params(&client), &signed.session);
    let err =
        block_on(h.auth.code_grant(&client, &code, Some(REDIRECT), None)).expect_err("refused");
    assert!(matches!(err, GrantError::Malformed(_)), "{err:?}");
}

#[test]
fn a_code_must_come_back_with_the_redirect_uri_it_was_sent_to() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let code = code_for(&h, &params(&client), &signed.session);
    for uri in [
        None,
        Some("https://app.example.test/callback/"),
        Some("http://127.0.0.1/callback"),
    ] {
        let err =
            block_on(h.auth.code_grant(&client, &code, uri, Some(VERIFIER))).expect_err("refused");
        assert!(matches!(err, GrantError::BadCode), "{uri:?}: {err:?}");
    }
    // A loopback code comes back with the port it was sent to, not the registered URI.
    let mut native = params(&client);
    native.redirect_uri = Some("http://127.0.0.1:40000/callback".into());
    let code = code_for(&h, &native, &signed.session);
    let err = block_on(h.auth.code_grant(
        &client,
        &code,
        Some("http://127.0.0.1/callback"),
        Some(VERIFIER),
    ))
    .expect_err("refused");
    assert!(matches!(err, GrantError::BadCode), "{err:?}");
    block_on(h.auth.code_grant(
        &client,
        &code,
        Some("http://127.0.0.1:40000/callback"),
        Some(VERIFIER),
    ))
    .expect("exchanged");
}

#[test]
fn another_clients_code_is_refused() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let thief = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let code = code_for(&h, &params(&client), &signed.session);
    let err = block_on(
        h.auth
            .code_grant(&thief, &code, Some(REDIRECT), Some(VERIFIER)),
    )
    .expect_err("refused");
    assert!(matches!(err, GrantError::BadCode), "{err:?}");
    let no_grant = client_with(&h, &[Grant::Password], Web::FIRST_PARTY);
    let err = block_on(
        h.auth
            .code_grant(&no_grant, &code, Some(REDIRECT), Some(VERIFIER)),
    )
    .expect_err("refused");
    assert!(
        matches!(err, GrantError::GrantNotAllowed(Grant::AuthorizationCode)),
        "{err:?}"
    );
    // The rightful client can still use it.
    exchange(&h, &client, &code);
}

#[test]
fn a_code_expires_sixty_seconds_after_it_was_issued() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let early = code_for(&h, &params(&client), &signed.session);
    let late = code_for(&h, &params(&client), &signed.session);
    h.clock.advance(59);
    exchange(&h, &client, &early);
    h.clock.advance(1);
    let err = block_on(
        h.auth
            .code_grant(&client, &late, Some(REDIRECT), Some(VERIFIER)),
    )
    .expect_err("expired");
    assert!(matches!(err, GrantError::BadCode), "{err:?}");
    let err = block_on(
        h.auth
            .code_grant(&client, "not-a-code", Some(REDIRECT), Some(VERIFIER)),
    )
    .expect_err("unknown");
    assert!(matches!(err, GrantError::BadCode), "{err:?}");
}

#[test]
fn a_replayed_code_is_refused_and_takes_back_what_the_first_exchange_gave() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let code = code_for(&h, &params(&client), &signed.session);
    let first = exchange(&h, &client, &code);
    block_on(h.auth.verify_access_token(&first.access_token)).expect("valid at first");
    let err = block_on(
        h.auth
            .code_grant(&client, &code, Some(REDIRECT), Some(VERIFIER)),
    )
    .expect_err("replay");
    assert!(matches!(err, GrantError::BadCode), "{err:?}");
    let refresh = first.refresh_token.expect("refresh token");
    let err = block_on(h.auth.refresh_grant(&client, &refresh, None)).expect_err("revoked");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    let err = block_on(h.auth.verify_access_token(&first.access_token)).expect_err("revoked");
    assert!(matches!(err, TokenError::Revoked), "{err:?}");
    let (_, claims) = decode(&first.access_token);
    assert!(h.events().iter().any(|e| matches!(
        e,
        SecurityEvent::CodeReplayed { client_id, session_id }
            if *client_id == client.id && claims["sid"] == session_id.as_str()
    )));
}

#[test]
fn a_code_replayed_after_its_expiry_still_takes_back_the_tokens() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let code = code_for(&h, &params(&client), &signed.session);
    let first = exchange(&h, &client, &code);
    h.clock.advance(120);
    let err = block_on(
        h.auth
            .code_grant(&client, &code, Some(REDIRECT), Some(VERIFIER)),
    )
    .expect_err("replay");
    assert!(matches!(err, GrantError::BadCode), "{err:?}");
    let err = block_on(h.auth.verify_access_token(&first.access_token)).expect_err("revoked");
    assert!(matches!(err, TokenError::Revoked), "{err:?}");
}

#[test]
fn a_code_of_a_disabled_user_is_refused() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let code = code_for(&h, &params(&client), &signed.session);
    block_on(h.auth.set_user_disabled("alice", true, &Actor::Operator)).expect("disabled");
    let err = block_on(
        h.auth
            .code_grant(&client, &code, Some(REDIRECT), Some(VERIFIER)),
    )
    .expect_err("refused");
    assert!(matches!(err, GrantError::BadCode), "{err:?}");
}

#[test]
fn a_code_from_a_browser_session_that_has_ended_is_refused() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let code = code_for(&h, &params(&client), &signed.session);
    // The user signs out before the client exchanges the code: nothing may outlive that.
    block_on(
        h.auth
            .end_browser_session(&signed.session, EndReason::Logout),
    )
    .expect("ended");
    let err = block_on(
        h.auth
            .code_grant(&client, &code, Some(REDIRECT), Some(VERIFIER)),
    )
    .expect_err("refused");
    assert!(matches!(err, GrantError::BadCode), "{err:?}");
}
