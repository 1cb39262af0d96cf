//! The OpenAPI contract: every endpoint of the router, driven with real requests (success
//! and the main refusals), answers as `/openapi.json` says. Each reply's status must be
//! declared for its path and method, its content type must be one declared for that status
//! (and a status declared without content must come with an empty body), and a JSON body must
//! validate against the declared schema, `$ref`s resolved, with no member the schema does not
//! list. Requests the server accepted must use only documented parameters, and every
//! documented parameter of a form or JSON body or a query must have been used, so that the
//! parameter lists cannot drift from what the handlers read.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use serde_json::{Map, Value, json};
use tessera_core::lockout::LockoutPolicy;
use tessera_core::model::Actor;
use tessera_core::model::Grant;
use tessera_server::proxy::TrustedProxies;
use tessera_server::throttle::ThrottleConfig;
use tessera_server::ui::{Branding, Ui};
use tower::ServiceExt as _;

#[path = "openapi_console.rs"]
mod console;
#[path = "openapi_device.rs"]
mod device;
#[path = "openapi_factors.rs"]
mod factors;

use crate::browser::{
    BYE, Browser, account_form, authorize_path, body, hidden_fields, redeem, redirect_params,
    signed_in, urlencode, web_client,
};
use crate::helpers::{
    Check, ISSUER, PASSWORD, Reply, Sent, TestApp, TestClient, bare, config, form, json, text,
};

/// Documented answers no request here produces, and why.
const NOT_DRIVEN: &[(&str, &str, u16, &str)] = &[
    ("get", "/ui/login", 503, "the random source failing"),
    (
        "post",
        "/ui/consent",
        503,
        "the store failing between the consent page and its answer",
    ),
    (
        "get",
        "/revocations/stream",
        429,
        "a stream held open while another from the same address is refused; the router \
         exchanges here read whole bodies (connections.rs drives it over a real socket)",
    ),
];

// ---------------------------------------------------------------------------------------
// The checker.

/// The document, and what the exchanges so far have shown of it.
struct Contract {
    doc: Value,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    /// `(method, path template, status)` of every reply.
    answers: BTreeSet<(String, String, u16)>,
    /// `(method, path template, where)` to the parameter names used in accepted requests.
    params: BTreeMap<(String, String, &'static str), BTreeSet<String>>,
}

impl Contract {
    fn new(doc: Value) -> Self {
        Self {
            doc,
            seen: Mutex::default(),
        }
    }

    /// The documented operation for a concrete path: a literal template wins over one
    /// with parameters.
    fn operation(&self, method: &str, path: &str) -> Option<(String, &Value)> {
        let paths = self.doc["paths"].as_object().expect("paths");
        let mut candidates: Vec<(usize, &String, &Value)> = paths
            .iter()
            .filter(|(template, _)| template_matches(template, path))
            .filter_map(|(template, item)| {
                let op = item.get(method)?;
                Some((template.matches('{').count(), template, op))
            })
            .collect();
        candidates.sort_by_key(|(params, _, _)| *params);
        candidates
            .first()
            .map(|(_, template, op)| ((*template).clone(), *op))
    }

    /// Validates `instance` against `schema` (a schema of the document), every object
    /// closed to undocumented members; the errors.
    fn violations(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut root = closed(schema);
        let root_map = root.as_object_mut().expect("a schema object");
        root_map.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root_map.insert("components".into(), closed(&self.doc["components"]));
        let validator = jsonschema::draft202012::new(&root)
            .unwrap_or_else(|err| panic!("the document's schema does not compile: {err}"));
        validator
            .iter_errors(instance)
            .map(|err| format!("{} at {}", err, err.instance_path()))
            .collect()
    }

