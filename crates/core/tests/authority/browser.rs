//! Browser sign-in: the authorization endpoint's rules, the code grant, sign-in sessions and
//! what ends them, RP-initiated and back-channel logout, and the state a browser carries.

mod authorize;
mod code;
mod device;
mod ending;
mod factors;
mod logout;
mod signin;
mod state;

use tessera_core::authority::{
    AuthorizationParams, AuthorizationRequest, AuthorizationResponse, AuthorizeNext, PasswordStep,
    SignedIn,
};
use tessera_core::error::AuthorizeError;
use tessera_core::model::Actor;
use tessera_core::model::{Client, ClientWeb, Grant, LoginSession, LogoutNotice, Timestamp};
use tessera_core::store::OutboxStore;
use tessera_core::{Clock, NewClient, TokenResponse};

use crate::support::{Harness, PASSWORD, block_on};

/// The redirect URI every test client registers.
const REDIRECT: &str = "https://app.example.test/callback";
/// A loopback redirect URI (a native app), registered without a port.
const LOOPBACK: &str = "http://127.0.0.1/callback";
/// Where a test client may be sent after logout.
const POST_LOGOUT: &str = "https://app.example.test/signed-out";
/// A back-channel logout receiver.
const BACKCHANNEL: &str = "https://app.example.test/backchannel-logout";
/// The PKCE pair of RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The `state` and `nonce` of every request.
const STATE: &str = "st-123";
const NONCE: &str = "n-456";

/// How a test client is set up for the browser.
#[derive(Clone, Copy, Default)]
struct Web {
    first_party: bool,
    backchannel: bool,
}

impl Web {
    const FIRST_PARTY: Self = Self {
        first_party: true,
        backchannel: false,
    };
    const THIRD_PARTY: Self = Self {
        first_party: false,
        backchannel: false,
    };
    const NOTIFIED: Self = Self {
        first_party: true,
        backchannel: true,
    };
}

/// A confidential client with the code and refresh grants, two scopes, [`REDIRECT`],
/// [`LOOPBACK`] and [`POST_LOGOUT`].
fn web_client(h: &Harness, web: Web) -> Client {
    client_with(h, &[Grant::AuthorizationCode, Grant::RefreshToken], web)
}

fn client_with(h: &Harness, grants: &[Grant], web: Web) -> Client {
    let settings = ClientWeb {
        redirect_uris: vec![REDIRECT.to_owned(), LOOPBACK.to_owned()],
        post_logout_redirect_uris: vec![POST_LOGOUT.to_owned()],
        backchannel_logout_uri: web.backchannel.then(|| BACKCHANNEL.to_owned()),
        first_party: web.first_party,
        ..ClientWeb::default()
    };
    let new = NewClient::new("web app", grants)
        .with_scopes(&["orders:read".to_owned(), "orders:write".to_owned()])
        .with_web(settings);
    block_on(h.auth.register_client(&new, &Actor::Operator))
        .expect("client registered")
        .0
}

/// A valid request of `client`: code, PKCE S256, `openid orders:read`, state and nonce.
fn params(client: &Client) -> AuthorizationParams {
    let mut params = AuthorizationParams::default();
    params.response_type = Some("code".into());
    params.client_id = Some(client.id.to_string());
    params.redirect_uri = Some(REDIRECT.into());
    params.scope = Some("openid orders:read".into());
    params.state = Some(STATE.into());
    params.nonce = Some(NONCE.into());
    params.code_challenge = Some(CHALLENGE.into());
    params.code_challenge_method = Some("S256".into());
    params
}

/// Checks a request that must pass.
fn check(h: &Harness, params: &AuthorizationParams) -> (AuthorizationRequest, Client) {
    block_on(h.auth.check_authorization(params)).expect("a valid request")
}

/// The answer sent to the client for a refused request.
fn refused(err: AuthorizeError) -> AuthorizationResponse {
    match err {
        AuthorizeError::Redirect(response) => response,
        other => panic!("expected an error for the client, got {other:?}"),
    }
}

/// Checks that `response` is `error` sent to [`REDIRECT`] with our `iss` and the `state`.
fn assert_error(response: &AuthorizationResponse, error: &str) {
    assert_eq!(response.param("error"), Some(error), "{response:?}");
    assert_eq!(response.redirect_uri, REDIRECT);
    assert_eq!(response.param("iss"), Some(crate::support::ISSUER));
    assert_eq!(response.param("state"), Some(STATE));
    assert!(response.param("code").is_none());
}

/// A browser that signs `username` in afresh.
fn sign_in(h: &Harness, username: &str) -> SignedIn {
    signed_in(block_on(h.auth.sign_in(username, PASSWORD, None, None, None)).expect("signed in"))
}

/// The session of a password step that needed no second factor.
fn signed_in(step: PasswordStep) -> SignedIn {
    match step {
        PasswordStep::SignedIn(signed_in) => signed_in,
        PasswordStep::SecondFactor(user) => panic!("{user} was asked for a second factor"),
    }
}

/// What `authorize` answers for `params` in `session` (not right after a sign-in).
fn next(
    h: &Harness,
    params: &AuthorizationParams,
    session: Option<&LoginSession>,
) -> AuthorizeNext {
    let (request, client) = check(h, params);
    block_on(h.auth.authorize(&request, &client, session, false)).expect("authorize")
}

/// The code `authorize` issues for `params` in `session` (the client needs no consent).
fn code_for(h: &Harness, params: &AuthorizationParams, session: &LoginSession) -> String {
    match next(h, params, Some(session)) {
        AuthorizeNext::Respond(response) => response.param("code").expect("a code").to_owned(),
        other => panic!("expected a code, got {other:?}"),
    }
}

/// Exchanges a code issued for [`params`] of `client`.
fn exchange(h: &Harness, client: &Client, code: &str) -> TokenResponse {
    block_on(
        h.auth
            .code_grant(client, code, Some(REDIRECT), Some(VERIFIER)),
    )
    .expect("exchanged")
}

/// Signs `client` in through `session` with the code flow.
fn code_flow(h: &Harness, client: &Client, session: &LoginSession) -> TokenResponse {
    let code = code_for(h, &params(client), session);
    exchange(h, client, &code)
}

/// The back-channel logout notices waiting for delivery.
fn pending(h: &Harness) -> Vec<LogoutNotice> {
    block_on(h.store().pending_logout_notices()).expect("store")
}

/// True when the browser session with this cookie secret is still found.
fn finds(h: &Harness, cookie_secret: &str) -> bool {
    block_on(h.auth.browser_session(cookie_secret))
        .expect("store")
        .is_some()
}

/// The test clock's time.
fn now(h: &Harness) -> Timestamp {
    Timestamp::from_secs(h.clock.now())
}
