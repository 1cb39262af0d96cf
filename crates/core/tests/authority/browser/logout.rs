//! Signing out: what an RP-initiated logout request proves and where it may send the browser,
//! the back-channel logout token, and how its delivery is retried.

use serde_json::json;
use tessera_core::authority::{BACKCHANNEL_LOGOUT_EVENT, LogoutParams, LogoutPlan};
use tessera_core::events::EndReason;
use tessera_core::model::{LogoutNotice, NoticeOutcome};
use tessera_jose::jws::compact;

use super::{POST_LOGOUT, Web, code_flow, now, pending, sign_in, web_client};
use crate::support::{Harness, ISSUER, block_on, config, decode};

fn plan(h: &Harness, params: &LogoutParams) -> LogoutPlan {
    block_on(h.auth.check_logout(params)).expect("store")
}

fn hinted(token: &str) -> LogoutParams {
    let mut params = LogoutParams::default();
    params.id_token_hint = Some(token.to_owned());
    params
}

fn plan_of(h: &Harness, hint: &str) -> LogoutPlan {
    plan(h, &hinted(hint))
}

/// An ID token `h` issues to a fresh client for `username`, and the client.
fn id_token(h: &Harness, username: &str, web: Web) -> (String, tessera_core::model::Client) {
    let client = web_client(h, web);
    let signed = sign_in(h, username);
    let tokens = code_flow(h, &client, &signed.session);
    (tokens.id_token.expect("ID token"), client)
}

#[test]
fn a_valid_id_token_hint_proves_the_user_and_names_the_client() {
    let h = Harness::new();
    let alice = h.user("alice");
    let bob = h.user("bob");
    let (token, client) = id_token(&h, "alice", Web::FIRST_PARTY);
    let (_, claims) = decode(&token);
    let plan = plan(&h, &hinted(&token));
    assert!(plan.proves(&alice.id));
    assert!(!plan.proves(&bob.id));
    assert_eq!(plan.client.map(|c| c.id), Some(client.id));
    assert_eq!(plan.hinted_sid.as_deref(), claims["sid"].as_str());
    assert!(plan.redirect.is_none(), "none was asked for");
}

#[test]
fn an_expired_id_token_hint_still_proves_the_user() {
    let h = Harness::new();
    let alice = h.user("alice");
    let (token, client) = id_token(&h, "alice", Web::FIRST_PARTY);
    h.clock.advance(7 * 86_400);
    let plan = plan(&h, &hinted(&token));
    assert!(plan.proves(&alice.id));
    assert_eq!(plan.client.map(|c| c.id), Some(client.id));
}

#[test]
fn a_hint_signed_by_another_deployment_proves_nothing() {
    let h = Harness::new();
    let alice = h.user("alice");
    let other = Harness::new();
    other.user("alice");
    let (token, _) = id_token(&other, "alice", Web::FIRST_PARTY);
    let plan = plan(&h, &hinted(&token));
    assert!(plan.hinted_user.is_none() && plan.hinted_sid.is_none());
    assert!(!plan.proves(&alice.id));
    for garbage in ["", "not.a.token", "eyJhbGciOiJub25lIn0.e30."] {
        assert!(plan_of(&h, garbage).hinted_user.is_none(), "{garbage:?}");
    }
}

#[test]
fn a_hint_under_our_key_but_from_another_issuer_proves_nothing() {
    let h = Harness::new();
    let alice = h.user("alice");
    let (ours, _) = id_token(&h, "alice", Web::FIRST_PARTY);
    // Another issuer over the same store and master key: it signs with the same key.
    let mut elsewhere = config();
    elsewhere.issuer = "https://other.example.test".into();
    let other = Harness::with_store(
        elsewhere,
        h.store().clone(),
        h.master_text(),
        now(&h).secs(),
    );
    let (theirs, _) = id_token(&other, "alice", Web::FIRST_PARTY);
    let (our_header, _) = decode(&ours);
    let (their_header, their_claims) = decode(&theirs);
    assert_eq!(their_header["kid"], our_header["kid"], "the same key");
    assert_eq!(their_claims["iss"], "https://other.example.test");
    assert!(plan_of(&h, &ours).proves(&alice.id));
    let plan = plan_of(&h, &theirs);
    assert!(!plan.proves(&alice.id));
    assert!(plan.client.is_none());
}

