//! Webhooks in the authority: who may be a receiver, where a new one starts, the SET it gets,
//! the order of events, retries with backoff, dead letters after the last retry, and replay.

use tessera_core::AdminError;
use tessera_core::model::{Actor, EventKind, Webhook};
use tessera_core::{SET_TYP, WEBHOOK_MAX_ATTEMPTS};
use tessera_jose::{JwkSet, KeySet, Validator};

use crate::support::{Harness, ISSUER, block_on};

const URL: &str = "https://siem.example.test/tessera";

fn add(h: &Harness, kinds: &[EventKind]) -> Webhook {
    block_on(h.auth.add_webhook(URL, kinds, &Actor::Operator)).expect("added")
}

/// Verifies a SET as a receiver does (the JWKS, the issuer, its own URL, no `exp`) and
/// returns its claims.
fn verify_set(h: &Harness, set: &str) -> serde_json::Value {
    let jwks = JwkSet::from_json(h.auth.jwks_json().as_bytes()).expect("jwks");
    let keys = KeySet::from_jwks(&jwks, &[]).expect("keys");
    let token = Validator::builder()
        .issuer(ISSUER)
        .audience(URL)
        .typ(SET_TYP)
        .allow_missing_exp()
        .clock(h.clock.clone())
        .build()
        .verify(set, &keys)
        .expect("verifies");
    serde_json::to_value(&token.claims).expect("claims")
}

fn claim(h: &Harness) -> Option<Webhook> {
    block_on(h.auth.claim_webhooks(10))
        .expect("claim")
        .into_iter()
        .next()
}

#[test]
fn receivers_must_be_https_or_loopback() {
    let h = Harness::new();
    for bad in [
        "http://siem.example.test/x",
        "ftp://x.example/y",
        "https://x.example/#f",
        "x",
    ] {
        let err = block_on(h.auth.add_webhook(bad, &[], &Actor::Operator)).expect_err(bad);
        assert!(matches!(err, AdminError::Invalid(_)), "{bad}: {err:?}");
    }
    block_on(
        h.auth
            .add_webhook("http://127.0.0.1:9/x", &[], &Actor::Operator),
    )
    .expect("loopback");
    let events = block_on(h.auth.events(&Default::default())).expect("events");
    assert!(events.iter().any(|e| e.kind == EventKind::WebhookAdded));
}

#[test]
fn a_new_receiver_gets_only_later_events_of_its_kinds_in_order() {
    let h = Harness::new();
    h.user("before");
    let webhook = add(&h, &[EventKind::UserCreated]);
    let app = h.app();
    h.user("alice");
    h.login(&app, "alice", None);
    h.user("bob");
    let mut seen = Vec::new();
    let mut current = claim(&h);
    while let Some(claimed) = current {
        let Some(event) = block_on(h.auth.next_webhook_event(&claimed)).expect("next") else {
            block_on(h.auth.webhook_idle(&claimed)).expect("idle");
            break;
        };
        seen.push(event.user.clone().expect("user"));
        // Delivered: still leased to this deliverer, for the next event.
        current = block_on(h.auth.webhook_delivered(&claimed, &event)).expect("delivered");
        assert!(claim(&h).is_none(), "nobody else takes it meanwhile");
    }
    assert_eq!(
        seen.len(),
        2,
        "alice and bob, not the user made before: {seen:?}"
    );
    let listed = block_on(h.auth.webhooks()).expect("list");
    assert_eq!(listed[0].id, webhook.id);
    assert!(listed[0].cursor > webhook.cursor);
}

