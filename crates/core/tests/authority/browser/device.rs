//! The device authorization grant (RFC 8628): codes, polling (pending, slow_down, expiry,
//! denial), one redemption, tokens that say how the approving user signed in, and a second
//! factor when the client requires one.

use tessera_core::authority::{
    ACR_MFA, DEVICE_CODE_LIFETIME_SECS, DEVICE_POLL_INTERVAL_SECS, DeviceStart,
};
use tessera_core::model::{Actor, Client, ClientWeb, EventKind, EventQuery, Grant};
use tessera_core::{GrantError, NewClient};

use super::sign_in;
use crate::support::{Harness, block_on, decode};

fn device_client(h: &Harness, require_second_factor: bool) -> Client {
    let new = NewClient::new("tv app", &[Grant::DeviceCode, Grant::RefreshToken])
        .with_scopes(&["orders:read".to_owned(), "orders:write".to_owned()])
        .public(true)
        .with_web(ClientWeb {
            require_second_factor,
            ..ClientWeb::default()
        });
    block_on(h.auth.register_client(&new, &Actor::Operator))
        .expect("client")
        .0
}

fn start(h: &Harness, client: &Client, scope: Option<&str>) -> DeviceStart {
    block_on(h.auth.start_device_authorization(client, scope)).expect("started")
}

fn poll(h: &Harness, client: &Client, started: &DeviceStart) -> Result<(), GrantError> {
    block_on(h.auth.device_code_grant(client, &started.device_code, None)).map(|_| ())
}

#[test]
fn a_device_polls_until_its_user_allows_then_gets_tokens_once() {
    let h = Harness::new();
    h.user("alice");
    let tv = device_client(&h, false);
    let started = start(&h, &tv, Some("openid orders:read"));
    assert_eq!(started.expires_in, DEVICE_CODE_LIFETIME_SECS);
    assert_eq!(started.interval, DEVICE_POLL_INTERVAL_SECS);
    assert_eq!(started.user_code.len(), 9, "{}", started.user_code);
    let err = poll(&h, &tv, &started).expect_err("pending");
    assert!(matches!(err, GrantError::AuthorizationPending), "{err:?}");
    // Polling again at once is too fast; the interval then grows by five seconds.
    let err = poll(&h, &tv, &started).expect_err("fast");
    assert!(matches!(err, GrantError::SlowDown), "{err:?}");
    h.clock.advance(DEVICE_POLL_INTERVAL_SECS);
    let err = poll(&h, &tv, &started).expect_err("still too fast");
    assert!(
        matches!(err, GrantError::SlowDown),
        "the interval grew: {err:?}"
    );
    // Two slow_downs: the interval is 15 s now, counted from the last poll.
    h.clock.advance(DEVICE_POLL_INTERVAL_SECS + 10);
    let err = poll(&h, &tv, &started).expect_err("pending");
    assert!(matches!(err, GrantError::AuthorizationPending), "{err:?}");

    let browser = sign_in(&h, "alice");
    let typed = started.user_code.to_lowercase().replace('-', " ");
    let (request, client) = block_on(h.auth.device_request(&typed))
        .expect("store")
        .expect("the typed code finds the request");
    assert_eq!(client.id, tv.id);
    assert_eq!(request.scope.to_string(), "openid orders:read");
    assert!(block_on(h.auth.decide_device(&request, &browser.session, true)).expect("store"));
    assert!(
        !block_on(h.auth.decide_device(&request, &browser.session, false)).expect("store"),
        "decided once"
    );
    assert!(
        block_on(h.auth.device_request(&started.user_code))
            .expect("store")
            .is_none()
    );

    h.clock.advance(30);
    let tokens =
        block_on(h.auth.device_code_grant(&tv, &started.device_code, None)).expect("tokens");
    let (_, access) = decode(&tokens.access_token);
    assert_eq!(access["client_id"], tv.id.as_str());
    assert_eq!(access["scope"], "openid orders:read");
    let (_, id) = decode(tokens.id_token.as_deref().expect("an ID token for openid"));
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id["auth_time"], browser.session.auth_time.secs());
    assert!(tokens.refresh_token.is_some());
    h.clock.advance(30);
    let err = poll(&h, &tv, &started).expect_err("redeemed");
    assert!(matches!(err, GrantError::BadDeviceCode), "{err:?}");
    // Signing the browser out does not sign the device out.
    block_on(
        h.auth
            .end_browser_session(&browser.session, tessera_core::events::EndReason::Logout),
    )
    .expect("ended");
    let refresh = tokens.refresh_token.as_deref().expect("refresh");
    block_on(h.auth.refresh_grant(&tv, refresh, None)).expect("the device stays signed in");
    let query = EventQuery {
        kinds: vec![EventKind::DeviceDecided],
        ..EventQuery::default()
    };
    let decided = block_on(h.auth.events(&query)).expect("events");
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].detail.as_deref(), Some("allowed"));
}

