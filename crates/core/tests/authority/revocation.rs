//! Revocation (RFC 7009), introspection (RFC 7662) and access token verification.

use tessera_core::model::Actor;
use tessera_core::model::Grant;
use tessera_core::model::Timestamp;
use tessera_core::store::RevocationStore;
use tessera_core::{GrantError, RevokeError, StoreError, TokenError, TokenTypeHint};
use tessera_jose::jws::Header;
use tessera_jose::{Algorithm, Claims, SigningKey, jwt};

use crate::support::{Harness, ISSUER, T0, block_on, decode};

#[test]
fn revoking_a_refresh_token_ends_its_session() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", None);
    let refresh = login.refresh_token.clone().expect("refresh");
    block_on(
        h.auth
            .revoke(&app, &refresh, Some(TokenTypeHint::RefreshToken)),
    )
    .expect("revoked");
    let err = block_on(h.auth.refresh_grant(&app, &refresh, None)).expect_err("revoked");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    let err = block_on(h.auth.verify_access_token(&login.access_token)).expect_err("ended");
    assert_eq!(err.to_string(), "the session has ended");
    // Revoking again is still a success.
    block_on(h.auth.revoke(&app, &refresh, None)).expect("idempotent");
}

#[test]
fn revoking_an_access_token_puts_its_jti_on_the_feed_until_it_expires() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", None);
    // The hint is only a hint: a wrong one does not matter.
    block_on(
        h.auth
            .revoke(&app, &login.access_token, Some(TokenTypeHint::RefreshToken)),
    )
    .expect("revoked");
    let err = block_on(h.auth.verify_access_token(&login.access_token)).expect_err("revoked");
    assert_eq!(err.to_string(), "the access token was revoked");
    let (_, claims) = decode(&login.access_token);
    let feed =
        block_on(h.store().revocations_since(0, Timestamp::from_secs(T0), 10)).expect("feed");
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].jti, claims["jti"].as_str().expect("jti"));
    assert_eq!(feed[0].exp.secs(), T0 + 900);
    // Twice is fine and adds nothing; the session and its refresh token live on.
    block_on(h.auth.revoke(&app, &login.access_token, None)).expect("again");
    assert_eq!(
        block_on(h.store().revocations_since(0, Timestamp::from_secs(T0), 10))
            .expect("feed")
            .len(),
        1
    );
    block_on(
        h.auth
            .refresh_grant(&app, &login.refresh_token.expect("rt"), None),
    )
    .expect("ok");
}

#[test]
fn unknown_invalid_and_expired_tokens_revoke_successfully() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", None);
    for token in ["", "garbage", &"A".repeat(43), "a.b.c", &foreign_token()] {
        block_on(h.auth.revoke(&app, token, None)).expect("success");
    }
    h.clock.advance(900 + 61);
    block_on(h.auth.revoke(&app, &login.access_token, None)).expect("expired: success");
    assert!(
        block_on(h.store().revocations_since(0, Timestamp::from_secs(T0), 10))
            .expect("feed")
            .is_empty()
    );
}

#[test]
fn a_client_cannot_revoke_another_clients_tokens() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let other = h.app();
    let login = h.login(&app, "alice", None);
    for token in [
        login.access_token.clone(),
        login.refresh_token.clone().expect("rt"),
    ] {
        let err = block_on(h.auth.revoke(&other, &token, None)).expect_err("not theirs");
        assert!(matches!(err, RevokeError::NotYours), "{err:?}");
    }
    block_on(h.auth.verify_access_token(&login.access_token)).expect("untouched");
}

#[test]
fn introspection_reports_live_access_tokens_with_their_claims() {
    let h = Harness::new();
    let alice = h.user("alice");
    let app = h.app();
    let (resource, _) = h.client(&[Grant::ClientCredentials], &[], false);
    let login = h.login(&app, "alice", Some("orders:read"));
    let info = block_on(h.auth.introspect(&resource, &login.access_token, None)).expect("ok");
    assert!(info.active);
    assert_eq!(info.sub.as_deref(), Some(alice.id.as_str()));
    assert_eq!(info.client_id.as_deref(), Some(app.id.as_str()));
    assert_eq!(info.scope.as_deref(), Some("orders:read"));
    assert_eq!(info.token_type.as_deref(), Some("Bearer"));
    assert_eq!(info.exp, Some(Timestamp::from_secs(T0 + 900)));
    assert_eq!(info.iss.as_deref(), Some(ISSUER));
    assert_eq!(info.aud, ["orders"]);
    let json = serde_json::to_value(&info).expect("json");
    assert_eq!(json["active"], true);
    assert!(json.get("email").is_none());

    block_on(h.auth.revoke(&app, &login.access_token, None)).expect("revoked");
    let info = block_on(h.auth.introspect(&resource, &login.access_token, None)).expect("ok");
    assert!(!info.active);
    assert_eq!(
        serde_json::to_string(&info).expect("json"),
        r#"{"active":false}"#
    );
}