    fn record_params(&self, key: (String, String, &'static str), names: BTreeSet<String>) {
        let mut seen = self.seen.lock().expect("lock");
        seen.params.entry(key).or_default().extend(names);
    }

    fn check_request(&self, method: &str, template: &str, op: &Value, sent: &Sent) {
        let what = format!("{} {template}", method.to_uppercase());
        if let Some(query) = sent.uri.query() {
            let documented: BTreeSet<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            let names: BTreeSet<String> = form_urlencoded::parse(query.as_bytes())
                .map(|(name, _)| name.into_owned())
                .collect();
            let undocumented: Vec<&String> = names.difference(&documented).collect();
            assert!(
                undocumented.is_empty(),
                "{what} accepted the undocumented query parameters {undocumented:?}"
            );
            self.record_params((method.into(), template.into(), "query"), names);
        }
        if sent.body.is_empty() {
            return;
        }
        let content_type = essence(
            sent.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        );
        let instance = match content_type.as_str() {
            "application/x-www-form-urlencoded" => {
                let mut object = Map::new();
                for (name, value) in form_urlencoded::parse(&sent.body) {
                    object.insert(name.into_owned(), Value::String(value.into_owned()));
                }
                Value::Object(object)
            }
            "application/json" => serde_json::from_slice(&sent.body).expect("a JSON request"),
            other => panic!("{what}: the test sent a {other} body"),
        };
        let schema = op["requestBody"]["content"][&content_type]["schema"].clone();
        assert!(
            !schema.is_null(),
            "{what} accepted a {content_type} body the document does not declare"
        );
        let errors = self.violations(&schema, &instance);
        assert!(
            errors.is_empty(),
            "{what} accepted a body its documented schema refuses: {errors:?}\nbody: {instance}"
        );
        if let Some(object) = instance.as_object() {
            let names = object.keys().cloned().collect();
            self.record_params((method.into(), template.into(), "body"), names);
        }
    }

    fn check_reply(&self, method: &str, template: &str, op: &Value, reply: &Reply) {
        let status = reply.status.as_u16();
        let what = format!("{} {template} answered {status}", method.to_uppercase());
        let text = String::from_utf8_lossy(&reply.body);
        let response = op["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| panic!("{what}, which the document does not declare: {text}"));
        if response["headers"].get("Location").is_some() {
            assert!(
                !reply.header("location").is_empty(),
                "{what} without the documented Location"
            );
        }
        let declared = response["content"].as_object().filter(|c| !c.is_empty());
        let Some(declared) = declared else {
            assert!(
                reply.body.is_empty(),
                "{what} with a body, but the document declares none: {text}"
            );
            return;
        };
        let content_type = essence(reply.header("content-type"));
        let (_, media) = declared
            .iter()
            .find(|(declared, _)| essence(declared) == content_type)
            .unwrap_or_else(|| {
                panic!(
                    "{what} as {content_type:?}; the document says {:?}",
                    declared.keys().collect::<Vec<_>>()
                )
            });
        if content_type == "application/json" {
            let instance: Value = serde_json::from_slice(&reply.body)
                .unwrap_or_else(|_| panic!("{what} with a body that is not JSON: {text}"));
            if let Some(schema) = media.get("schema") {
                let errors = self.violations(schema, &instance);
                assert!(
                    errors.is_empty(),
                    "{what} with a body its documented schema refuses: {errors:?}\nbody: {instance}"
                );
            }
        }
    }

    /// The documented operations: `(method, path template)`.
    fn operations(&self) -> BTreeSet<(String, String)> {
        let mut operations = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in ["get", "put", "post", "delete", "options", "head", "patch"] {
                if item.get(method).is_some() {
                    operations.insert((method.to_owned(), path.clone()));
                }
            }
        }
        operations
    }

    /// The property names of a body schema (following one `$ref`).
    fn properties(&self, schema: &Value) -> BTreeSet<String> {
        let schema = match schema["$ref"].as_str() {
            Some(reference) => {
                let name = reference.rsplit('/').next().expect("a name");
                &self.doc["components"]["schemas"][name]
            }
            None => schema,
        };
        schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Every operation answered, every documented status seen (but [`NOT_DRIVEN`]), every
    /// documented parameter used.
    fn assert_covered(&self) {
        let seen = self.seen.lock().expect("lock");
        let answered: BTreeSet<(String, String)> = seen
            .answers
            .iter()
            .map(|(method, path, _)| (method.clone(), path.clone()))
            .collect();
        let never: Vec<_> = self.operations().difference(&answered).cloned().collect();
        assert!(never.is_empty(), "operations never driven: {never:?}");

        let mut undriven = BTreeSet::new();
        for (method, path) in self.operations() {
            let op = &self.doc["paths"][&path][&method];
            for status in op["responses"].as_object().expect("responses").keys() {
                let status: u16 = status.parse().expect("a status code");
                if !seen
                    .answers
                    .contains(&(method.clone(), path.clone(), status))
                {
                    undriven.insert((method.clone(), path.clone(), status));
                }
            }
        }
        let allowed: BTreeSet<(String, String, u16)> = NOT_DRIVEN
            .iter()
            .map(|(method, path, status, _)| ((*method).into(), (*path).into(), *status))
            .collect();
        assert_eq!(
            undriven, allowed,
            "documented answers no request produced (left) against NOT_DRIVEN (right)"
        );

        for (method, path) in self.operations() {
            let op = &self.doc["paths"][&path][&method];
            let query: BTreeSet<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            let mut body = BTreeSet::new();
            for media in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flat_map(|c| c.values())
            {
                body.extend(self.properties(&media["schema"]));
            }
            for (place, documented) in [("query", query), ("body", body)] {
                let used = seen
                    .params
                    .get(&(method.clone(), path.clone(), place))
                    .cloned()
                    .unwrap_or_default();
                let unused: Vec<_> = documented.difference(&used).collect();
                assert!(
                    unused.is_empty(),
                    "{} {path}: documented {place} parameters no accepted request used: {unused:?}",
                    method.to_uppercase()
                );
            }
        }
    }
}

impl Check for Contract {
    fn check(&self, sent: &Sent, reply: &Reply) {
        let method = sent.method.as_str().to_ascii_lowercase();
        let path = sent.uri.path();
        let (template, op) = self
            .operation(&method, path)
            .unwrap_or_else(|| panic!("{method} {path} is not in the document"));
        self.check_reply(&method, &template, op, reply);
        if reply.status.as_u16() < 400 {
            self.check_request(&method, &template, op, sent);
        }
        let mut seen = self.seen.lock().expect("lock");
        seen.answers
            .insert((method, template, reply.status.as_u16()));
    }
}

fn template_matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

/// A media type without its parameters, lowercase.
fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `schema` with every object schema that lists its properties closed to others
/// (`additionalProperties: false` unless it says otherwise): a member a handler adds
/// without documenting it is a drift too.
fn closed(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .map(|(key, value)| {
                    let value = if key == "example" || key == "examples" || key == "default" {
                        value.clone()
                    } else {
                        closed(value)
                    };
                    (key.clone(), value)
                })
                .collect();
            if out.get("properties").is_some_and(Value::is_object)
                && !out.contains_key("additionalProperties")
            {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(closed).collect()),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// The tests.

/// The document as the server serves it.
async fn document() -> Value {
    let reply = TestApp::new().await.get("/openapi.json", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json()
}

#[tokio::test]
async fn every_route_of_the_router_is_documented_with_its_methods() {
    let contract = Contract::new(document().await);
    let mut routes = BTreeSet::new();
    for source in [
        include_str!("../../src/http/mod.rs"),
        include_str!("../../src/http/browser/mod.rs"),
    ] {
        routes.extend(routes_in(source));
    }
    assert!(
        routes.len() > 30,
        "the router's routes were not found: {routes:?}"
    );
    assert_eq!(routes, contract.operations());
}

/// `(method, path)` of every `.route("path", get(…).post(…))` in a router's source.
fn routes_in(source: &str) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for call in source.split(".route(").skip(1) {
        let call = call.split(".route(").next().unwrap_or(call);
        let call = call.split("\n}").next().unwrap_or(call);
        let path = call.split('"').nth(1).expect("a path literal").to_owned();
        let bytes = call.as_bytes();
        for method in ["get", "post", "put", "patch", "delete", "options"] {
            let mut from = 0;
            while let Some(at) = call[from..].find(method) {
                let start = from + at;
                let end = start + method.len();
                let before = start.checked_sub(1).map(|i| bytes[i]);
                let word_start = before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_'));
                if word_start && bytes.get(end) == Some(&b'(') {
                    routes.insert((method.to_owned(), path.clone()));
                }
                from = end;
            }
        }
    }
    routes
}

#[tokio::test]
async fn a_drifted_body_is_caught() {
    let contract = Contract::new(document().await);
    let schema = json!({"$ref": "#/components/schemas/TokenResponse"});
    let good = json!({"access_token": "a.b.c", "token_type": "Bearer", "expires_in": 900});
    assert_eq!(contract.violations(&schema, &good), Vec::<String>::new());
    for drifted in [
        json!({"access_token": "a.b.c", "token_type": "Bearer", "expires_in": "900"}),
        json!({"access_token": "a.b.c", "token_type": "Bearer"}),
        json!({"access_token": "a.b.c", "token_type": "Bearer", "expires_in": 900, "extra": 1}),
    ] {
        assert!(
            !contract.violations(&schema, &drifted).is_empty(),
            "{drifted} passed"
        );
    }
    let error = json!({"$ref": "#/components/schemas/ErrorBody"});
    assert!(!contract.violations(&error, &json!({"error": 1})).is_empty());
}

#[tokio::test]
async fn every_endpoint_answers_as_the_document_says() {
    let contract = Arc::new(Contract::new(document().await));
    let logo_dir = tempfile::tempdir().expect("temp dir");
    let logo = logo_dir.path().join("logo.png");
    std::fs::write(&logo, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("logo");
    let ui = Ui::new(Branding {
        logo_file: Some(logo),
        ..Branding::default()
    })
    .expect("branded pages");
    let (config, throttle) = limits();
    let app = TestApp::build(
        config,
        throttle,
        TrustedProxies::default(),
        Some(Arc::new(ui)),
    )
    .await
    .checked_by(Arc::clone(&contract) as Arc<dyn Check>);

    operations(&app).await;
    discovery(&app).await;
    cors(&app).await;
    let tokens = token_endpoint(&app).await;
    revoke_and_introspect(&app, &tokens).await;
    account(&app).await;
    revocation_feed(&app).await;
    browser(&app).await;
    admin_console(&app).await;
    console::console_pages(&app).await;
    factors::factor_pages(&app).await;
    let check = Arc::clone(&contract) as Arc<dyn Check>;
    device::device_pages(&app, &check).await;
    admin(&app).await;

    // The only administrator keeps the role.
    let lone = TestApp::new()
        .await
        .checked_by(Arc::clone(&contract) as Arc<dyn Check>);
    let token = lone.admin_token().await;
    let last = json!({"roles": []});
    let patch = json(Method::PATCH, "/admin/users/root", &token, &last);
    expect(&lone, patch, 409).await;

    // The pages without a logo, and readiness on a store that is gone.
    let plain = TestApp::new()
        .await
        .checked_by(Arc::clone(&contract) as Arc<dyn Check>);
    expect(&plain, bare(Method::GET, "/ui/static/logo", None), 404).await;
    store_gone(plain).await;
    metrics_access(&contract).await;

    contract.assert_covered();
}

/// `/metrics` behind a token, and served on a listener of its own.
async fn metrics_access(contract: &Arc<Contract>) {
    use tessera_server::http::limits::Limits;
    use tessera_server::http::metrics_access::MetricsAccess;
    let token = "0123456789abcdef0123456789abcdef";
    let mut guarded = TestApp::new()
        .await
        .checked_by(Arc::clone(contract) as Arc<dyn Check>);
    let limits = Limits::default().with_metrics(MetricsAccess::new(Some(token), false));
    guarded.router = tessera_server::http::app(guarded.state.clone().with_limits(limits));
    expect(&guarded, get("/metrics"), 401).await;
    expect(&guarded, bare(Method::GET, "/metrics", Some(token)), 200).await;
    let mut elsewhere = TestApp::new()
        .await
        .checked_by(Arc::clone(contract) as Arc<dyn Check>);
    let limits = Limits::default().with_metrics(MetricsAccess::new(None, true));
    elsewhere.router = tessera_server::http::app(elsewhere.state.clone().with_limits(limits));
    expect(&elsewhere, get("/metrics"), 404).await;
}

/// What the pages and readiness answer when the store is gone.
async fn store_gone(app: TestApp) {
    let mut browser = Browser::new(&app);
    let page = expect_in(&mut browser, get("/ui/login"), 200).await;
    let mut sign_in = hidden_fields(&body(&page));
    sign_in.push(("username".into(), "alice".into()));
    sign_in.push(("password".into(), PASSWORD.into()));
    let admin = app.admin_token().await;
    app.store.close().await;
    expect(&app, get("/readyz"), 503).await;
    expect_in(&mut browser, form("/ui/login", &pairs(&sign_in), None), 503).await;
    let request = [
        ("response_type", "code"),
        ("client_id", "someone"),
        ("redirect_uri", "https://someone.example/cb"),
    ];
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(request)
        .finish();
    expect_in(&mut browser, get(&format!("/oauth/authorize?{query}")), 503).await;
    expect_in(&mut browser, form("/oauth/authorize", &request, None), 503).await;
    expect_in(&mut browser, get("/oauth/logout?client_id=someone"), 503).await;
    let logout = [("client_id", "someone")];
    expect_in(&mut browser, form("/oauth/logout", &logout, None), 503).await;
    // A browser that says it is signed in: its session cannot be looked up.
    browser
        .cookies
        .insert("tessera_session".into(), "s".repeat(43));
    expect_in(&mut browser, get("/ui/account"), 503).await;
    let forms = [("csrf_token", "unchecked")];
    expect_in(
        &mut browser,
        form("/ui/account/password", &forms, None),
        503,
    )
    .await;
    expect_in(
        &mut browser,
        form("/ui/account/sessions", &forms, None),
        503,
    )
    .await;
    for path in ["/ui/admin", "/ui/admin/events"] {
        expect_in(&mut browser, get(path), 503).await;
    }
    for path in [
        "/ui/admin/users",
        "/ui/admin/users/x/disable",
        "/ui/admin/users/x/enable",
        "/ui/admin/users/x/delete",
    ] {
        expect_in(&mut browser, form(path, &forms, None), 503).await;
    }
    console::store_gone(&app, &mut browser).await;
    factors::store_gone(&app, &mut browser).await;
    device::store_gone(&mut browser).await;
    // Last: a JSON 503 opens the store's breaker, which then answers every route at once.
    for method in [Method::GET, Method::DELETE] {
        let reply = expect(
            &app,
            bare(method, "/admin/users/root/factors", Some(&admin)),
            503,
        )
        .await;
        assert!(!reply.header("retry-after").is_empty(), "Retry-After");
    }
}

/// The operator console: its pages and forms, with every status they document.
async fn admin_console(app: &TestApp) {
    app.user("consoleroot", &["admin"]).await;
    app.user("conuser", &[]).await;
    let mut fresh = Browser::new(app);
    let mut root = console_browser(app, "consoleroot").await;
    let mut member = console_browser(app, "conuser").await;
    for (path, name) in [("/ui/admin", "q"), ("/ui/admin/events", "type")] {
        expect_in(&mut fresh, get(path), 303).await;
        expect_in(&mut member, get(path), 403).await;
        let repeated = format!("{path}?{name}=a&{name}=b");
        expect_in(&mut root, get(&repeated), 400).await;
    }
    expect_in(
        &mut root,
        get("/ui/admin?q=gi&after=a&notice=admin_user_created"),
        200,
    )
    .await;
    let every = "/ui/admin/events?type=user_created&user=u_x&client=c_x&since=2020-01-01T00:00:00Z&until=2999-01-01T00:00:00Z&after=0";
    expect_in(&mut root, get(every), 200).await;
    let page = body(&expect_in(&mut root, get("/ui/admin"), 200).await);
    let create = "/ui/admin/users";
    let user = |name: &'static str| {
        account_form(
            &page,
            create,
            &[
                ("username", name),
                ("email", "conhana@example.com"),
                ("password", "a fine passphrase"),
                ("roles", "reader"),
            ],
        )
    };
    expect_in(&mut root, form(create, &pairs(&user("conhana")), None), 303).await;
    expect_in(&mut root, form(create, &pairs(&user("CONHANA")), None), 409).await;
    expect_in(&mut root, form(create, &pairs(&user(" bad")), None), 400).await;
    expect_in(&mut root, cross_site(create, &pairs(&user("ida"))), 403).await;
    expect_in(&mut fresh, form(create, &pairs(&user("ida")), None), 303).await;
    let token = account_form(&page, create, &[]);
    for action in ["disable", "enable", "delete"] {
        let path = format!("/ui/admin/users/conhana/{action}");
        let missing = format!("/ui/admin/users/nobody/{action}");
        let mut fields = token.clone();
        if action == "delete" {
            fields.push(("confirm".into(), "yes".into()));
        }
        expect_in(&mut fresh, form(&path, &pairs(&fields), None), 303).await;
        expect_in(&mut member, form(&path, &pairs(&fields), None), 403).await;
        expect_in(
            &mut root,
            form(&path, &[("csrf_token", "forged")], None),
            400,
        )
        .await;
        expect_in(&mut root, form(&missing, &pairs(&fields), None), 404).await;
        expect_in(&mut root, form(&path, &pairs(&fields), None), 303).await;
    }
}

/// A browser signed in (without a client) as `user`.
async fn console_browser<'a>(app: &'a TestApp, user: &str) -> Browser<'a> {
    let mut browser = Browser::new(app);
    let page = expect_in(&mut browser, get("/ui/login"), 200).await;
    let back = browser.sign_in(&page, user, PASSWORD).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    browser
}

/// Three failed passwords lock an account; addresses are not throttled here.
fn limits() -> (tessera_core::Config, ThrottleConfig) {
    let policy = |free| LockoutPolicy::new(free, Duration::from_secs(30), Duration::from_secs(900));
    let mut config = config();
    config.lockout = policy(3);
    let throttle = ThrottleConfig {
        ip: policy(1000),
        ..ThrottleConfig::default()
    };
    (config, throttle)
}

/// Sends `request` and asserts the status (the contract is checked on the way).
async fn expect(app: &TestApp, request: Request<Body>, status: u16) -> Reply {
    let reply = app.send(request).await;
    assert_eq!(
        reply.status.as_u16(),
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply
}

/// The same through a browser (its cookies).
async fn expect_in(browser: &mut Browser<'_>, request: Request<Body>, status: u16) -> Reply {
    let reply = browser.send(request).await;
    assert_eq!(reply.status.as_u16(), status, "{}", body(&reply));
    reply
}

fn with_header(mut request: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    request
        .headers_mut()
        .append(name, HeaderValue::from_str(value).expect("header"));
    request
}

fn get(path: &str) -> Request<Body> {
    bare(Method::GET, path, None)
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

async fn operations(app: &TestApp) {
    expect(app, get("/healthz"), 200).await;
    expect(app, get("/readyz"), 200).await;
    expect(app, get("/metrics"), 200).await;
    expect(app, get("/openapi.json"), 200).await;
}

async fn discovery(app: &TestApp) {
    let metadata = expect(app, get("/.well-known/openid-configuration"), 200).await;
    assert_eq!(
        metadata.json()["grant_types_supported"][0],
        "authorization_code"
    );
    expect(app, get("/.well-known/oauth-authorization-server"), 200).await;
    expect(app, get("/.well-known/jwks.json"), 200).await;
}

/// The CORS preflight of every route that has one: answered for a registered origin, a plain
/// `OPTIONS` told the methods, an unregistered origin refused.
async fn cors(app: &TestApp) {
    let web = tessera_core::model::ClientWeb {
        allowed_origins: vec!["https://spa.example".into()],
        ..Default::default()
    };
    let new = tessera_core::NewClient::new("SPA", &[Grant::RefreshToken])
        .public(true)
        .with_web(web);
    app.authority
        .register_client(&new, &Actor::Operator)
        .await
        .expect("client");
    let preflight = |path: &str, origin: &str| {
        let request = with_header(bare(Method::OPTIONS, path, None), "origin", origin);
        with_header(request, "access-control-request-method", "POST")
    };
    for path in tessera_server::http::cors::ROUTES {
        expect(app, preflight(path, "https://spa.example"), 204).await;
        expect(app, bare(Method::OPTIONS, path, None), 204).await;
        expect(app, preflight(path, "https://evil.example"), 403).await;
    }
}

/// What later steps need from the token endpoint.
struct Tokens {
    client: TestClient,
    service: TestClient,
    access: String,
    refresh: String,
}

async fn token_endpoint(app: &TestApp) -> Tokens {
    app.user("alice", &[]).await;
    app.user("locked", &[]).await;
    let client = app.app_client().await;
    let grant =
        |fields: &[(&str, &str)], client: Option<&TestClient>| form("/oauth/token", fields, client);
    let password = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
        ("scope", "read"),
    ];
    let tokens = expect(app, grant(&password, Some(&client)), 200)
        .await
        .json();
    let refreshed = expect(
        app,
        grant(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &text(&tokens, "refresh_token")),
                ("scope", "read"),
            ],
            Some(&client),
        ),
        200,
    )
    .await
    .json();
    let service = app.client(&[Grant::ClientCredentials], false).await;
    let secret = service.secret.clone().expect("a secret");
    let issued = expect(
        app,
        grant(
            &[
                ("grant_type", "client_credentials"),
                ("scope", "read"),
                ("client_id", &service.id),
                ("client_secret", &secret),
            ],
            None,
        ),
        200,
    )
    .await
    .json();
    assert!(issued["refresh_token"].is_null(), "{issued}");
    token_exchange(
        app,
        &text(&tokens, "access_token"),
        &text(&issued, "access_token"),
    )
    .await;
    dpop_token_response(app, &service).await;
    // Refusals.
    let wrong = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wrong"),
    ];
    expect(app, grant(&wrong, Some(&client)), 400).await;
    let impostor = TestClient {
        id: client.id.clone(),
        secret: Some("not the secret".into()),
    };
    expect(app, grant(&password, Some(&impostor)), 401).await;
    expect(app, grant(&[("grant_type", "magic")], Some(&client)), 400).await;
    let locked = [
        ("grant_type", "password"),
        ("username", "locked"),
        ("password", "wrong"),
    ];
    for _ in 0..3 {
        expect(app, grant(&locked, Some(&client)), 400).await;
    }
    expect(app, grant(&locked, Some(&client)), 429).await;
    Tokens {
        client,
        service,
        access: text(&refreshed, "access_token"),
        refresh: text(&refreshed, "refresh_token"),
    }
}