#[test]
fn denied_expired_foreign_and_unknown_codes_are_refused() {
    let h = Harness::new();
    h.user("alice");
    let tv = device_client(&h, false);
    let other = device_client(&h, false);
    let denied = start(&h, &tv, None);
    let browser = sign_in(&h, "alice");
    let (request, _) = block_on(h.auth.device_request(&denied.user_code))
        .expect("store")
        .expect("found");
    assert!(block_on(h.auth.decide_device(&request, &browser.session, false)).expect("store"));
    let err = poll(&h, &tv, &denied).expect_err("denied");
    assert!(matches!(err, GrantError::AccessDenied), "{err:?}");

    let foreign = start(&h, &tv, None);
    let err = poll(&h, &other, &foreign).expect_err("another client's code");
    assert!(matches!(err, GrantError::BadDeviceCode), "{err:?}");
    let err = block_on(h.auth.device_code_grant(&tv, "not-a-code", None)).expect_err("unknown");
    assert!(matches!(err, GrantError::BadDeviceCode), "{err:?}");
    let err = block_on(h.auth.device_code_grant(&tv, &"x".repeat(500), None)).expect_err("long");
    assert!(matches!(err, GrantError::BadDeviceCode), "{err:?}");

    let late = start(&h, &tv, None);
    h.clock.advance(DEVICE_CODE_LIFETIME_SECS);
    assert!(
        block_on(h.auth.device_request(&late.user_code))
            .expect("store")
            .is_none()
    );
    let err = poll(&h, &tv, &late).expect_err("expired");
    assert!(matches!(err, GrantError::ExpiredToken), "{err:?}");

    for junk in ["", "BCDF", "AEIO-UAEI", "BCDF-GHJK-LMNP", "<script>"] {
        assert!(
            block_on(h.auth.device_request(junk))
                .expect("store")
                .is_none(),
            "{junk}"
        );
    }
}

#[test]
fn a_client_without_the_grant_or_with_a_wider_scope_gets_no_code() {
    let h = Harness::new();
    let app = h.app();
    let err = block_on(h.auth.start_device_authorization(&app, None)).expect_err("grant");
    assert!(
        matches!(err, GrantError::GrantNotAllowed(Grant::DeviceCode)),
        "{err:?}"
    );
    let tv = device_client(&h, false);
    let err = block_on(h.auth.start_device_authorization(&tv, Some("admin:all"))).expect_err("s");
    assert!(matches!(err, GrantError::Scope(_)), "{err:?}");
}

#[test]
fn a_client_that_requires_a_second_factor_needs_it_on_the_approving_session() {
    let h = Harness::new();
    h.user("alice");
    let strict = device_client(&h, true);
    let browser = sign_in(&h, "alice");
    let asks = block_on(h.auth.client_needs_second_factor(&strict, &browser.session));
    assert!(asks.expect("store"), "a password session is not enough");
    let mut stronger = browser.session.clone();
    stronger.acr = Some(ACR_MFA.to_owned());
    let asks = block_on(h.auth.client_needs_second_factor(&strict, &stronger));
    assert!(!asks.expect("store"));
}
