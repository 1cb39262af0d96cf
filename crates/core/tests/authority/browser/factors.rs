//! Second factors: enrolling an authenticator app, the second sign-in step (codes accepted
//! once, one step of skew, recovery codes spent once, wrong codes under the lock-out),
//! step-up for clients, roles and `acr_values`, `amr`/`acr` in tokens, and resets.

use std::time::Duration;

use tessera_core::authority::{
    ACR_MFA, ACR_PASSWORD, AuthorizeNext, FactorUsed, PasswordStep, RECOVERY_CODES, SignedIn,
};
use tessera_core::lockout::LockoutPolicy;
use tessera_core::model::{Actor, EventKind, EventQuery, Grant, User};
use tessera_core::store::LoginSessionStore;
use tessera_core::totp::{self, Hash};
use tessera_core::{AdminError, Clock, FactorError, GrantError, NewClient};

use super::{REDIRECT, Web, check, code_flow, finds, next, params, sign_in, signed_in, web_client};
use crate::support::{Harness, PASSWORD, block_on, config, decode};

/// The secret of a TOTP enrollment, decoded.
fn secret_of(text: &str) -> Vec<u8> {
    totp::base32_decode(text).expect("base32")
}

/// The code the app shows now.
fn code_now(h: &Harness, secret: &[u8]) -> String {
    totp::code_at(secret, h.clock.now(), Hash::Sha1).expect("code")
}

/// Enrolls `user` through the account page's steps; returns the secret and the recovery
/// codes. The clock moves on a step, so that the next code is fresh.
fn enroll(h: &Harness, user: &User) -> (Vec<u8>, Vec<String>) {
    let enrollment = block_on(h.auth.begin_totp(user)).expect("begin");
    let secret = secret_of(&enrollment.secret);
    assert!(
        enrollment.uri.starts_with("otpauth://totp/"),
        "{}",
        *enrollment.uri
    );
    let code = code_now(h, &secret);
    let codes = block_on(h.auth.confirm_totp(&user.id, &code, None)).expect("confirmed");
    h.clock.advance(totp::STEP_SECS);
    (secret, codes)
}

/// Signs `username` in with password and then `code`.
fn two_steps(h: &Harness, username: &str, code: &str) -> Result<SignedIn, FactorError> {
    let step = block_on(h.auth.sign_in(username, PASSWORD, None, None, None)).expect("password");
    let PasswordStep::SecondFactor(user) = step else {
        panic!("no second factor was asked for");
    };
    block_on(h.auth.sign_in_second_factor(&user, code, None, None, None))
}

fn events(h: &Harness, kind: EventKind) -> Vec<tessera_core::model::AuditEvent> {
    let query = EventQuery {
        kinds: vec![kind],
        ..EventQuery::default()
    };
    block_on(h.auth.events(&query)).expect("events")
}

#[test]
fn enrollment_needs_a_right_first_code_and_gives_ten_recovery_codes_once() {
    let h = Harness::new();
    let alice = h.user("alice");
    let elsewhere = sign_in(&h, "alice");
    let here = sign_in(&h, "alice");
    let enrollment = block_on(h.auth.begin_totp(&alice)).expect("begin");
    let secret = secret_of(&enrollment.secret);
    let pending = block_on(h.auth.factors_of(&alice.id)).expect("factors");
    assert!(pending.totp_pending && !pending.has_second_factor());
    // Not a factor yet: the password alone still signs in.
    signed_in(block_on(h.auth.sign_in("alice", PASSWORD, None, None, None)).expect("pwd"));

    let err = block_on(h.auth.confirm_totp(&alice.id, "000000", None)).expect_err("wrong");
    assert!(matches!(err, FactorError::WrongCode), "{err:?}");
    let again = block_on(h.auth.pending_totp(&alice))
        .expect("store")
        .expect("pending");
    assert_eq!(
        *again.secret, *enrollment.secret,
        "shown again after a wrong code"
    );

    let code = code_now(&h, &secret);
    let codes = block_on(
        h.auth
            .confirm_totp(&alice.id, &code, Some(&here.session.id)),
    )
    .expect("confirmed");
    assert_eq!(codes.len(), RECOVERY_CODES);
    for shown in &codes {
        assert_eq!(shown.len(), 11, "{shown}");
        assert_eq!(shown.as_bytes()[5], b'-', "{shown}");
    }
    let factors = block_on(h.auth.factors_of(&alice.id)).expect("factors");
    assert!(factors.has_second_factor() && !factors.totp_pending);
    assert_eq!(factors.recovery_codes_left, 10);
    // The other browser was signed out; the one that enrolled stays.
    assert!(!finds(&h, &elsewhere.cookie_secret));
    assert!(finds(&h, &here.cookie_secret));
    let added = events(&h, EventKind::FactorAdded);
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].detail.as_deref(), Some("totp"));
    assert_eq!(added[0].actor, Some(Actor::User(alice.id.clone())));
    // A second enrollment is refused while one is set up; confirming again finds nothing.
    let err = block_on(h.auth.begin_totp(&alice)).expect_err("already");
    assert!(matches!(err, FactorError::AlreadyEnrolled), "{err:?}");
    let err = block_on(h.auth.confirm_totp(&alice.id, &code, None)).expect_err("none");
    assert!(matches!(err, FactorError::NotEnrolling), "{err:?}");
}