/// Token exchange (RFC 8693) with every parameter, and a target the client may not ask for.
async fn token_exchange(app: &TestApp, subject: &str, actor: &str) {
    let (gateway, secret) = app
        .authority
        .create_client(
            "gateway",
            &[Grant::TokenExchange],
            &[],
            &["orders-api".into()],
            false,
            &Actor::Operator,
        )
        .await
        .expect("gateway");
    let gateway = TestClient {
        id: gateway.id.into_string(),
        secret,
    };
    let at = "urn:ietf:params:oauth:token-type:access_token";
    let mut fields = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", subject),
        ("subject_token_type", at),
        ("actor_token", actor),
        ("actor_token_type", at),
        ("audience", "orders-api"),
        ("resource", "orders-api"),
        ("requested_token_type", at),
        ("scope", "read"),
    ];
    let reply = expect(app, form("/oauth/token", &fields, Some(&gateway)), 200).await;
    assert_eq!(reply.json()["issued_token_type"], at);
    fields[5] = ("audience", "payroll");
    expect(app, form("/oauth/token", &fields, Some(&gateway)), 400).await;
}

/// A token response for a DPoP proof (token_type DPoP), its introspection (cnf), and a
/// refused proof (a replay).
async fn dpop_token_response(app: &TestApp, service: &TestClient) {
    let key = tessera_jose::SigningKey::generate(tessera_jose::Algorithm::ES256).expect("key");
    let proof = tessera_jose::dpop::proof(&key, "POST", &format!("{ISSUER}/oauth/token"))
        .sign()
        .expect("proof");
    let cc = || {
        let request = form(
            "/oauth/token",
            &[("grant_type", "client_credentials"), ("scope", "read")],
            Some(service),
        );
        with_header(request, "dpop", &proof)
    };
    let bound = expect(app, cc(), 200).await.json();
    assert_eq!(bound["token_type"], "DPoP");
    let seen = expect(
        app,
        form(
            "/oauth/introspect",
            &[("token", &text(&bound, "access_token"))],
            Some(service),
        ),
        200,
    )
    .await
    .json();
    assert_eq!(seen["token_type"], "DPoP");
    assert!(seen["cnf"]["jkt"].is_string(), "{seen}");
    let replayed = expect(app, cc(), 400).await;
    assert_eq!(replayed.json()["error"], "invalid_dpop_proof");
}

