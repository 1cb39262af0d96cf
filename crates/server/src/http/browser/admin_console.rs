//! `/ui/admin`: the operator console's accounts page, for a browser signed in as an
//! account with the `admin` role: a username search (paged), a table of accounts with
//! forms to disable, enable and delete each, and a form to create one.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use tessera_core::Store;
use tessera_core::authority::ACR_MFA;
use tessera_core::error::{AdminError, Entity};
use tessera_core::model::{Actor, Timestamp, User};
use time::OffsetDateTime;
use time::macros::format_description;

use super::super::bearer::ADMIN_ROLE;
use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::authorize::{Pending, current_session, set_up_second_factor};
use super::page::{Browser, Page, bad_request, cross_site, query_params, same_origin, see_other};
use super::second_factor;
use super::unavailable;

/// The purpose of the console forms' anti-CSRF token.
pub(crate) const PURPOSE: &str = "admin";

/// Accounts per page.
const PAGE_SIZE: u32 = 50;

/// The notices a redirect back to the console may name (`?notice=`), each a catalogue key.
const NOTICES: [&str; 4] = [
    "admin_user_created",
    "admin_user_disabled",
    "admin_user_enabled",
    "admin_user_deleted",
];

/// The browser and the account of a signed-in administrator.
pub(crate) struct Admin {
    /// The browser.
    pub(crate) browser: Browser,
    /// The administrator's account.
    pub(crate) user: User,
}

impl Admin {
    /// The administrator as the audit trail names them.
    pub(crate) fn actor(&self) -> Actor {
        Actor::User(self.user.id.clone())
    }
}

/// The query of a console page and its signed-in administrator; else the answer: 400 for
/// a query that cannot be read, then as [`signed_in_admin`].
pub(crate) async fn admin_page<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<(Params, Admin), Response> {
    let params = query_params(uri).map_err(|err| bad_request(state, headers, err.description()))?;
    let Some(browser) = Browser::read(state, headers) else {
        return Err(unavailable());
    };
    Ok((params, signed_in_admin(state, browser).await?))
}

/// The signed-in administrator of this browser; else the answer: to the sign-in page when
/// nobody is signed in, 403 when the account lacks the `admin` role; when the policy asks
/// the account for a second factor and the session was opened with a password only, the
/// second-factor page (or, without a factor, 403 saying to set one up).
pub(crate) async fn signed_in_admin<S: Store>(
    state: &AppState<S>,
    browser: Browser,
) -> Result<Admin, Response> {
    let Some(session) = current_session(state, &browser).await? else {
        return Err(see_other("/ui/login", Vec::new()));
    };
    let user = match state.authority().browser_user(&session).await {
        Ok(Some(user)) => user,
        Ok(None) => return Err(see_other("/ui/login", Vec::new())),
        Err(_) => return Err(unavailable()),
    };
    if user.disabled || !user.roles.iter().any(|role| role == ADMIN_ROLE) {
        let locale = browser.locale(None);
        let page = Page::error(
            state,
            &browser,
            locale,
            StatusCode::FORBIDDEN,
            "error_not_admin",
            None,
        );
        return Err(page.into_response());
    }
    let authority = state.authority();
    if authority.console_requires_second_factor(&user) && session.acr.as_deref() != Some(ACR_MFA) {
        // A password alone does not reach the console: step up, or set a factor up first.
        return Err(match authority.has_second_factor(&user.id).await {
            Ok(true) => {
                let pending = Pending::default();
                second_factor::ask(state, &browser, &user.id, None, "/ui/admin", &pending)
                    .into_response()
            }
            Ok(false) => {
                let locale = browser.locale(None);
                set_up_second_factor(state, &browser, locale, None).into_response()
            }
            Err(_) => unavailable(),
        });
    }
    Ok(Admin { browser, user })
}