#[test]
fn a_code_signs_in_once_with_one_step_of_skew_and_a_second_factor_in_amr() {
    let h = Harness::new();
    let alice = h.user("alice");
    let (secret, _) = enroll(&h, &alice);
    let code = code_now(&h, &secret);
    let session = two_steps(&h, "alice", &code).expect("signed in").session;
    assert_eq!(session.amr, ["pwd", "otp", "mfa"]);
    assert_eq!(session.acr.as_deref(), Some(ACR_MFA));
    // The same code again, even at once, is refused: it was used.
    let err = two_steps(&h, "alice", &code).expect_err("replayed");
    assert!(matches!(err, FactorError::WrongCode), "{err:?}");
    // The previous step's code still counts once the clock moved on (the app was slow)...
    h.clock.advance(totp::STEP_SECS);
    let late = totp::code_at(&secret, h.clock.now() + totp::STEP_SECS, Hash::Sha1).expect("c");
    two_steps(&h, "alice", &late).expect("a code one step ahead (phone clock fast)");
    // ...but once a later step was used, an earlier one never is.
    h.clock.advance(totp::STEP_SECS);
    let behind = totp::code_at(&secret, h.clock.now() - totp::STEP_SECS, Hash::Sha1).expect("c");
    let err = two_steps(&h, "alice", &behind).expect_err("earlier step");
    assert!(matches!(err, FactorError::WrongCode), "{err:?}");
    // Two steps away is outside the window.
    h.clock.advance(3 * totp::STEP_SECS);
    let old = totp::code_at(&secret, h.clock.now() - 2 * totp::STEP_SECS, Hash::Sha1).expect("c");
    let err = two_steps(&h, "alice", &old).expect_err("too old");
    assert!(matches!(err, FactorError::WrongCode), "{err:?}");
    for junk in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"] {
        let checked = h
            .auth
            .sign_in_second_factor(&alice.id, junk, None, None, None);
        let err = block_on(checked).expect_err("junk");
        assert!(
            matches!(err, FactorError::WrongCode | FactorError::Locked(_)),
            "{junk}"
        );
    }
}

#[test]
fn a_recovery_code_signs_in_once_in_any_case_and_with_or_without_its_dash() {
    let h = Harness::new();
    let alice = h.user("alice");
    let (_, codes) = enroll(&h, &alice);
    let typed = codes[0].replace('-', " ").to_uppercase();
    let signed = two_steps(&h, "alice", &typed).expect("recovery code");
    assert_eq!(signed.session.acr.as_deref(), Some(ACR_MFA));
    let err = two_steps(&h, "alice", &codes[0]).expect_err("spent");
    assert!(matches!(err, FactorError::WrongCode), "{err:?}");
    let left = block_on(h.auth.factors_of(&alice.id)).expect("factors");
    assert_eq!(left.recovery_codes_left, 9);
    let succeeded = events(&h, EventKind::LoginSucceeded);
    assert_eq!(
        succeeded.last().expect("event").detail.as_deref(),
        Some("recovery_code")
    );
    // New codes replace the old ones.
    let fresh = block_on(h.auth.regenerate_recovery_codes(&alice.id, None)).expect("new");
    let err = two_steps(&h, "alice", &codes[1]).expect_err("replaced");
    assert!(matches!(err, FactorError::WrongCode), "{err:?}");
    two_steps(&h, "alice", &fresh[1]).expect("a new one works");
    let used = block_on(h.auth.check_second_factor(&alice.id, &fresh[2], None, None));
    assert_eq!(used.expect("checked"), FactorUsed::RecoveryCode);
}