async fn revoke_and_introspect(app: &TestApp, tokens: &Tokens) {
    let active = expect(
        app,
        form(
            "/oauth/introspect",
            &[
                ("token", &tokens.access),
                ("token_type_hint", "access_token"),
            ],
            Some(&tokens.client),
        ),
        200,
    )
    .await;
    assert_eq!(active.json()["active"], true);
    let secret = tokens.service.secret.clone().expect("a secret");
    let inactive = expect(
        app,
        form(
            "/oauth/introspect",
            &[
                ("token", "not-a-token"),
                ("client_id", &tokens.service.id),
                ("client_secret", &secret),
            ],
            None,
        ),
        200,
    )
    .await;
    assert_eq!(inactive.json(), json!({"active": false}));
    let public = app.client(&[Grant::RefreshToken], true).await;
    let impostor = TestClient {
        id: tokens.client.id.clone(),
        secret: Some("not the secret".into()),
    };
    let probe = [("token", tokens.access.as_str())];
    expect(app, form("/oauth/introspect", &probe, Some(&public)), 400).await;
    expect(app, form("/oauth/introspect", &probe, Some(&impostor)), 401).await;

    expect(
        app,
        form(
            "/oauth/revoke",
            &[
                ("token", &tokens.refresh),
                ("token_type_hint", "refresh_token"),
            ],
            Some(&tokens.client),
        ),
        200,
    )
    .await;
    expect(
        app,
        form(
            "/oauth/revoke",
            &[
                ("token", "unknown"),
                ("client_id", &tokens.service.id),
                ("client_secret", &secret),
            ],
            None,
        ),
        200,
    )
    .await;
    expect(app, form("/oauth/revoke", &[], Some(&tokens.client)), 400).await;
    expect(app, form("/oauth/revoke", &probe, Some(&impostor)), 401).await;
}

