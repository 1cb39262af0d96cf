//! The authorization endpoint: which requests get an error page, which get an error at the
//! client, and what a valid request needs next (a sign-in, a consent, or a code).

use tessera_core::authority::{AuthorizeNext, ResponseMode};
use tessera_core::error::AuthorizeError;
use tessera_core::model::Actor;
use tessera_core::model::{ClientWeb, Grant};
use tessera_core::scope::Scope;

use super::{
    CHALLENGE, LOOPBACK, REDIRECT, STATE, Web, assert_error, check, client_with, next, params,
    refused, sign_in, web_client,
};
use crate::support::{Harness, ISSUER, block_on};

/// The error `check_authorization` answers for `params`.
fn refusal(h: &Harness, params: &tessera_core::authority::AuthorizationParams) -> AuthorizeError {
    block_on(h.auth.check_authorization(params)).expect_err("refused")
}

#[test]
fn an_unknown_or_missing_client_gets_an_error_page_and_no_redirect() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    let mut unknown = params(&client);
    unknown.client_id = Some("c_unknown".into());
    assert!(matches!(refusal(&h, &unknown), AuthorizeError::Page(_)));
    let mut missing = params(&client);
    missing.client_id = None;
    assert!(matches!(refusal(&h, &missing), AuthorizeError::Page(_)));
}

#[test]
fn an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    for uri in [
        None,
        Some("https://evil.example.test/callback"),
        Some("https://app.example.test/callback/"),
        Some("https://app.example.test/callback?next=/admin"),
        Some("https://app.example.test/other"),
        Some("https://APP.example.test/callback"),
    ] {
        let mut bad = params(&client);
        bad.redirect_uri = uri.map(str::to_owned);
        // Even with other mistakes, nothing may be sent to an untrusted URI.
        bad.response_type = Some("token".into());
        let err = refusal(&h, &bad);
        assert!(matches!(err, AuthorizeError::Page(_)), "{uri:?}: {err:?}");
    }
}

#[test]
fn a_loopback_redirect_uri_matches_on_any_port_and_nothing_else_may_differ() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    let mut native = params(&client);
    native.redirect_uri = Some("http://127.0.0.1:51234/callback".into());
    let (request, _) = check(&h, &native);
    // The response goes to the port the app listens on.
    assert_eq!(request.redirect_uri, "http://127.0.0.1:51234/callback");
    let mut plain = params(&client);
    plain.redirect_uri = Some(LOOPBACK.into());
    check(&h, &plain);
    for uri in [
        "http://127.0.0.1:51234/other",
        "http://127.0.0.1:51234/callback?x=1",
        "http://127.0.0.2:51234/callback",
        "http://localhost:51234/callback",
        "https://127.0.0.1:51234/callback",
    ] {
        let mut other = params(&client);
        other.redirect_uri = Some(uri.into());
        let err = refusal(&h, &other);
        assert!(matches!(err, AuthorizeError::Page(_)), "{uri}: {err:?}");
    }
}

#[test]
fn pkce_s256_is_required_and_plain_is_refused_at_the_client() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    let mut cases = Vec::new();
    let mut no_challenge = params(&client);
    no_challenge.code_challenge = None;
    cases.push(no_challenge);
    let mut no_method = params(&client);
    no_method.code_challenge_method = None;
    cases.push(no_method);
    let mut plain = params(&client);
    plain.code_challenge_method = Some("plain".into());
    cases.push(plain);
    let mut other_method = params(&client);
    other_method.code_challenge_method = Some("S512".into());
    cases.push(other_method);
    let mut short = params(&client);
    short.code_challenge = Some(CHALLENGE[..42].into());
    cases.push(short);
    let mut bad_chars = params(&client);
    bad_chars.code_challenge = Some(format!("{}+", &CHALLENGE[..42]));
    cases.push(bad_chars);
    for case in cases {
        assert_error(&refused(refusal(&h, &case)), "invalid_request");
    }
}

#[test]
fn only_response_type_code_is_supported() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    let mut token = params(&client);
    token.response_type = Some("token".into());
    assert_error(&refused(refusal(&h, &token)), "unsupported_response_type");
    let mut hybrid = params(&client);
    hybrid.response_type = Some("code id_token".into());
    assert_error(&refused(refusal(&h, &hybrid)), "unsupported_response_type");
    let mut missing = params(&client);
    missing.response_type = None;
    assert_error(&refused(refusal(&h, &missing)), "invalid_request");
}