#[test]
fn wrong_codes_count_towards_the_lock_out_and_are_in_the_audit_trail() {
    let mut config = config();
    config.lockout = LockoutPolicy::new(2, Duration::from_secs(60), Duration::from_secs(60));
    let h = Harness::with_config(config);
    let alice = h.user("alice");
    let (secret, _) = enroll(&h, &alice);
    for _ in 0..2 {
        let err = two_steps(&h, "alice", "000000").expect_err("wrong");
        assert!(matches!(err, FactorError::WrongCode), "{err:?}");
    }
    // The second wrong code locked the account (the right password in between did not
    // reset the count): even the right code is refused, and so is the password.
    let right = code_now(&h, &secret);
    let user = alice.id.clone();
    let err = block_on(
        h.auth
            .sign_in_second_factor(&user, &right, None, None, None),
    )
    .expect_err("locked");
    assert!(matches!(err, FactorError::Locked(_)), "{err:?}");
    let err = block_on(h.auth.sign_in("alice", PASSWORD, None, None, None)).expect_err("locked");
    assert!(matches!(err, GrantError::Locked(_)), "{err:?}");
    let failed = events(&h, EventKind::LoginFailed);
    assert!(
        failed
            .iter()
            .all(|e| e.detail.as_deref() == Some("wrong_code"))
    );
    assert!(failed.len() >= 2);
    assert!(!events(&h, EventKind::LoginThrottled).is_empty());
}

#[test]
fn tokens_say_how_the_user_signed_in() {
    let h = Harness::new();
    let alice = h.user("alice");
    let bob = h.user("bob");
    let client = web_client(&h, Web::FIRST_PARTY);
    let password_only = sign_in(&h, "bob");
    let tokens = code_flow(&h, &client, &password_only.session);
    let (_, id) = decode(tokens.id_token.as_deref().expect("id token"));
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id["acr"], ACR_PASSWORD);
    let (_, access) = decode(&tokens.access_token);
    assert!(
        access.get("acr").is_none(),
        "no acr without a second factor"
    );
    let _ = bob;

    let (secret, _) = enroll(&h, &alice);
    let session = two_steps(&h, "alice", &code_now(&h, &secret))
        .expect("mfa")
        .session;
    let tokens = code_flow(&h, &client, &session);
    let (_, id) = decode(tokens.id_token.as_deref().expect("id token"));
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(id["acr"], ACR_MFA);
    let (_, access) = decode(&tokens.access_token);
    assert_eq!(access["acr"], ACR_MFA);
    // A refresh keeps what the sign-in was.
    let refreshed = block_on(h.auth.refresh_grant(
        &client,
        tokens.refresh_token.as_deref().expect("refresh token"),
        None,
    ))
    .expect("refreshed");
    let (_, id) = decode(refreshed.id_token.as_deref().expect("id token"));
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(id["sid"], session.id.as_str());
    let (_, access) = decode(&refreshed.access_token);
    assert_eq!(access["acr"], ACR_MFA);
}