async fn account(app: &TestApp) {
    app.user("carol", &[]).await;
    app.user("dave", &[]).await;
    let client = app.app_client().await;
    app.login(&client, "carol").await;
    let second = app.login(&client, "carol").await;
    let token = text(&second, "access_token");
    let bearer = Some(token.as_str());

    let info = expect(app, bare(Method::GET, "/userinfo", bearer), 200).await;
    assert_eq!(info.json()["preferred_username"], "carol");
    expect(app, bare(Method::POST, "/userinfo", bearer), 200).await;
    expect(app, bare(Method::GET, "/userinfo", None), 401).await;
    let twice = with_header(
        bare(Method::GET, "/userinfo", bearer),
        "authorization",
        "Bearer another",
    );
    expect(app, twice, 400).await;
    expect(app, bare(Method::POST, "/userinfo", None), 401).await;
    let twice = with_header(
        bare(Method::POST, "/userinfo", bearer),
        "authorization",
        "Bearer another",
    );
    expect(app, twice, 400).await;
    dpop_userinfo(app, &client).await;

    let list = expect(app, bare(Method::GET, "/account/sessions", bearer), 200).await;
    let sessions = list.json()["sessions"]
        .as_array()
        .expect("sessions")
        .clone();
    assert_eq!(sessions.len(), 2);
    let service = app.client(&[Grant::ClientCredentials], false).await;
    let service_token = text(
        &expect(
            app,
            form(
                "/oauth/token",
                &[("grant_type", "client_credentials")],
                Some(&service),
            ),
            200,
        )
        .await
        .json(),
        "access_token",
    );
    expect(
        app,
        bare(Method::GET, "/account/sessions", Some(&service_token)),
        401,
    )
    .await;
    let other = sessions
        .iter()
        .find(|s| s["current"] == false)
        .expect("the other session");
    let path = format!("/account/sessions/{}", text(other, "id"));
    expect(app, bare(Method::DELETE, &path, bearer), 204).await;
    expect(app, bare(Method::DELETE, &path, bearer), 404).await;
    expect(app, bare(Method::DELETE, &path, None), 401).await;

    let change = |current: &str, new: &str, token: &str| {
        let mut request = form(
            "/account/password",
            &[("current_password", current), ("new_password", new)],
            None,
        );
        request.headers_mut().insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        request
    };
    expect(app, change("wrong", "a new passphrase", &token), 403).await;
    expect(app, change(PASSWORD, "", &token), 400).await;
    expect(app, change(PASSWORD, "a new passphrase", &token), 204).await;
    let mut anonymous = change(PASSWORD, "x", &token);
    anonymous.headers_mut().remove(header::AUTHORIZATION);
    expect(app, anonymous, 401).await;
    let dave = text(&app.login(&client, "dave").await, "access_token");
    for _ in 0..3 {
        expect(app, change("wrong", "a new passphrase", &dave), 403).await;
    }
    expect(app, change("wrong", "a new passphrase", &dave), 429).await;

    expect(app, bare(Method::POST, "/logout", bearer), 204).await;
    expect(app, bare(Method::POST, "/logout", bearer), 401).await;
}