#[test]
fn request_objects_are_refused_as_request_not_supported() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    let mut by_value = params(&client);
    by_value.request = Some("eyJhbGciOiJub25lIn0.e30.".into());
    assert_error(&refused(refusal(&h, &by_value)), "request_not_supported");
    let mut by_reference = params(&client);
    by_reference.request_uri = Some("https://app.example.test/request.jwt".into());
    assert_error(
        &refused(refusal(&h, &by_reference)),
        "request_not_supported",
    );
}

#[test]
fn an_unknown_prompt_or_a_bad_max_age_is_an_invalid_request() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    for prompt in ["bogus", "none login", "none consent", "login  unknown"] {
        let mut bad = params(&client);
        bad.prompt = Some(prompt.into());
        assert_error(&refused(refusal(&h, &bad)), "invalid_request");
    }
    for max_age in ["-1", "ten", "1.5", ""] {
        let mut bad = params(&client);
        bad.max_age = Some(max_age.into());
        assert_error(&refused(refusal(&h, &bad)), "invalid_request");
    }
    let mut mode = params(&client);
    mode.response_mode = Some("fragment".into());
    assert_error(&refused(refusal(&h, &mode)), "invalid_request");
    let mut good = params(&client);
    good.prompt = Some("login consent".into());
    good.max_age = Some("300".into());
    let (request, _) = check(&h, &good);
    assert!(request.prompt.login && request.prompt.consent && !request.prompt.none);
    assert_eq!(request.max_age, Some(300));
}

#[test]
fn a_scope_beyond_the_clients_is_invalid_scope_but_openid_is_always_allowed() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    let mut wide = params(&client);
    wide.scope = Some("openid orders:read admin".into());
    assert_error(&refused(refusal(&h, &wide)), "invalid_scope");
    let (request, _) = check(&h, &params(&client));
    assert_eq!(
        request.scope,
        Scope::parse("openid orders:read").expect("scope")
    );
    // No scope asked: every scope the client may have.
    let mut none = params(&client);
    none.scope = None;
    let (request, _) = check(&h, &none);
    assert_eq!(
        request.scope,
        Scope::parse("orders:read orders:write").expect("scope")
    );
}

#[test]
fn a_client_without_the_code_grant_is_unauthorized_client() {
    let h = Harness::new();
    let client = client_with(
        &h,
        &[Grant::Password, Grant::RefreshToken],
        Web::FIRST_PARTY,
    );
    assert_error(
        &refused(refusal(&h, &params(&client))),
        "unauthorized_client",
    );
}

#[test]
fn registration_allows_only_safe_redirect_and_logout_uris() {
    let h = Harness::new();
    let register = |web: ClientWeb, grants: &[Grant]| {
        let new = tessera_core::NewClient::new("web app", grants).with_web(web);
        block_on(h.auth.register_client(&new, &Actor::Operator))
    };
    let code = [Grant::AuthorizationCode];
    for uri in [
        "http://app.example.test/callback",
        "https://app.example.test/callback#frag",
        "/callback",
        "javascript:alert(1)",
        "custom:/callback",
    ] {
        let web = ClientWeb {
            redirect_uris: vec![uri.to_owned()],
            ..ClientWeb::default()
        };
        assert!(register(web, &code).is_err(), "redirect URI {uri}");
    }
    assert!(
        register(ClientWeb::default(), &code).is_err(),
        "the code grant needs a redirect URI"
    );
    let bad_backchannel = ClientWeb {
        redirect_uris: vec![REDIRECT.to_owned()],
        backchannel_logout_uri: Some("http://app.example.test/logout".to_owned()),
        ..ClientWeb::default()
    };
    assert!(register(bad_backchannel, &code).is_err());
    let bad_origin = ClientWeb {
        redirect_uris: vec![REDIRECT.to_owned()],
        allowed_origins: vec!["https://app.example.test/path".to_owned()],
        ..ClientWeb::default()
    };
    assert!(register(bad_origin, &code).is_err());
    let good = ClientWeb {
        redirect_uris: vec![
            REDIRECT.to_owned(),
            "http://[::1]/cb".to_owned(),
            "com.example.app:/oauth".to_owned(),
        ],
        post_logout_redirect_uris: vec!["https://app.example.test/bye".to_owned()],
        backchannel_logout_uri: Some("http://localhost:8080/logout".to_owned()),
        first_party: false,
        allowed_origins: vec!["http://localhost:3000/".to_owned()],
        ..ClientWeb::default()
    };
    let (client, _) = register(good, &code).expect("registered");
    // Origins are kept in the form browsers send them.
    assert_eq!(client.web.allowed_origins, ["http://localhost:3000"]);
}

