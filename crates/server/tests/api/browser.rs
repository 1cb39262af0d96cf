//! Browser sign-in through the router: the authorization endpoint, the sign-in, consent
//! and account pages, the code grant, RP-initiated logout and back-channel delivery, with
//! a cookie jar and forms read as a browser reads them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use serde_json::Value;
use tessera_core::NewClient;
use tessera_core::model::Actor;
use tessera_core::model::{ClientWeb, Grant};

use crate::helpers::{ISSUER, PASSWORD, Reply, TestApp, TestClient, form, text};

pub(crate) const REDIRECT: &str = "https://app.example.test/cb";
pub(crate) const BYE: &str = "https://app.example.test/bye";
/// RFC 7636 appendix B.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A browser: a cookie jar over the router.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    pub(crate) cookies: HashMap<String, String>,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: HashMap::new(),
        }
    }

    pub(crate) async fn send(&mut self, mut request: Request<Body>) -> Reply {
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request
                .headers_mut()
                .insert(header::COOKIE, jar.join("; ").parse().expect("cookie"));
        }
        let reply = self.app.send(request).await;
        for value in reply.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().expect("ascii");
            assert!(text.contains("HttpOnly"), "{text}");
            assert!(text.contains("SameSite=Lax"), "{text}");
            let (pair, _) = text.split_once(';').expect("attributes");
            let (name, value) = pair.split_once('=').expect("pair");
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), value.into());
            }
        }
        reply
    }

    pub(crate) async fn get(&mut self, path: &str) -> Reply {
        let request = Request::builder()
            .method(Method::GET)
            .uri(path)
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.send(form(path, fields, None)).await
    }

    /// Fills and submits the sign-in form of `page`.
    pub(crate) async fn sign_in(&mut self, page: &Reply, user: &str, password: &str) -> Reply {
        let html = body(page);
        assert!(html.contains(r#"action="/ui/login""#), "{html}");
        let mut fields = hidden_fields(&html);
        fields.push(("username".into(), user.into()));
        fields.push(("password".into(), password.into()));
        fields.push(("action".into(), "sign_in".into()));
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post("/ui/login", &refs).await
    }
}

pub(crate) fn body(reply: &Reply) -> String {
    String::from_utf8(reply.body.to_vec()).expect("utf-8")
}

/// The hidden inputs of the first form: `(name, value)`.
pub(crate) fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|rest| {
            let name = between(rest, "name=\"", "\"");
            let value = between(rest, "value=\"", "\"");
            (name, value)
        })
        .collect()
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).expect("start") + start.len();
    let to = text[from..].find(end).expect("end") + from;
    text[from..to].to_owned()
}

/// The query parameters of a `Location`.
pub(crate) fn redirect_params(reply: &Reply) -> HashMap<String, String> {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", body(reply));
    let location = reply.header("location");
    let (_, query) = location.split_once('?').expect("query");
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// The claims of a JWT (unverified: the token came from the app under test).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

/// A public browser client (first party or not).
pub(crate) async fn web_client(
    app: &TestApp,
    first_party: bool,
    backchannel: Option<String>,
) -> TestClient {
    let new = NewClient::new("Orders", &[Grant::AuthorizationCode, Grant::RefreshToken])
        .with_scopes(&["openid".into(), "read".into()])
        .public(true)
        .with_web(ClientWeb {
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![BYE.into()],
            backchannel_logout_uri: backchannel,
            first_party,
            ..ClientWeb::default()
        });
    let (client, _) = app
        .authority
        .register_client(&new, &Actor::Operator)
        .await
        .expect("client");
    TestClient {
        id: client.id.into_string(),
        secret: None,
    }
}

pub(crate) fn authorize_path(client: &TestClient, extra: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20read\
         &state=st-1&nonce=n-1&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        client.id,
        urlencode(REDIRECT),
    )
}

pub(crate) fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

pub(crate) async fn redeem(app: &TestApp, client: &TestClient, code: &str) -> Reply {
    let request = form(
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
        Some(client),
    );
    app.send(request).await
}