/// `/userinfo` with a DPoP-bound token: accepted with its proof, refused as a bearer token.
async fn dpop_userinfo(app: &TestApp, client: &TestClient) {
    let key = tessera_jose::SigningKey::generate(tessera_jose::Algorithm::ES256).expect("key");
    let proof = tessera_jose::dpop::proof(&key, "POST", &format!("{ISSUER}/oauth/token"))
        .sign()
        .expect("proof");
    let login = form(
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("username", "dave"),
            ("password", PASSWORD),
        ],
        Some(client),
    );
    let tokens = expect(app, with_header(login, "dpop", &proof), 200)
        .await
        .json();
    let token = text(&tokens, "access_token");
    for method in [Method::GET, Method::POST] {
        let proof = tessera_jose::dpop::proof(&key, method.as_str(), &format!("{ISSUER}/userinfo"))
            .access_token(&token)
            .sign()
            .expect("proof");
        let request = Request::builder()
            .method(method)
            .uri("/userinfo")
            .header(header::AUTHORIZATION, format!("DPoP {token}"))
            .header("dpop", proof)
            .body(Body::empty())
            .expect("request");
        expect(app, request, 200).await;
    }
    let downgrade = expect(app, bare(Method::GET, "/userinfo", Some(&token)), 401).await;
    assert!(downgrade.header("www-authenticate").starts_with("DPoP "));
}

async fn revocation_feed(app: &TestApp) {
    let page = expect(app, get("/revocations?since=0&limit=10"), 200).await;
    assert!(
        !page.json()["revocations"]
            .as_array()
            .expect("list")
            .is_empty()
    );
    expect(app, get("/revocations?since=soon"), 400).await;
    expect(
        app,
        with_header(get("/revocations/stream"), "last-event-id", "x"),
        400,
    )
    .await;
    // The stream never ends: its head is checked, with an empty body.
    let request = with_header(
        get("/revocations/stream?since=0&limit=5"),
        "last-event-id",
        "0",
    );
    let sent = Sent {
        method: request.method().clone(),
        uri: request.uri().clone(),
        headers: request.headers().clone(),
        body: Default::default(),
    };
    let response = app
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible");
    let reply = Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body: Default::default(),
    };
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(essence(reply.header("content-type")), "text/event-stream");
    app.check_exchange(&sent, &reply);
}

/// A cross-site POST of `fields` to `path`.
fn cross_site(path: &str, fields: &[(&str, &str)]) -> Request<Body> {
    with_header(form(path, fields, None), "origin", "https://evil.example")
}

