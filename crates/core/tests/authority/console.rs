//! What the operator console does beyond creating and removing: roles, password reset
//! links, an account's sessions, and changing a client.

use tessera_core::authority::{ClientChanges, RESET_LINK_LIFETIME};
use tessera_core::model::{Actor, EventKind, EventQuery, Grant};
use tessera_core::{AccountError, AdminError, Clock};

use crate::support::{Harness, PASSWORD, block_on, decode};

fn admin() -> Actor {
    Actor::User("u_admin".into())
}

fn events_of(h: &Harness, kind: EventKind) -> Vec<tessera_core::model::AuditEvent> {
    let query = EventQuery {
        kinds: vec![kind],
        ..EventQuery::default()
    };
    block_on(h.auth.events(&query)).expect("events")
}

#[test]
fn roles_change_for_tokens_issued_afterwards_and_an_admin_is_kept() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let first = h.login(&app, "alice", None);
    let roles = vec![
        "reader".to_owned(),
        "writer".to_owned(),
        "reader".to_owned(),
    ];
    block_on(h.auth.set_user_roles("ALICE", &roles, &admin())).expect("roles");
    let refreshed = block_on(h.auth.refresh_grant(
        &app,
        first.refresh_token.as_deref().expect("refresh"),
        None,
    ))
    .expect("refresh");
    let (_, claims) = decode(&refreshed.access_token);
    assert_eq!(claims["roles"], serde_json::json!(["reader", "writer"]));
    let updated = events_of(&h, EventKind::UserUpdated);
    assert_eq!(
        updated.last().expect("event").detail.as_deref(),
        Some("roles")
    );
    assert_eq!(updated.last().expect("event").actor, Some(admin()));

    for bad in [vec!["two words".to_owned()], vec!["r".to_owned(); 65]] {
        let err = block_on(h.auth.set_user_roles("alice", &bad, &admin())).expect_err("bad");
        assert!(matches!(err, AdminError::Invalid(_)), "{err}");
    }
    let err = block_on(h.auth.set_user_roles("nobody", &[], &admin())).expect_err("unknown");
    assert!(matches!(err, AdminError::NotFound(_)));

    let only = ["admin".to_owned()];
    block_on(h.auth.set_user_roles("alice", &only, &admin())).expect("alice admin");
    let err = block_on(h.auth.set_user_roles("alice", &[], &admin())).expect_err("last");
    assert!(matches!(err, AdminError::LastAdmin));
    h.user("bob");
    block_on(h.auth.set_user_roles("bob", &only, &admin())).expect("bob admin");
    block_on(h.auth.set_user_roles("alice", &[], &admin())).expect("bob is left");
}

#[test]
fn a_reset_link_sets_a_password_once_and_ends_every_session() {
    let h = Harness::new();
    h.user("alice");
    let app = h.app();
    let tokens = h.login(&app, "alice", None);
    let link = block_on(h.auth.password_reset_link("alice", &admin())).expect("link");
    assert_eq!(
        link.expires_at.secs() - h.clock.now(),
        i64::try_from(RESET_LINK_LIFETIME.as_secs()).expect("secs")
    );
    // Making the link changes nothing yet.
    block_on(h.auth.password_grant(&app, "alice", PASSWORD, None)).expect("old password");
    let user = block_on(h.auth.reset_link_user(&link.token)).expect("read");
    assert_eq!(user.expect("works").username, "alice");

    let err = block_on(h.auth.reset_password(&link.token, "short")).expect_err("weak");
    assert!(matches!(err, AccountError::BadPassword(_)), "{err}");
    block_on(h.auth.reset_password(&link.token, "a brand new passphrase")).expect("reset");
    block_on(
        h.auth
            .password_grant(&app, "alice", "a brand new passphrase", None),
    )
    .expect("new password");
    block_on(h.auth.password_grant(&app, "alice", PASSWORD, None)).expect_err("old one");
    let refresh = tokens.refresh_token.as_deref().expect("refresh");
    block_on(h.auth.refresh_grant(&app, refresh, None)).expect_err("sessions ended");

    // Used once: the password it covered is gone.
    assert!(
        block_on(h.auth.reset_link_user(&link.token))
            .expect("read")
            .is_none()
    );
    let err = block_on(
        h.auth
            .reset_password(&link.token, "another passphrase here"),
    )
    .expect_err("used");
    assert!(matches!(err, AccountError::ResetLinkInvalid));
    let changed = events_of(&h, EventKind::PasswordChanged);
    let last = changed.last().expect("event");
    assert_eq!(last.detail.as_deref(), Some("reset_link"));
    assert_eq!(events_of(&h, EventKind::PasswordResetIssued).len(), 1);
}