#[test]
fn without_a_session_the_user_must_sign_in() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    assert_eq!(next(&h, &params(&client), None), AuthorizeNext::SignIn);
}

#[test]
fn prompt_none_without_a_session_is_login_required() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    let mut silent = params(&client);
    silent.prompt = Some("none".into());
    let (request, client) = check(&h, &silent);
    let err = block_on(h.auth.authorize(&request, &client, None, false)).expect_err("refused");
    assert_error(&refused(err), "login_required");
}

#[test]
fn an_idle_expired_session_is_no_session() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    h.clock.advance(12 * 3600);
    assert_eq!(
        next(&h, &params(&client), Some(&signed.session)),
        AuthorizeNext::SignIn
    );
    let mut silent = params(&client);
    silent.prompt = Some("none".into());
    let (request, client) = check(&h, &silent);
    let err = block_on(
        h.auth
            .authorize(&request, &client, Some(&signed.session), false),
    )
    .expect_err("refused");
    assert_error(&refused(err), "login_required");
}

#[test]
fn prompt_login_asks_for_a_sign_in_unless_the_user_just_signed_in() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let mut again = params(&client);
    again.prompt = Some("login".into());
    assert_eq!(
        next(&h, &again, Some(&signed.session)),
        AuthorizeNext::SignIn
    );
    let (request, client) = check(&h, &again);
    let done = block_on(
        h.auth
            .authorize(&request, &client, Some(&signed.session), true),
    )
    .expect("authorize");
    assert!(matches!(done, AuthorizeNext::Respond(_)), "{done:?}");
}

#[test]
fn a_sign_in_older_than_max_age_asks_for_another_unless_just_signed_in() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let mut recent = params(&client);
    recent.max_age = Some("300".into());
    h.clock.advance(300);
    assert!(matches!(
        next(&h, &recent, Some(&signed.session)),
        AuthorizeNext::Respond(_)
    ));
    h.clock.advance(1);
    assert_eq!(
        next(&h, &recent, Some(&signed.session)),
        AuthorizeNext::SignIn
    );
    let (request, client) = check(&h, &recent);
    let done = block_on(
        h.auth
            .authorize(&request, &client, Some(&signed.session), true),
    )
    .expect("authorize");
    assert!(matches!(done, AuthorizeNext::Respond(_)), "{done:?}");
    // max_age=0 is a fresh sign-in every time; with prompt=none it cannot be had.
    let mut zero = params(&client);
    zero.max_age = Some("0".into());
    assert_eq!(
        next(&h, &zero, Some(&signed.session)),
        AuthorizeNext::SignIn
    );
    recent.prompt = Some("none".into());
    let (request, client) = check(&h, &recent);
    let err = block_on(
        h.auth
            .authorize(&request, &client, Some(&signed.session), false),
    )
    .expect_err("refused");
    assert_error(&refused(err), "login_required");
}

#[test]
fn select_account_shows_the_sign_in_page_and_cannot_be_silent() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let mut choose = params(&client);
    choose.prompt = Some("select_account".into());
    assert_eq!(
        next(&h, &choose, Some(&signed.session)),
        AuthorizeNext::SignIn
    );
    let (request, client) = check(&h, &choose);
    let done = block_on(
        h.auth
            .authorize(&request, &client, Some(&signed.session), true),
    )
    .expect("authorize");
    assert!(matches!(done, AuthorizeNext::Respond(_)), "{done:?}");
}

#[test]
fn a_third_party_client_needs_consent_and_prompt_none_makes_it_consent_required() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::THIRD_PARTY);
    let signed = sign_in(&h, "alice");
    match next(&h, &params(&client), Some(&signed.session)) {
        AuthorizeNext::Consent {
            client: asking,
            scope,
        } => {
            assert_eq!(asking.id, client.id);
            assert_eq!(scope, Scope::parse("openid orders:read").expect("scope"));
        }
        other => panic!("expected a consent page, got {other:?}"),
    }
    let mut silent = params(&client);
    silent.prompt = Some("none".into());
    let (request, client) = check(&h, &silent);
    let err = block_on(
        h.auth
            .authorize(&request, &client, Some(&signed.session), false),
    )
    .expect_err("refused");
    assert_error(&refused(err), "consent_required");
}