async fn browser(app: &TestApp) {
    let first_party = web_client(app, true, None).await;
    let third_party = web_client(app, false, None).await;
    app.user("erin", &[]).await;
    app.user("frank", &[]).await;
    expect(app, get("/ui/static/tessera.css"), 200).await;
    expect(app, get("/ui/static/logo"), 200).await;

    // GET /oauth/authorize with every parameter, then the sign-in form.
    let mut browser = Browser::new(app);
    let every = "&response_mode=query&prompt=login&max_age=600&login_hint=erin&ui_locales=en\
                 &acr_values=pwd";
    let page = expect_in(&mut browser, get(&authorize_path(&first_party, every)), 200).await;
    assert!(body(&page).contains(r#"action="/ui/login""#));
    // Refusals of the sign-in form, then a sign-in that goes back to the client.
    let mut fields = hidden_fields(&body(&page));
    fields.push(("username".into(), "erin".into()));
    fields.push(("password".into(), "wrong".into()));
    fields.push(("action".into(), "sign_in".into()));
    expect_in(&mut browser, form("/ui/login", &pairs(&fields), None), 401).await;
    expect_in(&mut browser, cross_site("/ui/login", &pairs(&fields)), 403).await;
    let forged: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| match k.as_str() {
            "csrf_token" => (k.clone(), "forged".to_owned()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    expect_in(&mut browser, form("/ui/login", &pairs(&forged), None), 400).await;
    let back = browser.sign_in(&page, "erin", PASSWORD).await;
    let code = redirect_params(&back)["code"].clone();
    let tokens = redeem(app, &first_party, &code).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", body(&tokens));
    let id_token = text(&tokens.json(), "id_token");
    // Cancelling sends access_denied back.
    let mut other = Browser::new(app);
    let page = other.get(&authorize_path(&first_party, "")).await;
    let mut fields = hidden_fields(&body(&page));
    fields.push(("action".into(), "cancel".into()));
    let cancelled = expect_in(&mut other, form("/ui/login", &pairs(&fields), None), 303).await;
    assert_eq!(redirect_params(&cancelled)["error"], "access_denied");
    // A locked account.
    let mut locked = Browser::new(app);
    let page = locked.get("/ui/login").await;
    let mut fields = hidden_fields(&body(&page));
    fields.push(("username".into(), "locked".into()));
    fields.push(("password".into(), PASSWORD.into()));
    expect_in(&mut locked, form("/ui/login", &pairs(&fields), None), 429).await;

    // The authorization endpoint: single sign-on, refusals, and POST.
    let again = expect_in(&mut browser, get(&authorize_path(&first_party, "")), 303).await;
    assert!(redirect_params(&again).contains_key("code"));
    let objects = authorize_path(
        &first_party,
        "&request=x&request_uri=https%3A%2F%2Fx.example",
    );
    let refused = expect_in(&mut browser, get(&objects), 303).await;
    assert!(redirect_params(&refused).contains_key("error"));
    let unknown =
        "/oauth/authorize?response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fx";
    expect_in(&mut browser, get(unknown), 400).await;
    let query = authorize_path(&first_party, every);
    let query = query.split_once('?').expect("query").1.to_owned();
    let mut posted: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    posted.push(("request".into(), "x".into()));
    posted.push(("request_uri".into(), "https://x.example".into()));
    let refused = expect_in(
        &mut browser,
        form("/oauth/authorize", &pairs(&posted), None),
        303,
    )
    .await;
    assert!(redirect_params(&refused).contains_key("error"));
    let plain: Vec<(String, String)> = form_urlencoded::parse(
        authorize_path(&first_party, "")
            .split_once('?')
            .expect("query")
            .1
            .as_bytes(),
    )
    .into_owned()
    .collect();
    let sso = expect_in(
        &mut browser,
        form("/oauth/authorize", &pairs(&plain), None),
        303,
    )
    .await;
    assert!(redirect_params(&sso).contains_key("code"));
    let mut fresh = Browser::new(app);
    expect_in(
        &mut fresh,
        form("/oauth/authorize", &pairs(&plain), None),
        200,
    )
    .await;
    let repeated = [("client_id", "a"), ("client_id", "b")];
    expect_in(&mut fresh, form("/oauth/authorize", &repeated, None), 400).await;

    // Signing in where consent is needed answers with the consent page.
    let mut asked = Browser::new(app);
    let page = asked.get(&authorize_path(&third_party, "")).await;
    let consent = asked.sign_in(&page, "alice", PASSWORD).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", body(&consent));
    assert!(body(&consent).contains(r#"action="/ui/consent""#));

    // Consent: allowed; refused forms; a consent posted after signing out.
    let consent = expect_in(&mut browser, get(&authorize_path(&third_party, "")), 200).await;
    assert!(body(&consent).contains(r#"action="/ui/consent""#));
    let mut fields = hidden_fields(&body(&consent));
    fields.push(("decision".into(), "allow".into()));
    expect_in(
        &mut browser,
        cross_site("/ui/consent", &pairs(&fields)),
        403,
    )
    .await;
    let session = browser
        .cookies
        .remove("tessera_session")
        .expect("signed in");
    expect_in(
        &mut browser,
        form("/ui/consent", &pairs(&fields), None),
        200,
    )
    .await;
    browser.cookies.insert("tessera_session".into(), session);
    let allowed = expect_in(
        &mut browser,
        form("/ui/consent", &pairs(&fields), None),
        303,
    )
    .await;
    assert!(redirect_params(&allowed).contains_key("code"));
    expect_in(
        &mut browser,
        form("/ui/consent", &[("csrf_token", "forged")], None),
        400,
    )
    .await;

    // The account page and its forms.
    expect_in(&mut fresh, get("/ui/account"), 303).await;
    // A second browser of erin's, for the first to sign out.
    signed_in_as(app, &first_party, "erin").await;
    let account = body(&expect_in(&mut browser, get("/ui/account"), 200).await);
    let password = account_form(
        &account,
        "/ui/account/password",
        &[
            ("current_password", "wrong"),
            ("new_password", "a new passphrase"),
        ],
    );
    expect_in(
        &mut browser,
        form("/ui/account/password", &pairs(&password), None),
        400,
    )
    .await;
    expect_in(
        &mut browser,
        cross_site("/ui/account/password", &pairs(&password)),
        403,
    )
    .await;
    expect_in(
        &mut fresh,
        form("/ui/account/password", &pairs(&password), None),
        303,
    )
    .await;
    let end = account_form(&account, "/ui/account/sessions", &[]);
    assert!(end.iter().any(|(k, _)| k == "session"), "{account}");
    expect_in(
        &mut browser,
        cross_site("/ui/account/sessions", &pairs(&end)),
        403,
    )
    .await;
    expect_in(
        &mut fresh,
        form("/ui/account/sessions", &pairs(&end), None),
        303,
    )
    .await;
    expect_in(
        &mut browser,
        form("/ui/account/sessions", &[("csrf_token", "forged")], None),
        400,
    )
    .await;
    expect_in(
        &mut browser,
        form("/ui/account/sessions", &pairs(&end), None),
        200,
    )
    .await;
    let password = account_form(
        &account,
        "/ui/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a new passphrase"),
        ],
    );
    expect_in(
        &mut browser,
        form("/ui/account/password", &pairs(&password), None),
        200,
    )
    .await;
    // Too many wrong current passwords lock the form.
    let (mut franks, _) = signed_in_as(app, &first_party, "frank").await;
    let account = body(&franks.get("/ui/account").await);
    let wrong = account_form(
        &account,
        "/ui/account/password",
        &[
            ("current_password", "wrong"),
            ("new_password", "a new passphrase"),
        ],
    );
    for _ in 0..3 {
        expect_in(
            &mut franks,
            form("/ui/account/password", &pairs(&wrong), None),
            400,
        )
        .await;
    }
    expect_in(
        &mut franks,
        form("/ui/account/password", &pairs(&wrong), None),
        429,
    )
    .await;

    // RP-initiated logout: asked, confirmed, refused, proven.
    let (mut leaving, _) = signed_in(app, &first_party).await;
    let ask = format!(
        "/oauth/logout?client_id={}&post_logout_redirect_uri={}&state=s&ui_locales=en",
        first_party.id,
        urlencode("https://elsewhere.example/")
    );
    let page = expect_in(&mut leaving, get(&ask), 200).await;
    let mut confirm = hidden_fields(&body(&page));
    confirm.push(("action".into(), "sign_out".into()));
    expect_in(
        &mut leaving,
        cross_site("/oauth/logout", &pairs(&confirm)),
        403,
    )
    .await;
    expect_in(
        &mut leaving,
        form("/oauth/logout", &[("csrf_token", "forged")], None),
        400,
    )
    .await;
    let done = expect_in(
        &mut leaving,
        form("/oauth/logout", &pairs(&confirm), None),
        200,
    )
    .await;
    assert!(body(&done).contains("You are signed out"));
    expect_in(&mut leaving, get("/oauth/logout?state=a&state=b"), 400).await;
    let proven = format!(
        "/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye",
        urlencode(BYE)
    );
    let out = expect_in(&mut browser, get(&proven), 303).await;
    assert_eq!(out.header("location"), format!("{BYE}?state=bye"));
    // POST with every relying-party parameter, from a signed-in browser.
    let (mut posting, code) = signed_in(app, &first_party).await;
    let tokens = redeem(app, &first_party, &code).await.json();
    let rp = [
        ("id_token_hint", text(&tokens, "id_token")),
        ("client_id", first_party.id.clone()),
        ("post_logout_redirect_uri", BYE.to_owned()),
        ("state", "bye".to_owned()),
        ("ui_locales", "en".to_owned()),
    ];
    let rp: Vec<(&str, &str)> = rp.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = expect_in(&mut posting, form("/oauth/logout", &rp, None), 303).await;
    assert!(out.header("location").starts_with(BYE));
}

/// Signs `user` in through `client` in a new browser; the browser and the code.
async fn signed_in_as<'a>(
    app: &'a TestApp,
    client: &TestClient,
    user: &str,
) -> (Browser<'a>, String) {
    let mut browser = Browser::new(app);
    let page = browser.get(&authorize_path(client, "")).await;
    let back = browser.sign_in(&page, user, PASSWORD).await;
    let code = redirect_params(&back)["code"].clone();
    (browser, code)
}

async fn admin(app: &TestApp) {
    let admin = app.admin_token().await;
    let token = Some(admin.as_str());
    let client = app.app_client().await;
    let user = text(&app.login(&client, "alice").await, "access_token");
    // Every admin endpoint refuses a missing token (401) and a user's (403).
    let everything = [
        (Method::GET, "/admin/users"),
        (Method::POST, "/admin/users"),
        (Method::PATCH, "/admin/users/x"),
        (Method::DELETE, "/admin/users/x"),
        (Method::POST, "/admin/users/x/unlock"),
        (Method::GET, "/admin/users/x/factors"),
        (Method::DELETE, "/admin/users/x/factors"),
        (Method::GET, "/admin/clients"),
        (Method::POST, "/admin/clients"),
        (Method::DELETE, "/admin/clients/x"),
        (Method::GET, "/admin/keys"),
        (Method::POST, "/admin/keys/rotate"),
        (Method::DELETE, "/admin/keys/x"),
        (Method::GET, "/admin/events"),
    ];
    for (method, path) in everything {
        expect(app, bare(method.clone(), path, None), 401).await;
        expect(app, bare(method, path, Some(&user)), 403).await;
    }

    let users = expect(app, bare(Method::GET, "/admin/users", token), 200).await;
    assert!(users.json().as_array().expect("users").len() >= 2);
    let new_user = json!({
        "username": "gina",
        "password": PASSWORD,
        "email": "gina@example.com",
        "roles": ["viewer"],
    });
    expect(
        app,
        json(Method::POST, "/admin/users", &admin, &new_user),
        201,
    )
    .await;
    expect(
        app,
        json(Method::POST, "/admin/users", &admin, &new_user),
        409,
    )
    .await;
    let unknown_field = json!({"username": "x", "password": PASSWORD, "colour": "blue"});
    expect(
        app,
        json(Method::POST, "/admin/users", &admin, &unknown_field),
        400,
    )
    .await;
    let update = json!({"disabled": true, "password": "another good passphrase", "roles": ["ops"]});
    expect(
        app,
        json(Method::PATCH, "/admin/users/gina", &admin, &update),
        204,
    )
    .await;
    expect(
        app,
        json(Method::PATCH, "/admin/users/nobody", &admin, &update),
        404,
    )
    .await;
    let bad = json!({"disabled": "yes"});
    expect(
        app,
        json(Method::PATCH, "/admin/users/gina", &admin, &bad),
        400,
    )
    .await;
    expect(
        app,
        bare(Method::POST, "/admin/users/gina/unlock", token),
        204,
    )
    .await;
    expect(
        app,
        bare(Method::POST, "/admin/users/nobody/unlock", token),
        404,
    )
    .await;
    // Second factors: an enrolled account's, then none after the reset.
    app.authority
        .enroll_totp_for("gina", &Actor::Operator)
        .await
        .expect("enrolled");
    let factors = expect(
        app,
        bare(Method::GET, "/admin/users/gina/factors", token),
        200,
    )
    .await
    .json();
    assert_eq!(factors["totp"]["pending"], false, "{factors}");
    expect(
        app,
        bare(Method::DELETE, "/admin/users/gina/factors", token),
        204,
    )
    .await;
    let none = expect(
        app,
        bare(Method::GET, "/admin/users/gina/factors", token),
        200,
    )
    .await
    .json();
    assert_eq!(none, json!({"totp": null, "recovery_codes_left": 0}));
    for method in [Method::GET, Method::DELETE] {
        expect(app, bare(method, "/admin/users/nobody/factors", token), 404).await;
    }
    expect(app, bare(Method::DELETE, "/admin/users/gina", token), 204).await;
    expect(app, bare(Method::DELETE, "/admin/users/gina", token), 404).await;

    let new_client = json!({
        "name": "Shop",
        "grants": ["authorization_code", "refresh_token"],
        "scopes": ["openid", "read"],
        "audiences": ["shop-api"],
        "public": true,
        "redirect_uris": ["https://shop.example/cb"],
        "post_logout_redirect_uris": ["https://shop.example/bye"],
        "backchannel_logout_uri": "https://shop.example/logout",
        "first_party": true,
        "allowed_origins": ["https://shop.example"],
        "require_dpop": true,
        "require_second_factor": true,
    });
    let created = expect(
        app,
        json(Method::POST, "/admin/clients", &admin, &new_client),
        201,
    )
    .await
    .json();
    assert_eq!(created["redirect_uris"], json!(["https://shop.example/cb"]));
    let rp = tessera_jose::jwe::DecryptionKey::generate(
        tessera_jose::jwe::KeyAlgorithm::EcdhEs,
        None,
        None,
    )
    .expect("key");
    let public = rp.encryption_key().expect("public half").to_jwk();
    let encrypting = json!({
        "name": "RP",
        "grants": ["refresh_token"],
        "jwks": {"keys": [serde_json::to_value(public).expect("jwk")]},
        "id_token_encrypted_response_alg": "ECDH-ES",
        "id_token_encrypted_response_enc": "A256GCM",
        "userinfo_signed_response_alg": "ES256",
        "userinfo_encrypted_response_alg": "ECDH-ES",
        "userinfo_encrypted_response_enc": "A128GCM",
    });
    expect(
        app,
        json(Method::POST, "/admin/clients", &admin, &encrypting),
        201,
    )
    .await;
    assert_eq!(created["require_dpop"], true);
    assert_eq!(created["require_second_factor"], true);
    let bad_grant = json!({"name": "x", "grants": ["magic"]});
    expect(
        app,
        json(Method::POST, "/admin/clients", &admin, &bad_grant),
        400,
    )
    .await;
    let clients = expect(app, bare(Method::GET, "/admin/clients", token), 200).await;
    assert!(clients.json().as_array().expect("clients").len() >= 2);
    let path = format!("/admin/clients/{}", text(&created, "client_id"));
    expect(app, bare(Method::DELETE, &path, token), 204).await;
    expect(app, bare(Method::DELETE, &path, token), 404).await;

    // The audit trail, with every filter, and a bad one.
    let page = expect(app, bare(Method::GET, "/admin/events?limit=2", token), 200)
        .await
        .json();
    let first = &page["events"][0];
    let filtered = format!(
        "/admin/events?type={}&user=u_x&client=c_x&since=2000-01-01T00:00:00Z\
         &until=2999-01-01T00:00:00Z&after=0&limit=5",
        text(first, "type")
    );
    expect(app, bare(Method::GET, &filtered, token), 200).await;
    expect(
        app,
        bare(Method::GET, "/admin/events?type=nope", token),
        400,
    )
    .await;

    // Keys last: retiring the old key ends the tokens it signed.
    expect(app, bare(Method::GET, "/admin/keys", token), 200).await;
    let changes = expect(
        app,
        json(
            Method::POST,
            "/admin/keys/rotate",
            &admin,
            &json!({"alg": "ES256"}),
        ),
        200,
    )
    .await
    .json();
    let new = changes
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["from"].is_null())
        .map(|c| text(c, "kid"))
        .expect("the new key");
    let none = json!({"alg": "none"});
    expect(
        app,
        json(Method::POST, "/admin/keys/rotate", &admin, &none),
        400,
    )
    .await;
    expect(app, bare(Method::POST, "/admin/keys/rotate", token), 200).await;
    let keys = expect(app, bare(Method::GET, "/admin/keys", token), 200)
        .await
        .json();
    let active = keys
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["state"] == "active")
        .map(|k| text(k, "kid"))
        .expect("the active key");
    assert_ne!(active, new, "the second rotation made another key");
    expect(
        app,
        bare(Method::DELETE, &format!("/admin/keys/{active}"), token),
        400,
    )
    .await;
    expect(app, bare(Method::DELETE, "/admin/keys/nokey", token), 404).await;
    expect(
        app,
        bare(Method::DELETE, &format!("/admin/keys/{new}"), token),
        200,
    )
    .await;
}