#[test]
fn a_reset_link_that_is_expired_altered_or_foreign_does_not_work() {
    let h = Harness::new();
    let alice = h.user("alice");
    let bob = h.user("bob");
    let link = block_on(h.auth.password_reset_link("alice", &admin())).expect("link");
    let (id, rest) = link.token.split_once('.').expect("id");
    let (expiry, mac) = rest.split_once('.').expect("expiry");
    let later: i64 = expiry.parse::<i64>().expect("secs") + 3600;
    let flipped = format!(
        "{}{}",
        if mac.starts_with('A') { "B" } else { "A" },
        &mac[1..]
    );
    let forged = [
        format!("{}.{expiry}.{mac}", bob.id),
        format!("{id}.{later}.{mac}"),
        format!("{id}.{expiry}.{flipped}"),
        format!("{id}.{expiry}"),
        String::new(),
        "x".repeat(300),
    ];
    for token in &forged {
        let found = block_on(h.auth.reset_link_user(token)).expect("read");
        assert!(found.is_none(), "{token}");
        let err =
            block_on(h.auth.reset_password(token, "a brand new passphrase")).expect_err("refused");
        assert!(matches!(err, AccountError::ResetLinkInvalid), "{token}");
    }
    assert_eq!(alice.id.as_str(), id);
    // Another deployment (another master key, another store) opens nothing with it.
    let other = Harness::new();
    assert_ne!(other.master_text(), h.master_text(), "another deployment");
    assert!(
        block_on(other.auth.reset_link_user(&link.token))
            .expect("read")
            .is_none()
    );

    h.clock
        .advance(i64::try_from(RESET_LINK_LIFETIME.as_secs()).expect("secs"));
    assert!(
        block_on(h.auth.reset_link_user(&link.token))
            .expect("read")
            .is_none()
    );
}

#[test]
fn an_administrator_ends_one_session_or_all_of_an_account() {
    let h = Harness::new();
    h.user("alice");
    h.user("bob");
    let app = h.app();
    let one = h.login(&app, "alice", None);
    let two = h.login(&app, "alice", None);
    let bobs = h.login(&app, "bob", None);
    let sessions = block_on(h.auth.user_sessions("alice")).expect("sessions");
    assert_eq!(sessions.families.len(), 2);
    assert!(sessions.browsers.is_empty());
    let bob_family = block_on(h.auth.user_sessions("bob")).expect("bob").families[0]
        .id
        .to_string();
    // Another account's session is not this account's to end.
    let err = block_on(h.auth.end_user_session("alice", &bob_family, &admin())).expect_err("bob");
    assert!(matches!(err, AdminError::NotFound(_)));
    let err = block_on(h.auth.end_user_session("alice", "s_nothing", &admin())).expect_err("none");
    assert!(matches!(err, AdminError::NotFound(_)));

    let first = sessions.families[0].id.to_string();
    block_on(h.auth.end_user_session("alice", &first, &admin())).expect("ended");
    let err = block_on(h.auth.end_user_session("alice", &first, &admin())).expect_err("again");
    assert!(matches!(err, AdminError::NotFound(_)));
    let live = |t: &tessera_core::TokenResponse| {
        block_on(
            h.auth
                .refresh_grant(&app, t.refresh_token.as_deref().expect("rt"), None),
        )
        .is_ok()
    };
    assert_eq!(
        [live(&one), live(&two)].iter().filter(|l| **l).count(),
        1,
        "one family ended"
    );
    let ended = block_on(h.auth.end_user_sessions("alice", &admin())).expect("all");
    assert_eq!(ended, 1);
    assert!(
        block_on(h.auth.user_sessions("alice"))
            .expect("none")
            .families
            .is_empty()
    );
    assert!(live(&bobs), "bob's session goes on");
    let trail = events_of(&h, EventKind::SessionEnded);
    assert_eq!(trail.len(), 2);
    assert!(trail.iter().all(|e| e.actor == Some(admin())));
}