#[test]
fn introspection_reports_refresh_tokens_while_current() {
    let h = Harness::new();
    let alice = h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", None);
    let refresh = login.refresh_token.clone().expect("rt");
    let info = block_on(h.auth.introspect(&app, &refresh, None)).expect("ok");
    assert!(info.active);
    assert_eq!(info.token_type.as_deref(), Some("refresh_token"));
    assert_eq!(info.sub.as_deref(), Some(alice.id.as_str()));
    assert_eq!(info.exp, Some(Timestamp::from_secs(T0 + 14 * 86_400)));
    assert!(info.sid.is_some());
    // Another client does not see it as active.
    let other = h.app();
    assert!(
        !block_on(h.auth.introspect(&other, &refresh, None))
            .expect("ok")
            .active
    );
    // Once rotated, the old token is inactive and the new one active.
    let next = block_on(h.auth.refresh_grant(&app, &refresh, None)).expect("rotated");
    assert!(
        !block_on(h.auth.introspect(&app, &refresh, None))
            .expect("ok")
            .active
    );
    let next = next.refresh_token.expect("rt");
    assert!(
        block_on(h.auth.introspect(&app, &next, None))
            .expect("ok")
            .active
    );
    block_on(h.auth.revoke(&app, &next, None)).expect("revoked");
    assert!(
        !block_on(h.auth.introspect(&app, &next, None))
            .expect("ok")
            .active
    );
}

#[test]
fn introspection_is_inactive_for_garbage_and_expired_tokens_and_closed_to_public_clients() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", None);
    for token in ["", "x", &"A".repeat(43), "a.b.c", &foreign_token()] {
        assert!(
            !block_on(h.auth.introspect(&app, token, None))
                .expect("ok")
                .active
        );
    }
    h.clock.advance(900 + 61);
    assert!(
        !block_on(h.auth.introspect(&app, &login.access_token, None))
            .expect("ok")
            .active
    );
    let (public, _) = h.client(&[Grant::Password], &[], true);
    let err = block_on(h.auth.introspect(&public, &login.access_token, None)).expect_err("public");
    assert!(matches!(err, RevokeError::PublicClient), "{err:?}");
    h.store().set_unavailable(true);
    let err = block_on(h.auth.introspect(&app, &"A".repeat(43), None)).expect_err("down");
    assert!(
        matches!(err, RevokeError::Store(StoreError::Unavailable(_))),
        "{err:?}"
    );
}

#[test]
fn access_tokens_are_checked_for_expiry_issuer_typ_and_key() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let login = h.login(&app, "alice", None);
    // Within the 60 s leeway after exp, then not.
    h.clock.advance(900 + 59);
    block_on(h.auth.verify_access_token(&login.access_token)).expect("within leeway");
    h.clock.advance(2);
    let err = block_on(h.auth.verify_access_token(&login.access_token)).expect_err("expired");
    assert!(matches!(err, TokenError::Expired), "{err:?}");
    assert_eq!(err.to_string(), "the access token expired");
    // Signed by a key that is not ours, even with our kid.
    let err = block_on(h.auth.verify_access_token(&foreign_token())).expect_err("foreign");
    assert!(matches!(err, TokenError::Invalid(_)), "{err:?}");
    let ours = h.auth.key_ring().signing_key().kid().to_owned();
    let forged = sign_with(
        &SigningKey::generate(Algorithm::ES256)
            .expect("key")
            .with_kid(ours),
        "at+jwt",
    );
    assert!(block_on(h.auth.verify_access_token(&forged)).is_err());
    assert!(block_on(h.auth.verify_access_token("")).is_err());
}