#[test]
fn acr_values_a_client_or_a_role_step_a_password_session_up() {
    let h = Harness::new();
    let alice = h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let session = sign_in(&h, "alice").session;
    let mut asks = params(&client);
    asks.acr_values = Some(ACR_MFA.to_owned());
    // Without a factor, the user is sent to set one up; prompt=none cannot.
    assert_eq!(
        next(&h, &asks, Some(&session)),
        AuthorizeNext::SetUpSecondFactor
    );
    let mut silent = asks.clone();
    silent.prompt = Some("none".into());
    let (request, checked) = check(&h, &silent);
    let err = block_on(h.auth.authorize(&request, &checked, Some(&session), false))
        .expect_err("prompt=none");
    let response = super::refused(err);
    assert_eq!(response.param("error"), Some("interaction_required"));
    assert_eq!(response.redirect_uri, REDIRECT);

    let (secret, _) = block_on(async {
        let e = h.auth.begin_totp(&alice).await.expect("begin");
        let secret = secret_of(&e.secret);
        let code = totp::code_at(&secret, h.clock.now(), Hash::Sha1).expect("c");
        h.auth
            .confirm_totp(&alice.id, &code, Some(&session.id))
            .await
            .map(|c| (secret, c))
    })
    .expect("enrolled");
    h.clock.advance(totp::STEP_SECS);
    // With one, the password session is asked for it (step-up)...
    assert_eq!(next(&h, &asks, Some(&session)), AuthorizeNext::SecondFactor);
    // ...while a request without acr_values goes through on the password session.
    assert!(matches!(
        next(&h, &params(&client), Some(&session)),
        AuthorizeNext::Respond(_)
    ));
    let code = code_now(&h, &secret);
    let stepped =
        block_on(
            h.auth
                .sign_in_second_factor(&alice.id, &code, None, Some(&session), None),
        )
        .expect("stepped up");
    assert_eq!(stepped.session.id, session.id, "the sid is kept");
    assert_eq!(stepped.session.amr, ["pwd", "otp", "mfa"]);
    assert!(matches!(
        next(&h, &asks, Some(&stepped.session)),
        AuthorizeNext::Respond(_)
    ));

    // A client that requires a second factor asks too.
    let strict = NewClient::new("strict app", &[Grant::AuthorizationCode])
        .with_scopes(&["orders:read".to_owned(), "orders:write".to_owned()])
        .with_web(tessera_core::model::ClientWeb {
            redirect_uris: vec![REDIRECT.to_owned()],
            first_party: true,
            require_second_factor: true,
            ..Default::default()
        });
    let strict = block_on(h.auth.register_client(&strict, &Actor::Operator))
        .expect("client")
        .0;
    h.user("carol");
    let carols = sign_in(&h, "carol").session;
    assert_eq!(
        next(&h, &params(&strict), Some(&carols)),
        AuthorizeNext::SetUpSecondFactor
    );
    assert!(matches!(
        next(&h, &params(&client), Some(&carols)),
        AuthorizeNext::Respond(_)
    ));
}

#[test]
fn a_role_asks_only_when_configured_and_the_console_asks_administrators_by_default() {
    let h = Harness::new();
    h.user("carol");
    block_on(
        h.auth
            .set_user_roles("carol", &["admin".to_owned()], &Actor::Operator),
    )
    .expect("admin");
    let carol = block_on(h.auth.user_factors("carol")).expect("carol").0;
    assert!(!h.auth.role_requires_second_factor(&carol));
    assert!(h.auth.console_requires_second_factor(&carol));
    let client = web_client(&h, Web::FIRST_PARTY);
    let session = sign_in(&h, "carol").session;
    assert!(matches!(
        next(&h, &params(&client), Some(&session)),
        AuthorizeNext::Respond(_)
    ));

    let mut config = config();
    config.second_factor_roles = vec!["admin".to_owned()];
    config.console_second_factor = false;
    let h = Harness::with_config(config);
    h.user("carol");
    block_on(
        h.auth
            .set_user_roles("carol", &["admin".to_owned()], &Actor::Operator),
    )
    .expect("admin");
    let carol = block_on(h.auth.user_factors("carol")).expect("carol").0;
    assert!(h.auth.role_requires_second_factor(&carol));
    assert!(
        h.auth.console_requires_second_factor(&carol),
        "the role asks there too"
    );
    let client = web_client(&h, Web::FIRST_PARTY);
    let session = sign_in(&h, "carol").session;
    assert_eq!(
        next(&h, &params(&client), Some(&session)),
        AuthorizeNext::SetUpSecondFactor
    );
    let bob = h.user("bob");
    assert!(!h.auth.console_requires_second_factor(&bob));
}

