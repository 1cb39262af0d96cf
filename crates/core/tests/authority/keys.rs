//! Signing keys: first start, scheduled rotation, rotation on demand, retirement.

use serde_json::Value;
use std::sync::Arc;
use tessera_core::model::Actor;
use tessera_core::model::KeyState;

use tessera_core::model::KeyId;
use tessera_core::{AdminError, Authority, InternalError, MasterKey, StartError, TokenError};
use tessera_jose::Algorithm;

use crate::support::{Harness, MemoryStore, T0, TestClock, block_on, chain, config, decode};

const DAY: i64 = 86_400;

fn jwks_kids(h: &Harness) -> Vec<String> {
    let jwks: Value = serde_json::from_str(&h.auth.jwks_json()).expect("json");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

fn header_kid(token: &str) -> String {
    decode(token).0["kid"].as_str().expect("kid").to_owned()
}

fn states(h: &Harness) -> Vec<KeyState> {
    block_on(h.auth.list_keys())
        .expect("keys")
        .into_iter()
        .map(|k| k.state)
        .collect()
}

#[test]
fn the_first_start_creates_one_active_key_and_a_restart_reuses_it() {
    let h = Harness::new();
    let keys = block_on(h.auth.list_keys()).expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].state, KeyState::Active);
    assert_eq!(keys[0].alg, Algorithm::ES256);
    let kid = keys[0].kid.clone();
    let h = h.restart(config());
    assert_eq!(jwks_kids(&h), [kid]);
    assert!(
        block_on(h.auth.apply_rotation())
            .expect("rotation")
            .is_empty()
    );
}

#[test]
fn keys_rotate_on_schedule_and_old_tokens_verify_until_they_expire() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let old_kid = KeyId::new(h.auth.key_ring().signing_key().kid());

    // A successor is published an hour before it signs.
    h.clock.advance(30 * DAY - 3_600);
    let changes = block_on(h.auth.apply_rotation()).expect("rotation");
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].from, changes[0].to),
        (None, KeyState::Published)
    );
    let new_kid = changes[0].kid.clone();
    assert_eq!(jwks_kids(&h), [old_kid.clone(), new_kid.clone()]);
    assert_eq!(h.auth.key_ring().signing_key().kid(), old_kid);
    assert!(
        block_on(h.auth.apply_rotation())
            .expect("rotation")
            .is_empty()
    );

    h.clock.advance(3_300);
    let before = h.login(&app, "alice", None);
    assert_eq!(header_kid(&before.access_token), old_kid);

    // It starts signing; the old key stops signing but still verifies.
    h.clock.advance(300);
    let changes = block_on(h.auth.apply_rotation()).expect("rotation");
    let moves: Vec<_> = changes
        .iter()
        .map(|c| (c.kid.clone(), c.from, c.to))
        .collect();
    assert_eq!(
        moves,
        [
            (new_kid.clone(), Some(KeyState::Published), KeyState::Active),
            (old_kid.clone(), Some(KeyState::Active), KeyState::Retiring),
        ]
    );
    assert_eq!(h.auth.key_ring().signing_key().kid(), new_kid);
    block_on(h.auth.verify_access_token(&before.access_token)).expect("old key still verifies");
    let after = h.login(&app, "alice", None);
    assert_eq!(header_kid(&after.access_token), new_kid);

    // Once every token it signed has expired (plus leeway, and one maintenance interval and
    // the slack for an instance that has not yet switched), it leaves the JWKS.
    h.clock.advance(900 + 60 + 60 + 2 - 1);
    assert!(
        block_on(h.auth.apply_rotation())
            .expect("rotation")
            .is_empty()
    );
    h.clock.advance(1);
    let changes = block_on(h.auth.apply_rotation()).expect("rotation");
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].kid.as_str(), changes[0].to),
        (old_kid.as_str(), KeyState::Retired)
    );
    assert_eq!(jwks_kids(&h), std::slice::from_ref(&new_kid));
    assert_eq!(states(&h), [KeyState::Retired, KeyState::Active]);
    let later = h.login(&app, "alice", None);
    assert_eq!(header_kid(&later.access_token), new_kid);
    block_on(h.auth.verify_access_token(&later.access_token)).expect("new key verifies");
}

#[test]
fn rotation_on_demand_switches_at_once_and_retiring_keys_still_verify() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let old_kid = KeyId::new(h.auth.key_ring().signing_key().kid());
    let before = h.login(&app, "alice", None);
    let changes = block_on(
        h.auth
            .rotate_keys_now(Some(Algorithm::EdDSA), &Actor::Operator),
    )
    .expect("rotated");
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].to, KeyState::Active);
    assert_eq!(changes[0].alg, Algorithm::EdDSA);
    assert_eq!(
        (changes[1].kid.as_str(), changes[1].to),
        (old_kid.as_str(), KeyState::Retiring)
    );
    let new_kid = changes[0].kid.clone();
    let after = h.login(&app, "alice", None);
    let (header, _) = decode(&after.access_token);
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("EdDSA"), Some(new_kid.as_str()))
    );
    block_on(h.auth.verify_access_token(&before.access_token)).expect("retiring verifies");

    // The signing key cannot be retired; the retiring one can, at once.
    let err = block_on(h.auth.retire_key(new_kid.as_str(), &Actor::Operator)).expect_err("signer");
    assert!(matches!(err, AdminError::KeyInUse), "{err:?}");
    let change = block_on(h.auth.retire_key(&old_kid, &Actor::Operator)).expect("retired");
    assert_eq!(change.to, KeyState::Retired);
    assert_eq!(jwks_kids(&h), [new_kid]);
    let err = block_on(h.auth.verify_access_token(&before.access_token)).expect_err("gone");
    assert!(matches!(err, TokenError::Invalid(_)), "{err:?}");
    for kid in [old_kid.as_str(), "no-such-kid"] {
        let err = block_on(h.auth.retire_key(kid, &Actor::Operator)).expect_err("not live");
        assert!(matches!(err, AdminError::NotFound(_)), "{err:?}");
    }
    let err = block_on(
        h.auth
            .rotate_keys_now(Some(Algorithm::HS256), &Actor::Operator),
    )
    .expect_err("hmac");
    assert!(matches!(err, AdminError::Invalid(_)), "{err:?}");
}

#[test]
fn the_default_algorithm_is_rs256() {
    let mut config = config();
    config.rotation = tessera_core::RotationPolicy::default();
    let h = Harness::with_config(config);
    h.user("alice");
    let login = h.login(&h.app(), "alice", None);
    assert_eq!(decode(&login.access_token).0["alg"], "RS256");
    block_on(h.auth.verify_access_token(&login.access_token)).expect("verifies");
}

#[test]
fn a_wrong_master_key_stops_the_start() {
    let h = Harness::new();
    let store: Arc<MemoryStore> = Arc::clone(h.store());
    let other = MasterKey::generate().expect("random");
    let err = block_on(Authority::start(config(), store, other, TestClock::at(T0)))
        .expect_err("cannot open the key");
    assert!(
        matches!(err, StartError::Internal(InternalError::Keys(_))),
        "{err:?}"
    );
    assert!(chain(&err).contains("master key"), "{}", chain(&err));
}

#[test]
fn a_bad_configuration_stops_the_start() {
    let mut bad = config();
    bad.refresh_grace = std::time::Duration::from_secs(120);
    let err = block_on(Authority::start(
        bad,
        Arc::new(MemoryStore::new()),
        MasterKey::generate().expect("random"),
        TestClock::at(T0),
    ))
    .expect_err("refused");
    assert!(matches!(err, StartError::Config(_)), "{err:?}");
}