#[test]
fn a_first_party_client_never_asks_for_consent() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let mut asking = params(&client);
    asking.prompt = Some("consent".into());
    assert!(matches!(
        next(&h, &asking, Some(&signed.session)),
        AuthorizeNext::Respond(_)
    ));
}

#[test]
fn a_consent_covers_the_same_or_a_smaller_scope_for_that_user_only() {
    let h = Harness::new();
    h.user("alice");
    h.user("bob");
    let client = web_client(&h, Web::THIRD_PARTY);
    let alice = sign_in(&h, "alice");
    let mut both = params(&client);
    both.scope = Some("openid orders:read orders:write".into());
    let (request, _) = check(&h, &both);
    block_on(h.auth.grant_consent(&request, &alice.session)).expect("consent");
    assert!(matches!(
        next(&h, &both, Some(&alice.session)),
        AuthorizeNext::Respond(_)
    ));
    assert!(matches!(
        next(&h, &params(&client), Some(&alice.session)),
        AuthorizeNext::Respond(_)
    ));
    let bob = sign_in(&h, "bob");
    assert!(matches!(
        next(&h, &params(&client), Some(&bob.session)),
        AuthorizeNext::Consent { .. }
    ));
}

#[test]
fn a_larger_scope_or_prompt_consent_asks_again() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::THIRD_PARTY);
    let alice = sign_in(&h, "alice");
    let (request, _) = check(&h, &params(&client));
    block_on(h.auth.grant_consent(&request, &alice.session)).expect("consent");
    let mut more = params(&client);
    more.scope = Some("openid orders:read orders:write".into());
    assert!(matches!(
        next(&h, &more, Some(&alice.session)),
        AuthorizeNext::Consent { .. }
    ));
    let mut again = params(&client);
    again.prompt = Some("consent".into());
    assert!(matches!(
        next(&h, &again, Some(&alice.session)),
        AuthorizeNext::Consent { .. }
    ));
    // A second consent adds to the first: the union is covered.
    let (request, _) = check(&h, &more);
    block_on(h.auth.grant_consent(&request, &alice.session)).expect("consent");
    let mut write_only = params(&client);
    write_only.scope = Some("orders:write".into());
    assert!(matches!(
        next(&h, &write_only, Some(&alice.session)),
        AuthorizeNext::Respond(_)
    ));
}

#[test]
fn the_response_carries_the_code_the_state_and_the_issuer() {
    let h = Harness::new();
    h.user("alice");
    let client = web_client(&h, Web::FIRST_PARTY);
    let signed = sign_in(&h, "alice");
    let AuthorizeNext::Respond(response) = next(&h, &params(&client), Some(&signed.session)) else {
        panic!("expected a code");
    };
    assert_eq!(response.redirect_uri, REDIRECT);
    assert_eq!(response.mode, ResponseMode::Query);
    let names: Vec<&str> = response.params.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["code", "state", "iss"]);
    let code = response.param("code").expect("code");
    assert!(code.len() >= 43, "a code carries 256 random bits");
    assert_eq!(response.param("state"), Some(STATE));
    assert_eq!(response.param("iss"), Some(ISSUER));
    let location = response.location();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert!(location.ends_with("&state=st-123&iss=https%3A%2F%2Fauth.example.test"));
    // Another request gets another code, and the form post mode is kept.
    let mut posted = params(&client);
    posted.response_mode = Some("form_post".into());
    posted.state = None;
    let AuthorizeNext::Respond(second) = next(&h, &posted, Some(&signed.session)) else {
        panic!("expected a code");
    };
    assert_eq!(second.mode, ResponseMode::FormPost);
    assert_ne!(second.param("code"), Some(code));
    assert_eq!(second.param("state"), None);
    assert_eq!(second.param("iss"), Some(ISSUER));
}

#[test]
fn denying_answers_access_denied_with_the_state_and_the_issuer() {
    let h = Harness::new();
    let client = web_client(&h, Web::THIRD_PARTY);
    let (request, _) = check(&h, &params(&client));
    let response = h.auth.deny(&request);
    assert_error(&response, "access_denied");
}