/// Signs `alice` in through the first-party client; the browser and the code.
pub(crate) async fn signed_in<'a>(app: &'a TestApp, client: &TestClient) -> (Browser<'a>, String) {
    let mut browser = Browser::new(app);
    let page = browser.get(&authorize_path(client, "")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", body(&page));
    let back = browser.sign_in(&page, "alice", PASSWORD).await;
    let params = redirect_params(&back);
    (browser, params["code"].clone())
}

#[tokio::test]
async fn sign_in_page_is_a_plain_form_with_the_conventions() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let mut browser = Browser::new(&app);
    let page = browser
        .get(&authorize_path(&client, "&login_hint=alice"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(page.header("cache-control"), "no-store");
    assert_eq!(page.header("x-frame-options"), "DENY");
    let csp = page.header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("form-action 'self' https://app.example.test"),
        "{csp}"
    );
    let html = body(&page);
    assert!(html.contains(r#"autocomplete="username""#), "{html}");
    assert!(
        html.contains(r#"autocomplete="current-password""#),
        "{html}"
    );
    assert!(
        html.contains(r#"value="alice""#),
        "login_hint prefills: {html}"
    );
    assert!(html.contains("Orders"), "the client is named: {html}");
    let hidden: HashMap<_, _> = hidden_fields(&html).into_iter().collect();
    assert!(hidden.contains_key("csrf_token") && hidden.contains_key("request"));
    assert!(browser.cookies.contains_key("tessera_browser"));
    let german = Browser::new(&app)
        .get(&authorize_path(&client, "&ui_locales=de"))
        .await;
    assert!(body(&german).contains("Anmelden"), "{}", body(&german));
}

#[tokio::test]
async fn code_flow_signs_in_once_and_issues_openid_tokens() {
    let app = TestApp::new().await;
    let alice = app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let (mut browser, code) = signed_in(&app, &client).await;
    assert!(browser.cookies.contains_key("tessera_session"));
    let tokens = redeem(&app, &client, &code).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", body(&tokens));
    let tokens = tokens.json();
    let id = claims(&text(&tokens, "id_token"));
    assert_eq!(id["iss"], ISSUER);
    assert_eq!(id["sub"], alice.as_str());
    assert_eq!(id["aud"], client.id.as_str());
    assert_eq!(id["nonce"], "n-1");
    assert!(id["auth_time"].is_i64() && id["sid"].is_string(), "{id}");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert!(tokens["refresh_token"].is_string());
    // Single sign-on: the next request needs no page.
    let again = browser.get(&authorize_path(&client, "")).await;
    let params = redirect_params(&again);
    assert_eq!(params["iss"], ISSUER);
    assert_eq!(params["state"], "st-1");
    let second = redeem(&app, &client, &params["code"]).await.json();
    assert_eq!(claims(&text(&second, "id_token"))["sid"], id["sid"]);
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_what_it_issued() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let (_browser, code) = signed_in(&app, &client).await;
    let first = redeem(&app, &client, &code).await.json();
    let replay = redeem(&app, &client, &code).await;
    replay.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let refresh = form(
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &text(&first, "refresh_token")),
        ],
        Some(&client),
    );
    app.send(refresh)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let userinfo = app
        .get("/userinfo", Some(&text(&first, "access_token")))
        .await;
    assert_eq!(userinfo.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_token_request_must_prove_the_code() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let (_browser, code) = signed_in(&app, &client).await;
    let wrong_verifier = form(
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "x".repeat(43).as_str()),
        ],
        Some(&client),
    );
    app.send(wrong_verifier)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let (_browser, code) = signed_in(&app, &client).await;
    let no_verifier = form(
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
        Some(&client),
    );
    app.send(no_verifier)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_page() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let mut browser = Browser::new(&app);
    let page = browser.get(&authorize_path(&client, "")).await;
    let wrong = browser.sign_in(&page, "alice", "not the password").await;
    let unknown = browser.sign_in(&page, "mallory", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let strip = |html: String, user: &str| {
        let cut = |h: &str| {
            h.split("<input type=\"hidden\"")
                .next()
                .unwrap_or("")
                .to_owned()
        };
        cut(&html).replace(user, "USER")
    };
    assert_eq!(
        strip(body(&wrong), "alice"),
        strip(body(&unknown), "mallory")
    );
    assert!(body(&wrong).contains("The username or password is not correct."));
    assert!(!browser.cookies.contains_key("tessera_session"));
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let mut browser = Browser::new(&app);
    let page = browser.get(&authorize_path(&client, "")).await;
    let hidden: HashMap<_, _> = hidden_fields(&body(&page)).into_iter().collect();
    let forged = browser
        .post(
            "/ui/login",
            &[
                ("csrf_token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                ("request", &hidden["request"]),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(!browser.cookies.contains_key("tessera_session"));
    // Another browser's token and request do not work here either.
    let mut other = Browser::new(&app);
    let stolen = other
        .post(
            "/ui/login",
            &[
                ("csrf_token", &hidden["csrf_token"]),
                ("request", &hidden["request"]),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);
    assert!(!other.cookies.contains_key("tessera_session"));
}

#[tokio::test]
async fn untrusted_clients_and_redirects_get_an_error_page_not_a_redirect() {
    let app = TestApp::new().await;
    let client = web_client(&app, true, None).await;
    let mut browser = Browser::new(&app);
    let unknown = browser
        .get("/oauth/authorize?response_type=code&client_id=nope&redirect_uri=https%3A%2F%2Fevil.test%2F")
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.headers.get("location").is_none());
    let path = authorize_path(&client, "")
        .replace(&urlencode(REDIRECT), &urlencode("https://evil.test/cb"));
    let evil = browser.get(&path).await;
    assert_eq!(evil.status, StatusCode::BAD_REQUEST);
    assert!(evil.headers.get("location").is_none());
    assert!(body(&evil).contains("This request cannot be completed."));
}

#[tokio::test]
async fn mistakes_with_a_trusted_redirect_go_back_to_the_client() {
    let app = TestApp::new().await;
    let client = web_client(&app, true, None).await;
    let mut browser = Browser::new(&app);
    let no_pkce = authorize_path(&client, "").replace(&format!("&code_challenge={CHALLENGE}"), "");
    let params = redirect_params(&browser.get(&no_pkce).await);
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(params["iss"], ISSUER);
    assert_eq!(params["state"], "st-1");
    let plain = authorize_path(&client, "").replace("S256", "plain");
    let params = redirect_params(&browser.get(&plain).await);
    assert_eq!(params["error"], "invalid_request");
    let silent = browser.get(&authorize_path(&client, "&prompt=none")).await;
    assert_eq!(redirect_params(&silent)["error"], "login_required");
}

#[tokio::test]
async fn consent_is_asked_once_and_a_refusal_is_access_denied() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, false, None).await;
    let mut browser = Browser::new(&app);
    let page = browser.get(&authorize_path(&client, "")).await;
    let consent = browser.sign_in(&page, "alice", PASSWORD).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", body(&consent));
    let html = body(&consent);
    assert!(html.contains(r#"action="/ui/consent""#), "{html}");
    assert!(html.contains("Allow") && html.contains("Deny"), "{html}");
    let mut fields = hidden_fields(&html);
    fields.push(("decision".into(), "deny".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let denied = redirect_params(&browser.post("/ui/consent", &refs).await);
    assert_eq!(denied["error"], "access_denied");
    assert_eq!(denied["iss"], ISSUER);
    // Asked again, allowed this time; then never asked again for the same scopes.
    let consent = browser.get(&authorize_path(&client, "")).await;
    let mut fields = hidden_fields(&body(&consent));
    fields.push(("decision".into(), "allow".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let allowed = redirect_params(&browser.post("/ui/consent", &refs).await);
    assert!(allowed.contains_key("code"), "{allowed:?}");
    let next = redirect_params(&browser.get(&authorize_path(&client, "")).await);
    assert!(next.contains_key("code"), "{next:?}");
}

#[tokio::test]
async fn prompt_login_asks_again_even_after_consent() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, false, None).await;
    let mut browser = Browser::new(&app);
    let page = browser.get(&authorize_path(&client, "&prompt=login")).await;
    let consent = browser.sign_in(&page, "alice", PASSWORD).await;
    let mut fields = hidden_fields(&body(&consent));
    fields.push(("decision".into(), "allow".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let allowed = redirect_params(&browser.post("/ui/consent", &refs).await);
    assert!(
        allowed.contains_key("code"),
        "the consent step does not loop back: {allowed:?}"
    );
    let again = browser.get(&authorize_path(&client, "&prompt=login")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(body(&again).contains(r#"action="/ui/login""#));
}

#[tokio::test]
async fn form_post_answers_with_a_self_submitting_form() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let mut browser = Browser::new(&app);
    let page = browser
        .get(&authorize_path(&client, "&response_mode=form_post"))
        .await;
    let answer = browser.sign_in(&page, "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK);
    let html = body(&answer);
    assert!(
        html.contains(&format!(r#"action="{}""#, REDIRECT.replace('/', "&#x2f;"))),
        "{html}"
    );
    let fields: HashMap<_, _> = hidden_fields(&html).into_iter().collect();
    assert!(
        fields.contains_key("code") && fields["iss"].contains("127.0.0.1"),
        "{fields:?}"
    );
    let csp = answer.header("content-security-policy");
    let nonce = between(csp, "'nonce-", "'");
    assert!(
        html.contains(&format!(r#"<script nonce="{nonce}">"#)),
        "{html}"
    );
}

#[tokio::test]
async fn logout_with_a_hint_ends_the_whole_session_at_once() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let (mut browser, code) = signed_in(&app, &client).await;
    let tokens = redeem(&app, &client, &code).await.json();
    let path = format!(
        "/oauth/logout?id_token_hint={}&post_logout_redirect_uri={}&state=bye-1",
        text(&tokens, "id_token"),
        urlencode(BYE)
    );
    let out = browser.get(&path).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", body(&out));
    assert_eq!(out.header("location"), format!("{BYE}?state=bye-1"));
    assert!(!browser.cookies.contains_key("tessera_session"));
    let refresh = form(
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &text(&tokens, "refresh_token")),
        ],
        Some(&client),
    );
    app.send(refresh)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let page = browser.get(&authorize_path(&client, "")).await;
    assert!(body(&page).contains(r#"action="/ui/login""#), "signed out");
}

#[tokio::test]
async fn logout_without_proof_asks_first() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let (mut browser, _code) = signed_in(&app, &client).await;
    let ask = browser
        .get(&format!(
            "/oauth/logout?client_id={}&post_logout_redirect_uri={}",
            client.id,
            urlencode("https://evil.test/")
        ))
        .await;
    assert_eq!(ask.status, StatusCode::OK);
    let html = body(&ask);
    assert!(
        html.contains("Sign out") && html.contains(r#"action="/oauth/logout""#),
        "{html}"
    );
    assert!(browser.cookies.contains_key("tessera_session"), "not yet");
    let mut fields = hidden_fields(&html);
    fields.push(("action".into(), "sign_out".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = browser.post("/oauth/logout", &refs).await;
    assert_eq!(
        done.status,
        StatusCode::OK,
        "an unregistered URI is not followed"
    );
    assert!(body(&done).contains("You are signed out"));
    assert!(!browser.cookies.contains_key("tessera_session"));
}

#[tokio::test]
async fn account_page_needs_a_session_and_lists_it() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let mut browser = Browser::new(&app);
    let away = browser.get("/ui/account").await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    assert_eq!(away.header("location"), "/ui/login");
    let page = browser.get("/ui/login").await;
    let landed = browser.sign_in(&page, "alice", PASSWORD).await;
    assert_eq!(landed.header("location"), "/ui/account");
    let account = browser.get("/ui/account").await;
    assert_eq!(account.status, StatusCode::OK);
    let html = body(&account);
    assert!(
        html.contains("alice") && html.contains("This browser"),
        "{html}"
    );
    assert!(html.contains(r#"action="/oauth/logout""#), "{html}");
}

#[tokio::test]
async fn style_sheet_and_discovery_describe_the_flow() {
    let app = TestApp::new().await;
    let css = app.get("/ui/static/tessera.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").starts_with("text/css"));
    let doc = app
        .get("/.well-known/openid-configuration", None)
        .await
        .json();
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{ISSUER}/oauth/authorize")
    );
    assert_eq!(
        doc["end_session_endpoint"],
        format!("{ISSUER}/oauth/logout")
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["backchannel_logout_supported"], true);
}

/// A receiver of back-channel logout tokens on 127.0.0.1; the tokens it got.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&got);
    let route = axum::routing::post(move |body: String| {
        let sink = Arc::clone(&sink);
        async move {
            let token = form_urlencoded::parse(body.as_bytes())
                .find(|(k, _)| k == "logout_token")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            sink.lock().expect("lock").push(token);
            StatusCode::OK
        }
    });
    let router = axum::Router::new().route("/bc", route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}/bc"), got)
}

#[tokio::test]
async fn logout_notifies_the_back_channel_once() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let (uri, got) = receiver().await;
    let client = web_client(&app, true, Some(uri)).await;
    let (mut browser, code) = signed_in(&app, &client).await;
    let tokens = redeem(&app, &client, &code).await.json();
    let sid = claims(&text(&tokens, "id_token"))["sid"].clone();
    let path = format!("/oauth/logout?id_token_hint={}", text(&tokens, "id_token"));
    assert_eq!(browser.get(&path).await.status, StatusCode::OK);
    let http = tessera_server::backchannel::http_client().expect("client");
    let sent = tessera_server::backchannel::deliver_due(&app.authority, &http).await;
    assert_eq!(sent, 1);
    let tokens_got = got.lock().expect("lock").clone();
    assert_eq!(tokens_got.len(), 1);
    let header: Value = {
        let part = tokens_got[0].split('.').next().expect("header");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .expect("b64");
        serde_json::from_slice(&bytes).expect("json")
    };
    assert_eq!(header["typ"], "logout+jwt");
    let logout = claims(&tokens_got[0]);
    assert_eq!(logout["sid"], sid);
    assert_eq!(logout["aud"], client.id.as_str());
    assert!(logout["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(logout.get("nonce").is_none());
    assert_eq!(
        tessera_server::backchannel::deliver_due(&app.authority, &http).await,
        0,
        "delivered once"
    );
}

#[tokio::test]
async fn forms_posted_from_another_site_are_refused() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let mut browser = Browser::new(&app);
    let page = browser.get(&authorize_path(&client, "")).await;
    let mut fields = hidden_fields(&body(&page));
    fields.push(("username".into(), "alice".into()));
    fields.push(("password".into(), PASSWORD.into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut request = form("/ui/login", &refs, None);
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.test".parse().expect("origin"));
    let refused = browser.send(request).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!browser.cookies.contains_key("tessera_session"));
    for path in ["/ui/consent", "/oauth/logout"] {
        let mut request = form(path, &[("csrf_token", "x")], None);
        request
            .headers_mut()
            .insert(header::ORIGIN, "null".parse().expect("origin"));
        assert_eq!(
            browser.send(request).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let mut request = form("/ui/login", &refs, None);
    request
        .headers_mut()
        .insert(header::ORIGIN, ISSUER.parse().expect("origin"));
    let accepted = browser.send(request).await;
    assert_eq!(
        accepted.status,
        StatusCode::SEE_OTHER,
        "our own origin is fine"
    );
}

#[tokio::test]
async fn a_failed_sign_in_ties_the_error_to_the_fields() {
    let app = TestApp::new().await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/ui/login").await;
    let failed = browser.sign_in(&page, "nobody", "wrong").await;
    let html = body(&failed);
    assert!(html.contains(r#"id="form-error" role="alert""#), "{html}");
    assert_eq!(
        html.matches(r#"aria-describedby="form-error""#).count(),
        2,
        "{html}"
    );
    assert!(failed.body.len() < 20 * 1024, "the page stays small");
}

/// The fields of the account page's form posting to `action`, with `extra`.
pub(crate) fn account_form(
    html: &str,
    action: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let start = html
        .find(&format!(r#"action="{action}""#))
        .expect("the form");
    let form = &html[start..html[start..].find("</form>").expect("end") + start];
    let mut fields = hidden_fields(form);
    fields.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    fields
}

#[tokio::test]
async fn account_page_changes_the_password_and_signs_other_browsers_out() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let (mut here, _) = signed_in(&app, &client).await;
    let (mut there, _) = signed_in(&app, &client).await;
    let account = body(&here.get("/ui/account").await);
    assert_eq!(
        account.matches("<tr><td>").count(),
        2,
        "two browsers: {account}"
    );
    let fields = account_form(
        &account,
        "/ui/account/password",
        &[
            ("current_password", "wrong"),
            ("new_password", "a new passphrase"),
        ],
    );
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let wrong = here.post("/ui/account/password", &refs).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(body(&wrong).contains("The current password is not correct."));
    let fields = account_form(
        &account,
        "/ui/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a new passphrase"),
        ],
    );
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let changed = here.post("/ui/account/password", &refs).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", body(&changed));
    assert!(body(&changed).contains("Your password was changed."));
    assert_eq!(
        body(&changed).matches("<tr><td>").count(),
        1,
        "the other browser is gone"
    );
    let elsewhere = there.get("/ui/account").await;
    assert_eq!(
        elsewhere.header("location"),
        "/ui/login",
        "signed out there"
    );
    let old = app
        .password_grant(&app.app_client().await, "alice", PASSWORD)
        .await;
    assert_eq!(
        old.status,
        StatusCode::BAD_REQUEST,
        "the old password is gone"
    );
}

#[tokio::test]
async fn account_page_signs_out_one_other_browser_of_the_same_user_only() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    app.user("bob", &[]).await;
    let client = web_client(&app, true, None).await;
    let (mut here, _) = signed_in(&app, &client).await;
    let (mut there, _) = signed_in(&app, &client).await;
    let mut bobs = Browser::new(&app);
    let page = bobs.get("/ui/login").await;
    bobs.sign_in(&page, "bob", PASSWORD).await;
    let account = body(&here.get("/ui/account").await);
    let fields = account_form(&account, "/ui/account/sessions", &[]);
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let ended = here.post("/ui/account/sessions", &refs).await;
    assert_eq!(ended.status, StatusCode::OK);
    assert_eq!(
        there.get("/ui/account").await.header("location"),
        "/ui/login"
    );
    assert_eq!(here.get("/ui/account").await.status, StatusCode::OK);
    // Naming bob's session from alice's page changes nothing.
    let sessions = app
        .authority
        .browser_sessions_of(&tessera_core::model::UserId::from(
            app.authority
                .list_users()
                .await
                .expect("users")
                .iter()
                .find(|u| u.username == "bob")
                .expect("bob")
                .id
                .as_str(),
        ))
        .await
        .expect("sessions");
    let bob_id = sessions[0].id.as_str().to_owned();
    let account = body(&here.get("/ui/account").await);
    let csrf = account_form(&account, "/ui/account/password", &[])[0]
        .1
        .clone();
    let forged = here
        .post(
            "/ui/account/sessions",
            &[("csrf_token", &csrf), ("session", &bob_id)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::OK);
    assert_eq!(
        bobs.get("/ui/account").await.status,
        StatusCode::OK,
        "bob stays signed in"
    );
}