/// What the page says above the accounts.
pub(crate) enum Outcome {
    /// Nothing.
    None,
    /// A notice (a catalogue key).
    Notice(&'static str),
    /// An error (a catalogue key), with the detail and the status to answer.
    Error(&'static str, Option<String>, StatusCode),
}

impl Outcome {
    /// The notice of a redirect back (`?notice=`), when it is one of `known`.
    pub(crate) fn from_notice(params: &Params, known: &[&'static str]) -> Self {
        params
            .get("notice")
            .and_then(|n| known.iter().find(|k| **k == n))
            .map_or(Self::None, |key| Self::Notice(key))
    }

    /// What to say for a refusal of the authority; `None` for a failure that is ours
    /// (answer [`unavailable`]).
    pub(crate) fn refusal(err: AdminError) -> Option<Self> {
        let (key, detail, status) = match err {
            AdminError::Invalid(why) => (
                "admin_invalid",
                Some(why.into_owned()),
                StatusCode::BAD_REQUEST,
            ),
            AdminError::Conflict(_) => ("admin_taken", None, StatusCode::CONFLICT),
            AdminError::NotFound(entity) => (not_found_key(entity), None, StatusCode::NOT_FOUND),
            AdminError::LastAdmin => ("admin_last_admin", None, StatusCode::FORBIDDEN),
            AdminError::KeyInUse => ("admin_key_in_use", None, StatusCode::CONFLICT),
            _ => return None,
        };
        Some(Self::Error(key, detail, status))
    }
}

/// The catalogue key saying that nothing of this kind has the name or id.
fn not_found_key(entity: Entity) -> &'static str {
    match entity {
        Entity::User => "admin_not_found",
        Entity::Client => "admin_client_not_found",
        Entity::LiveKey => "admin_key_not_found",
        Entity::Session => "admin_session_not_found",
        _ => "admin_webhook_not_found",
    }
}

/// Renders a console page from `template` with `values`, adding what every console page
/// shows: the title, the administrator, the notice or error, and the forms' anti-CSRF
/// token.
pub(crate) fn console_page<S: Store>(
    state: &AppState<S>,
    admin: &Admin,
    template: &str,
    title_key: &str,
    outcome: Outcome,
    mut values: serde_json::Value,
) -> Response {
    let locale = admin.browser.locale(None);
    let ui = state.ui();
    let (status, notice, error, detail) = match outcome {
        Outcome::None => (StatusCode::OK, None, None, None),
        Outcome::Notice(key) => (StatusCode::OK, Some(ui.text(locale, key)), None, None),
        Outcome::Error(key, detail, status) => (status, None, Some(ui.text(locale, key)), detail),
    };
    if let Some(map) = values.as_object_mut() {
        let common = serde_json::json!({
            "title": ui.text(locale, title_key),
            "admin": admin.user.username,
            "notice": notice,
            "error": error,
            "detail": detail,
            "csrf_admin": state.authority().browser_token(PURPOSE, &admin.browser.binding),
        });
        if let serde_json::Value::Object(common) = common {
            map.extend(common);
        }
    }
    Page::render(state, &admin.browser, locale, status, template, &values).into_response()
}

/// The administrator and the form of a console POST whose origin, session, role and
/// anti-CSRF token check out; else the answer (403 cross-site or not an administrator,
/// to the sign-in page, 400 for an expired form).
pub(crate) async fn admin_form<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    form: Result<Params, ApiError>,
) -> Result<(Admin, Params), Response> {
    let Some(browser) = Browser::read(state, headers) else {
        return Err(unavailable());
    };
    if !same_origin(state, headers) {
        return Err(cross_site(state, &browser));
    }
    let binding = browser.binding.clone();
    let admin = signed_in_admin(state, browser).await?;
    let form = form.ok().filter(|form| {
        let token = form.get("csrf_token").unwrap_or("");
        state
            .authority()
            .check_browser_token(PURPOSE, &binding, token)
    });
    let Some(form) = form else {
        let locale = admin.browser.locale(None);
        let page = Page::error(
            state,
            &admin.browser,
            locale,
            StatusCode::BAD_REQUEST,
            "form_expired",
            None,
        );
        return Err(page.into_response());
    };
    Ok((admin, form))
}

/// A path segment with everything but RFC 3986 unreserved characters escaped.
pub(crate) fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The search: a username prefix and the last username of the previous page.
#[derive(Default)]
pub(crate) struct Search {
    /// The prefix (empty for every account).
    pub(crate) q: String,
    /// The last username of the previous page.
    pub(crate) after: Option<String>,
}

/// `GET /ui/admin`; the sign-in page first when the browser is not signed in.
#[utoipa::path(get, path = "/ui/admin", tag = "browser",
    params(
        ("q" = Option<String>, Query, description = "a username prefix (case-insensitive)"),
        ("after" = Option<String>, Query, description = "the last username of the previous page"),
        ("notice" = Option<String>, Query, description = "what the previous form did (admin_user_created, …)")),
    responses(
        (status = 200, description = "the accounts page: search, accounts, their forms and the create form", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the query cannot be read", content_type = "text/html"),
        (status = 403, description = "the account lacks the admin role", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn show<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (params, admin) = match admin_page(&state, &headers, &uri).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let search = Search {
        q: params.get("q").unwrap_or("").trim().to_owned(),
        after: params
            .get("after")
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
    };
    let outcome = Outcome::from_notice(&params, &NOTICES);
    render(&state, &admin, &search, outcome).await
}

/// What a path segment may hold unescaped (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[derive(Serialize)]
struct Row {
    /// `/ui/admin/users/{username}`, escaped.
    path: String,
    username: String,
    email: Option<String>,
    roles: String,
    disabled: bool,
    created: String,
}

/// Renders the accounts page for `search`, saying `outcome`.
pub(crate) async fn render<S: Store>(
    state: &AppState<S>,
    admin: &Admin,
    search: &Search,
    outcome: Outcome,
) -> Response {
    let authority = state.authority();
    let Ok(users) = authority
        .search_users(&search.q, search.after.as_deref(), PAGE_SIZE)
        .await
    else {
        return unavailable();
    };
    let next = (u32::try_from(users.len()) == Ok(PAGE_SIZE))
        .then(|| users.last().map(|u| next_link(&search.q, &u.username)))
        .flatten();
    let rows: Vec<Row> = users.into_iter().map(row).collect();
    let values = serde_json::json!({
        "q": search.q,
        "users": rows,
        "next": next,
    });
    console_page(state, admin, "admin.html", "admin_title", outcome, values)
}

fn row(user: User) -> Row {
    Row {
        path: format!("/ui/admin/users/{}", segment(&user.username)),
        roles: user.roles.join(", "),
        created: utc(user.created_at),
        username: user.username,
        email: user.email,
        disabled: user.disabled,
    }
}

/// The link to the page after `last`.
fn next_link(q: &str, last: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", q)
        .append_pair("after", last)
        .finish();
    format!("/ui/admin?{query}")
}

/// `2026-12-07 04:05 UTC`.
pub(crate) fn utc(at: Timestamp) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp(at.secs())
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