/// An access-token-shaped JWT signed by a key Tessera never had.
fn foreign_token() -> String {
    sign_with(
        &SigningKey::generate(Algorithm::ES256).expect("key"),
        "at+jwt",
    )
}

fn sign_with(key: &SigningKey, typ: &str) -> String {
    let mut claims = Claims::new()
        .with_issuer(ISSUER)
        .with_subject("u_x")
        .with_expiry(T0 + 600)
        .with_issued_at(T0)
        .with_jwt_id("j");
    claims.extra.insert("client_id".into(), "c_x".into());
    let header = Header::new(key.algorithm())
        .with_typ(typ)
        .with_kid(key.kid());
    jwt::sign_with_header(&header, &claims, key).expect("signed")
}

/// A token checked once is remembered (its signature is not checked again), so these
/// verify it first and then change what the cache must not hide.
mod after_a_verified_request {
    use super::*;

    #[test]
    fn a_revoked_access_token_is_refused() {
        let h = Harness::new();
        h.user("alice");
        let app = h.app();
        let login = h.login(&app, "alice", None);
        block_on(h.auth.verify_access_token(&login.access_token)).expect("first use");
        block_on(h.auth.revoke(&app, &login.access_token, None)).expect("revoked");
        let err = block_on(h.auth.verify_access_token(&login.access_token)).expect_err("revoked");
        assert_eq!(err.to_string(), "the access token was revoked");
    }

    #[test]
    fn a_token_of_an_ended_session_is_refused() {
        let h = Harness::new();
        let alice = h.user("alice");
        let app = h.app();
        let login = h.login(&app, "alice", None);
        let claims = block_on(h.auth.verify_access_token(&login.access_token)).expect("first");
        let sid = claims.sid.clone().expect("a user's token has a session");
        assert_eq!(claims.user_id(), Some(alice.id));
        block_on(h.auth.end_session(&claims, &sid)).expect("ended");
        let err = block_on(h.auth.verify_access_token(&login.access_token)).expect_err("ended");
        assert_eq!(err.to_string(), "the session has ended");
    }

    #[test]
    fn an_expired_token_is_refused_with_the_same_leeway() {
        let h = Harness::new();
        h.user("alice");
        let app = h.app();
        let login = h.login(&app, "alice", None);
        block_on(h.auth.verify_access_token(&login.access_token)).expect("first use");
        h.clock.advance(900 + 59);
        block_on(h.auth.verify_access_token(&login.access_token)).expect("within leeway");
        h.clock.advance(1);
        let err = block_on(h.auth.verify_access_token(&login.access_token)).expect_err("expired");
        assert_eq!(err.to_string(), "the access token expired");
    }

    #[test]
    fn a_token_of_a_retired_key_is_refused() {
        let h = Harness::new();
        h.user("alice");
        let app = h.app();
        let login = h.login(&app, "alice", None);
        block_on(h.auth.verify_access_token(&login.access_token)).expect("first use");
        let old = h.auth.key_ring().signing_key().kid().to_owned();
        block_on(h.auth.rotate_keys_now(None, &Actor::Operator)).expect("rotated");
        // Rotation keeps the old key verifying (the cache may answer or not: same result).
        block_on(h.auth.verify_access_token(&login.access_token)).expect("old key verifies");
        block_on(h.auth.retire_key(&old, &Actor::Operator)).expect("retired");
        let err = block_on(h.auth.verify_access_token(&login.access_token)).expect_err("retired");
        assert!(matches!(err, TokenError::Invalid(_)), "{err:?}");
    }

    #[test]
    fn a_token_with_changed_bytes_is_checked_in_full() {
        let h = Harness::new();
        h.user("alice");
        let app = h.app();
        let login = h.login(&app, "alice", None);
        block_on(h.auth.verify_access_token(&login.access_token)).expect("first use");
        // Same signature (and so the same cache slot), another payload.
        let (header, rest) = login.access_token.split_once('.').expect("jws");
        let (_, signature) = rest.split_once('.').expect("jws");
        let payload = tessera_jose::b64::encode(
            br#"{"iss":"https://auth.example.test","sub":"u_admin","exp":9999999999}"#,
        );
        let forged = format!("{header}.{payload}.{signature}");
        assert!(block_on(h.auth.verify_access_token(&forged)).is_err());
    }
}