#[test]
fn a_client_is_changed_under_the_rules_of_registration_and_gets_new_secrets() {
    let h = Harness::new();
    let (client, secret) = h.client(&[Grant::ClientCredentials], &["orders:read"], false);
    let secret = secret.expect("secret");
    let mut changes = ClientChanges::default();
    changes.name = Some("renamed".into());
    changes.grants = Some(vec![
        Grant::AuthorizationCode,
        Grant::RefreshToken,
        Grant::AuthorizationCode,
    ]);
    changes.scopes = Some(vec!["openid".into(), "profile".into()]);
    changes.redirect_uris = Some(vec!["https://app.example.test/cb".into()]);
    let changed = block_on(h.auth.update_client(&client.id, changes, &admin())).expect("update");
    assert_eq!(changed.name, "renamed");
    assert_eq!(
        changed.grants,
        [Grant::AuthorizationCode, Grant::RefreshToken]
    );
    assert_eq!(
        changed.audiences, client.audiences,
        "untouched settings stay"
    );
    assert_eq!(
        block_on(h.auth.client(&client.id)).expect("stored"),
        changed
    );
    block_on(h.auth.authenticate_client(&client.id, Some(&secret))).expect("same secret");
    let updated = events_of(&h, EventKind::ClientUpdated);
    assert_eq!(
        updated[0].detail.as_deref(),
        Some("name grants scopes redirect_uris")
    );

    let with = |edit: &dyn Fn(&mut ClientChanges)| {
        let mut changes = ClientChanges::default();
        edit(&mut changes);
        changes
    };
    let refused = [
        with(&|c| c.redirect_uris = Some(vec![])),
        with(&|c| c.grants = Some(vec![])),
        with(&|c| c.redirect_uris = Some(vec!["http://evil.example/cb".into()])),
        with(&|c| c.scopes = Some(vec!["bad\"scope".into()])),
        with(&|c| c.name = Some(" ".into())),
    ];
    for changes in refused {
        let err = block_on(h.auth.update_client(&client.id, changes.clone(), &admin()))
            .expect_err("refused");
        assert!(matches!(err, AdminError::Invalid(_)), "{changes:?}: {err}");
    }
    assert_eq!(block_on(h.auth.client(&client.id)).expect("kept"), changed);
    let err = block_on(
        h.auth
            .update_client("c_nobody", ClientChanges::default(), &admin()),
    )
    .expect_err("unknown");
    assert!(matches!(err, AdminError::NotFound(_)));

    let new = block_on(h.auth.rotate_client_secret(&client.id, &admin())).expect("rotate");
    assert_ne!(new, secret);
    block_on(h.auth.authenticate_client(&client.id, Some(&secret))).expect_err("old secret");
    block_on(h.auth.authenticate_client(&client.id, Some(&new))).expect("new secret");
    let (public, _) = h.client(&[Grant::Password], &[], true);
    let err = block_on(h.auth.rotate_client_secret(&public.id, &admin())).expect_err("public");
    assert!(matches!(err, AdminError::Invalid(_)));
    let updated = events_of(&h, EventKind::ClientUpdated);
    assert_eq!(
        updated.last().expect("event").detail.as_deref(),
        Some("secret")
    );
}

#[test]
fn a_client_change_that_changes_nothing_records_nothing() {
    let h = Harness::new();
    let (client, _) = h.client(&[Grant::ClientCredentials], &["orders:read"], false);
    let mut same = ClientChanges::default();
    same.name = Some(client.name.clone());
    same.grants = Some(client.grants.clone());
    same.scopes = Some(client.scopes.clone());
    same.audiences = Some(client.audiences.clone());
    let kept = block_on(h.auth.update_client(&client.id, same, &admin())).expect("update");
    assert_eq!(kept, client);
    assert!(events_of(&h, EventKind::ClientUpdated).is_empty());
}