#[test]
fn the_set_is_signed_by_the_jwks_and_says_what_happened() {
    let h = Harness::new();
    let webhook = add(&h, &[]);
    let alice = h.user("alice");
    block_on(
        h.auth
            .set_password("alice", "a fresh long passphrase", &Actor::Operator),
    )
    .expect("set");
    let claimed = claim(&h).expect("due");
    let created = block_on(h.auth.next_webhook_event(&claimed))
        .expect("next")
        .expect("one");
    let set = h
        .auth
        .security_event_token(&claimed, &created)
        .expect("signed");
    let claims = verify_set(&h, &set);
    assert!(claims.get("exp").is_none());
    assert_eq!(
        claims["sub_id"],
        serde_json::json!({"format": "opaque", "id": alice.id.as_str()})
    );
    assert_eq!(claims["jti"], format!("{}.{}", webhook.id, created.id));
    assert!(claims["events"]["urn:tessera:event:user_created"].is_object());
    // The same event signs to the same jti: a retry is recognisable.
    let again = h
        .auth
        .security_event_token(&claimed, &created)
        .expect("signed");
    assert_eq!(verify_set(&h, &again)["jti"], claims["jti"]);

    let next = block_on(h.auth.webhook_delivered(&claimed, &created))
        .expect("delivered")
        .expect("still ours");
    let changed = block_on(h.auth.next_webhook_event(&next))
        .expect("next")
        .expect("one");
    let set = h
        .auth
        .security_event_token(&next, &changed)
        .expect("signed");
    let events = verify_set(&h, &set)["events"].clone();
    let caep = &events["https://schemas.openid.net/secevent/caep/event-type/credential-change"];
    assert_eq!(caep["change_type"], "update");
    assert!(events["urn:tessera:event:password_changed"]["actor"] == "cli");
}

#[test]
fn failures_back_off_then_become_dead_letters_that_replay_in_order() {
    let h = Harness::new();
    let webhook = add(&h, &[EventKind::UserCreated]);
    h.user("alice");
    h.user("bob");
    let claimed = claim(&h).expect("due");
    let first = block_on(h.auth.next_webhook_event(&claimed))
        .expect("next")
        .expect("alice");
    block_on(h.auth.webhook_failed(&claimed, &first, "HTTP 503")).expect("recorded");
    assert!(claim(&h).is_none(), "backing off");
    h.clock.advance(2);
    let mut claimed = claim(&h).expect("due again");
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.last_error.as_deref(), Some("HTTP 503"));
    // Every retry fails: after the last, the event is a dead letter and bob comes next.
    loop {
        let event = block_on(h.auth.next_webhook_event(&claimed))
            .expect("next")
            .expect("one");
        assert_eq!(event.id, first.id, "no event overtakes the one retried");
        let gave_up = block_on(h.auth.webhook_failed(&claimed, &event, "timed out")).expect("ok");
        if gave_up {
            break;
        }
        h.clock.advance(3_600);
        claimed = claim(&h).expect("due");
        assert!(claimed.attempts < WEBHOOK_MAX_ATTEMPTS);
    }
    let claimed = claim(&h).expect("due at once");
    assert_eq!(claimed.dead_letters, vec![first.id]);
    let second = block_on(h.auth.next_webhook_event(&claimed))
        .expect("next")
        .expect("bob");
    assert!(second.id > first.id);
    block_on(h.auth.webhook_delivered(&claimed, &second)).expect("delivered");
    // Replay: back to alice, then bob again.
    let replayed = block_on(h.auth.replay_webhook(webhook.id.as_str())).expect("replayed");
    assert_eq!(replayed, 1);
    let claimed = claim(&h).expect("due");
    assert!(claimed.dead_letters.is_empty());
    let event = block_on(h.auth.next_webhook_event(&claimed))
        .expect("next")
        .expect("one");
    assert_eq!(event.id, first.id);
    assert_eq!(
        block_on(h.auth.replay_webhook(webhook.id.as_str())).expect("none"),
        0
    );
}

#[test]
fn removing_an_unknown_receiver_is_not_found() {
    let h = Harness::new();
    let err = block_on(h.auth.remove_webhook("wh_nope", &Actor::Operator)).expect_err("unknown");
    assert!(matches!(err, AdminError::NotFound(_)), "{err:?}");
    let webhook = add(&h, &[]);
    block_on(h.auth.remove_webhook(webhook.id.as_str(), &Actor::Operator)).expect("removed");
    assert!(block_on(h.auth.webhooks()).expect("list").is_empty());
}
