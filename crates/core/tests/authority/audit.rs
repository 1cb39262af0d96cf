//! The audit trail: every rule records its outcome with who, through which client and from
//! where; nothing secret is kept; reads filter and page; the retention purge and the cap
//! keep the trail bounded.

use std::net::IpAddr;
use std::time::Duration;

use tessera_core::AdminError;
use tessera_core::lockout::LockoutPolicy;
use tessera_core::model::{Actor, AuditEvent, EventKind, EventQuery, UnixMillis, UserId};

use crate::support::{Harness, PASSWORD, block_on, config};

fn trail(h: &Harness) -> Vec<AuditEvent> {
    block_on(h.auth.events(&EventQuery::default())).expect("events")
}

fn kinds(h: &Harness) -> Vec<EventKind> {
    trail(h).into_iter().map(|e| e.kind).collect()
}

fn ip() -> Option<IpAddr> {
    Some("192.0.2.7".parse().expect("address"))
}

#[test]
fn logins_record_success_and_failure_with_client_address_and_reason() {
    let h = Harness::new();
    let alice = h.user("alice");
    let app = h.app();
    let before = trail(&h).len();
    block_on(
        h.auth
            .password_grant_dpop(&app, "alice", PASSWORD, None, None, ip()),
    )
    .expect("login");
    let wrong = "wrong password, never stored";
    block_on(
        h.auth
            .password_grant_dpop(&app, "alice", wrong, None, None, ip()),
    )
    .expect_err("wrong password");
    block_on(
        h.auth
            .password_grant_dpop(&app, "mallory", wrong, None, None, ip()),
    )
    .expect_err("unknown user");

    let events = &trail(&h)[before..];
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0].kind, EventKind::LoginSucceeded);
    assert_eq!(events[0].user.as_ref(), Some(&alice.id));
    assert_eq!(events[0].client.as_ref(), Some(&app.id));
    assert_eq!(events[0].ip, ip());
    assert_eq!(events[1].kind, EventKind::LoginFailed);
    assert_eq!(events[1].user.as_ref(), Some(&alice.id));
    assert_eq!(events[1].detail.as_deref(), Some("wrong_password"));
    // An unknown username is not kept: it is often a mistyped password.
    assert_eq!(events[2].kind, EventKind::LoginFailed);
    assert_eq!(events[2].user, None);
    assert_eq!(events[2].detail.as_deref(), Some("unknown_user"));
    let text = format!("{:?}", trail(&h));
    assert!(!text.contains("mallory") && !text.contains(wrong) && !text.contains(PASSWORD));
}

#[test]
fn a_lock_out_is_recorded_when_it_starts_not_on_every_refusal() {
    let mut config = config();
    config.lockout = LockoutPolicy::new(2, Duration::from_secs(60), Duration::from_secs(600));
    let h = Harness::with_config(config);
    let alice = h.user("alice");
    let app = h.app();
    for _ in 0..3 {
        block_on(h.auth.password_grant(&app, "alice", "not it at all", None)).expect_err("wrong");
    }
    for _ in 0..5 {
        block_on(h.auth.password_grant(&app, "alice", PASSWORD, None)).expect_err("locked");
    }
    let locks: Vec<AuditEvent> = trail(&h)
        .into_iter()
        .filter(|e| e.kind == EventKind::LoginThrottled)
        .collect();
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0].user.as_ref(), Some(&alice.id));
    assert_eq!(locks[0].detail.as_deref(), Some("account_locked"));
}

#[test]
fn admin_changes_name_who_made_them() {
    let h = Harness::new();
    let admin = Actor::User(UserId::new("u_admin"));
    let bob = block_on(h.auth.create_user("bob", PASSWORD, None, &[], &admin)).expect("created");
    block_on(h.auth.set_user_disabled("bob", true, &admin)).expect("disabled");
    block_on(
        h.auth
            .set_password("bob", "a brand new passphrase", &Actor::Operator),
    )
    .expect("password set");
    block_on(h.auth.unlock_user("bob", &admin)).expect("unlocked");
    block_on(h.auth.delete_user("bob", &admin)).expect("deleted");
    let (client, _) = block_on(h.auth.create_client(
        "svc",
        &[tessera_core::model::Grant::ClientCredentials],
        &[],
        &[],
        false,
        &admin,
    ))
    .expect("client");
    block_on(h.auth.delete_client(client.id.as_str(), &admin)).expect("removed");
    let rotated = block_on(h.auth.rotate_keys_now(None, &admin)).expect("rotated");
    let old = rotated.last().expect("the old key").kid.clone();
    block_on(h.auth.retire_key(old.as_str(), &admin)).expect("retired");

    let events: Vec<AuditEvent> = trail(&h)
        .into_iter()
        .filter(|e| e.actor.is_some() && e.actor != Some(Actor::System))
        .collect();
    let seen: Vec<(EventKind, String, Option<&str>)> = events
        .iter()
        .map(|e| {
            let actor = e.actor.as_ref().expect("actor").to_string();
            (e.kind, actor, e.detail.as_deref())
        })
        .collect();
    let retired = format!("{old}");
    assert_eq!(
        seen.iter()
            .map(|(k, a, _)| (*k, a.as_str()))
            .collect::<Vec<_>>(),
        [
            (EventKind::UserCreated, "u_admin"),
            (EventKind::UserUpdated, "u_admin"),
            (EventKind::PasswordChanged, "cli"),
            (EventKind::UserUnlocked, "u_admin"),
            (EventKind::UserDeleted, "u_admin"),
            (EventKind::ClientCreated, "u_admin"),
            (EventKind::ClientRemoved, "u_admin"),
            (EventKind::KeysRotated, "u_admin"),
            (EventKind::KeyRetired, "u_admin"),
        ]
    );
    assert_eq!(seen[1].2, Some("disabled"));
    assert_eq!(seen[8].2, Some(retired.as_str()));
    assert!(events[..5].iter().all(|e| e.user.as_ref() == Some(&bob.id)));
    assert_eq!(events[5].client.as_ref(), Some(&client.id));
}