#[test]
fn only_an_id_token_is_a_hint_not_another_token_we_signed() {
    let h = Harness::new();
    let alice = h.user("alice");
    let client = web_client(&h, Web::NOTIFIED);
    let signed = sign_in(&h, "alice");
    let tokens = code_flow(&h, &client, &signed.session);
    // An access token travels to resource servers: it must not sign the user out unasked.
    assert!(!plan_of(&h, &tokens.access_token).proves(&alice.id));
    block_on(
        h.auth
            .end_browser_session(&signed.session, EndReason::Logout),
    )
    .expect("ended");
    let notice = claim(&h, 1).pop().expect("a notice");
    let logout_token = h.auth.logout_token(&notice).expect("signed");
    assert!(!plan_of(&h, &logout_token).proves(&alice.id));
    let id_token = tokens.id_token.expect("ID token");
    assert!(plan_of(&h, &id_token).proves(&alice.id));
}

#[test]
fn a_hint_and_a_client_id_that_disagree_name_no_client_and_no_redirect() {
    let h = Harness::new();
    h.user("alice");
    let (token, _) = id_token(&h, "alice", Web::FIRST_PARTY);
    let another = web_client(&h, Web::FIRST_PARTY);
    let mut params = hinted(&token);
    params.client_id = Some(another.id.to_string());
    params.post_logout_redirect_uri = Some(POST_LOGOUT.into());
    let plan = plan(&h, &params);
    assert!(plan.client.is_none());
    assert!(plan.redirect.is_none());
}

#[test]
fn a_post_logout_redirect_uri_is_kept_only_if_registered_exactly_with_the_state_added() {
    let h = Harness::new();
    h.user("alice");
    let (token, client) = id_token(&h, "alice", Web::FIRST_PARTY);
    let mut params = hinted(&token);
    params.post_logout_redirect_uri = Some(POST_LOGOUT.into());
    params.state = Some("bye 1".into());
    assert_eq!(
        plan(&h, &params).redirect.as_deref(),
        Some("https://app.example.test/signed-out?state=bye+1")
    );
    params.state = None;
    assert_eq!(plan(&h, &params).redirect.as_deref(), Some(POST_LOGOUT));
    for uri in [
        "https://app.example.test/signed-out/",
        "https://app.example.test/signed-out?x=1",
        "https://evil.example.test/signed-out",
        "https://app.example.test/callback",
    ] {
        params.post_logout_redirect_uri = Some(uri.into());
        assert!(plan(&h, &params).redirect.is_none(), "{uri}");
    }
    // Without a hint, the client named by client_id decides; an unknown one, nobody.
    let mut named = LogoutParams::default();
    named.client_id = Some(client.id.to_string());
    named.post_logout_redirect_uri = Some(POST_LOGOUT.into());
    named.state = Some("s".into());
    let plan_named = plan(&h, &named);
    assert_eq!(
        plan_named.redirect.as_deref(),
        Some("https://app.example.test/signed-out?state=s")
    );
    assert!(plan_named.hinted_user.is_none());
    named.client_id = Some("c_unknown".into());
    assert!(plan(&h, &named).redirect.is_none());
    named.client_id = None;
    assert!(plan(&h, &named).redirect.is_none());
}

/// Claims the notices due now.
fn claim(h: &Harness, limit: u32) -> Vec<LogoutNotice> {
    block_on(h.auth.claim_logout_notices(limit)).expect("store")
}