#[test]
fn the_password_grant_refuses_an_account_with_a_second_factor() {
    let h = Harness::new();
    let alice = h.user("alice");
    let app = h.app();
    h.login(&app, "alice", None);
    enroll(&h, &alice);
    let err = block_on(h.auth.password_grant(&app, "alice", PASSWORD, None)).expect_err("mfa");
    assert!(matches!(err, GrantError::SecondFactorRequired), "{err:?}");
    // A wrong password is still just a wrong password.
    let err = block_on(h.auth.password_grant(&app, "alice", "wrong one!", None)).expect_err("pw");
    assert!(matches!(err, GrantError::BadCredentials), "{err:?}");
}

#[test]
fn an_operator_enrolls_and_resets_factors_and_every_session_ends() {
    let h = Harness::new();
    let alice = h.user("alice");
    let browser = sign_in(&h, "alice");
    let by = Actor::User("u_admin".into());
    let uri = block_on(h.auth.enroll_totp_for("ALICE", &by)).expect("enrolled");
    assert!(
        uri.starts_with("otpauth://totp/") && uri.contains("secret="),
        "{}",
        *uri
    );
    assert!(
        !finds(&h, &browser.cookie_secret),
        "sessions end on enrollment"
    );
    let err = block_on(h.auth.enroll_totp_for("alice", &by)).expect_err("twice");
    assert!(matches!(err, AdminError::Conflict(_)), "{err:?}");
    let (_, factors) = block_on(h.auth.user_factors("alice")).expect("factors");
    assert!(factors.has_second_factor());
    // The first code of the app is accepted (no code confirmed it).
    let secret = uri
        .split("secret=")
        .nth(1)
        .expect("secret")
        .split('&')
        .next()
        .expect("s");
    let code = code_now(&h, &secret_of(secret));
    let session = two_steps(&h, "alice", &code).expect("signed in").session;

    assert!(block_on(h.auth.reset_factors("alice", &by)).expect("reset"));
    let gone = block_on(h.store().login_session_by_id(&session.id))
        .expect("store")
        .expect("kept");
    assert!(
        gone.ended_at.is_some(),
        "the reset ends the user's sessions"
    );
    assert!(!block_on(h.auth.reset_factors("alice", &by)).expect("nothing left"));
    signed_in(block_on(h.auth.sign_in("alice", PASSWORD, None, None, None)).expect("pwd"));
    let removed = events(&h, EventKind::FactorRemoved);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].actor, Some(by.clone()));
    assert_eq!(removed[0].detail.as_deref(), Some("all"));
    let err = block_on(h.auth.reset_factors("nobody", &by)).expect_err("unknown");
    assert!(matches!(err, AdminError::NotFound(_)), "{err:?}");
    let _ = alice;
}

#[test]
fn a_challenge_opens_only_in_its_browser_and_for_five_minutes() {
    let h = Harness::new();
    let alice = h.user("alice");
    let sealed = h
        .auth
        .seal_challenge(&alice.id, "binding-a")
        .expect("sealed");
    assert_eq!(
        h.auth.open_challenge("binding-a", &sealed),
        Some(alice.id.clone())
    );
    assert_eq!(h.auth.open_challenge("binding-b", &sealed), None);
    assert_eq!(h.auth.open_challenge("binding-a", "junk"), None);
    h.clock.advance(301);
    assert_eq!(h.auth.open_challenge("binding-a", &sealed), None, "expired");
}

#[test]
fn a_factor_change_ends_refresh_families_too_but_the_enrolling_browsers() {
    let h = Harness::new();
    let alice = h.user("alice");
    let app = h.app();
    let by_password = h.login(&app, "alice", None);
    let client = web_client(&h, Web::FIRST_PARTY);
    let here = sign_in(&h, "alice");
    let from_here = code_flow(&h, &client, &here.session);
    let enrollment = block_on(h.auth.begin_totp(&alice)).expect("begin");
    let code = code_now(&h, &secret_of(&enrollment.secret));
    block_on(
        h.auth
            .confirm_totp(&alice.id, &code, Some(&here.session.id)),
    )
    .expect("confirmed");
    let refresh = |token: &Option<String>, client| {
        block_on(
            h.auth
                .refresh_grant(client, token.as_deref().expect("refresh"), None),
        )
    };
    let err = refresh(&by_password.refresh_token, &app).expect_err("ended");
    assert!(matches!(err, GrantError::BadRefreshToken), "{err:?}");
    refresh(&from_here.refresh_token, &client).expect("the enrolling browser's family stays");
}