#[test]
fn a_refused_change_records_nothing() {
    let h = Harness::new();
    let before = kinds(&h);
    let err = block_on(h.auth.delete_user("nobody", &Actor::Operator)).expect_err("unknown");
    assert!(matches!(err, AdminError::NotFound(_)), "{err:?}");
    block_on(
        h.auth
            .create_user("x", "short", None, &[], &Actor::Operator),
    )
    .expect_err("weak");
    assert_eq!(kinds(&h), before);
}

#[test]
fn replays_logouts_and_revocations_are_recorded() {
    let h = Harness::new();
    let alice = h.user("alice");
    let app = h.app();
    let first = h.login(&app, "alice", None);
    let refresh = first.refresh_token.clone().expect("refresh token");
    block_on(h.auth.refresh_grant(&app, &refresh, None)).expect("rotated");
    block_on(h.auth.refresh_grant(&app, &refresh, None)).expect_err("replayed");
    let second = h.login(&app, "alice", None);
    let claims = block_on(h.auth.verify_access_token(&second.access_token)).expect("valid");
    block_on(h.auth.logout(&claims)).expect("logged out");
    let third = h.login(&app, "alice", None);
    block_on(h.auth.revoke(&app, &third.access_token, None)).expect("revoked");

    let events = trail(&h);
    let replay = events
        .iter()
        .find(|e| e.kind == EventKind::RefreshReplayed)
        .expect("replay recorded");
    assert_eq!(replay.user.as_ref(), Some(&alice.id));
    assert_eq!(replay.client.as_ref(), Some(&app.id));
    let logout = events
        .iter()
        .find(|e| e.kind == EventKind::Logout)
        .expect("logout");
    assert_eq!(logout.user.as_ref(), Some(&alice.id));
    let revoked = events
        .iter()
        .find(|e| e.kind == EventKind::TokenRevoked)
        .expect("revocation");
    assert_eq!(revoked.detail.as_deref(), Some("access_token"));
    let text = format!("{events:?}");
    assert!(!text.contains(&refresh) && !text.contains(&second.access_token));
}

#[test]
fn reads_filter_by_kind_user_and_time() {
    let h = Harness::new();
    let alice = h.user("alice");
    h.user("bob");
    let app = h.app();
    h.login(&app, "alice", None);
    h.clock.advance(60);
    h.login(&app, "bob", None);
    let query = EventQuery {
        kinds: vec![EventKind::LoginSucceeded],
        user: Some(alice.id.clone()),
        ..EventQuery::default()
    };
    let found = block_on(h.auth.events(&query)).expect("events");
    assert_eq!(found.len(), 1);
    let later = EventQuery {
        kinds: vec![EventKind::LoginSucceeded],
        since: Some(found[0].at.plus(Duration::from_secs(30))),
        ..EventQuery::default()
    };
    let found = block_on(h.auth.events(&later)).expect("events");
    assert_eq!(found.len(), 1);
    assert_ne!(found[0].user.as_ref(), Some(&alice.id));
    let backwards = EventQuery {
        since: Some(UnixMillis::from_millis(10)),
        until: Some(UnixMillis::from_millis(5)),
        ..EventQuery::default()
    };
    let err = block_on(h.auth.events(&backwards)).expect_err("an empty range");
    assert!(matches!(err, AdminError::Invalid(_)), "{err:?}");
}

#[test]
fn the_purge_drops_events_past_their_retention() {
    let mut config = config();
    config.audit_retention = Duration::from_secs(86_400);
    let h = Harness::with_config(config);
    h.user("alice");
    h.clock.advance(86_400 + 1);
    h.user("bob");
    let before = trail(&h).len();
    assert!(before >= 2);
    let purged = block_on(h.auth.purge_expired()).expect("purged");
    assert!(purged >= 1);
    let left = trail(&h);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].kind, EventKind::UserCreated);
}

#[test]
fn refreshes_and_client_credentials_add_no_row() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let mut refresh = h.login(&app, "alice", None).refresh_token.expect("refresh");
    let before = trail(&h).len();
    for _ in 0..5 {
        let next = block_on(h.auth.refresh_grant(&app, &refresh, None)).expect("rotated");
        refresh = next.refresh_token.expect("successor");
    }
    let (service, _) = h.client(&[tessera_core::model::Grant::ClientCredentials], &[], false);
    block_on(h.auth.client_credentials_grant(&service, None)).expect("token");
    // Issuance is counted in metrics, not written a row per token.
    assert_eq!(trail(&h).len(), before + 1, "only the client's creation");
}