/// A harness with one notice queued for alice's ended session, and that session's id.
fn one_notice() -> (Harness, String, tessera_core::model::Client) {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::NOTIFIED);
    let signed = sign_in(&h, "alice");
    code_flow(&h, &client, &signed.session);
    block_on(
        h.auth
            .end_browser_session(&signed.session, EndReason::Logout),
    )
    .expect("ended");
    (h, signed.session.id.to_string(), client)
}

#[test]
fn a_logout_token_names_the_user_and_session_with_the_event_and_never_a_nonce() {
    let (h, sid, client) = one_notice();
    let notice = claim(&h, 10).pop().expect("a notice");
    assert_eq!(notice.attempts, 1, "claiming counts the attempt");
    let token = h.auth.logout_token(&notice).expect("signed");
    compact::verify(&token, h.auth.key_ring().key_set(), 16 * 1024).expect("signed by us");
    let (header, claims) = decode(&token);
    assert_eq!(header["typ"], "logout+jwt");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], client.id.as_str());
    assert_eq!(claims["sub"], notice.user_id.as_str());
    assert_eq!(claims["sid"], sid.as_str());
    assert_eq!(claims["jti"], notice.jti.as_str());
    assert_eq!(claims["events"], json!({ BACKCHANNEL_LOGOUT_EVENT: {} }));
    assert!(!claims.contains_key("nonce"));
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(iat, now(&h).secs());
    assert_eq!(claims["exp"].as_i64(), Some(iat + 120));
    // The next attempt sends the same jti, so the receiver can tell a retry.
    let outcome = block_on(h.auth.finish_logout_notice(&notice, false)).expect("store");
    assert!(matches!(outcome, NoticeOutcome::RetryAt(_)));
    h.clock.advance(2);
    let retry = claim(&h, 10).pop().expect("due again");
    assert_eq!(retry.id, notice.id);
    assert_eq!(retry.attempts, 2);
    let (_, again) = decode(&h.auth.logout_token(&retry).expect("signed"));
    assert_eq!(again["jti"], claims["jti"]);
    assert_eq!(again["iat"].as_i64(), Some(iat + 2));
}

#[test]
fn failed_deliveries_back_off_two_four_eight_seconds_up_to_an_hour_then_give_up_after_15() {
    let (h, _, _) = one_notice();
    let mut waits = Vec::new();
    for attempt in 1..=15_u32 {
        let notice = claim(&h, 10).pop().expect("due");
        assert_eq!(notice.attempts, attempt);
        assert!(claim(&h, 10).is_empty(), "leased to this deliverer");
        match block_on(h.auth.finish_logout_notice(&notice, false)).expect("store") {
            NoticeOutcome::RetryAt(at) => {
                let wait = at.secs() - now(&h).secs();
                waits.push(wait);
                h.clock.advance(wait - 1);
                assert!(claim(&h, 10).is_empty(), "not due before its time");
                h.clock.advance(1);
            }
            NoticeOutcome::GiveUp => {
                assert_eq!(attempt, 15);
                break;
            }
            NoticeOutcome::Delivered => panic!("not delivered"),
        }
    }
    assert_eq!(
        waits,
        [
            2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600, 3600
        ]
    );
    assert!(pending(&h).is_empty(), "given up");
    h.clock.advance(86_400);
    assert!(claim(&h, 10).is_empty());
}

#[test]
fn a_delivered_notice_is_not_sent_again_and_an_abandoned_claim_is_retried_after_its_lease() {
    let (h, _, _) = one_notice();
    let notice = claim(&h, 10).pop().expect("due");
    // The deliverer dies without finishing: another may try once the lease runs out.
    h.clock.advance(59);
    assert!(claim(&h, 10).is_empty());
    h.clock.advance(1);
    let notice = {
        let again = claim(&h, 10).pop().expect("the lease ran out");
        assert_eq!(again.id, notice.id);
        again
    };
    let outcome = block_on(h.auth.finish_logout_notice(&notice, true)).expect("store");
    assert_eq!(outcome, NoticeOutcome::Delivered);
    assert!(pending(&h).is_empty());
    h.clock.advance(3600);
    assert!(claim(&h, 10).is_empty());
}
