//! What every page shares: the browser's cookies (the anti-CSRF binding and the sign-in
//! session), the language, and the response with its security headers.

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::Store;
use tessera_core::secrets::random_token;

use super::super::params::{Params, strict_pairs};
use super::super::{ApiError, AppState};
use crate::ui::pick_locale;

/// The cookie that binds forms and sealed state to one browser (random, 256 bits).
const BINDING: &str = "tessera_browser";
/// The single sign-on session's cookie (its secret; the store keeps only a digest).
const SESSION: &str = "tessera_session";
/// The longest cookie header read, in bytes.
const MAX_COOKIE_HEADER: usize = 8 * 1024;

/// The browser behind a request, as its cookies and headers describe it.
#[derive(Debug)]
pub(crate) struct Browser {
    /// The binding value (from its cookie, or new).
    pub(crate) binding: String,
    /// True when the binding is new and its cookie must be set.
    fresh_binding: bool,
    /// The session cookie's secret, if it sent one.
    pub(crate) session_secret: Option<String>,
    accept_language: Option<String>,
    /// Cookies get the `__Host-` prefix and `Secure` when the issuer is https.
    secure: bool,
}

impl Browser {
    /// Reads the cookies; makes a new binding when there is none.
    pub(crate) fn read<S: Store>(state: &AppState<S>, headers: &HeaderMap) -> Option<Self> {
        let secure = state.authority().config().issuer.starts_with("https://");
        let binding = cookie(headers, &name(BINDING, secure)).filter(|v| is_token(v));
        let session_secret = cookie(headers, &name(SESSION, secure)).filter(|v| is_token(v));
        let (binding, fresh_binding) = match binding {
            Some(binding) => (binding, false),
            None => (random_token().ok()?, true),
        };
        let accept_language = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(256).collect());
        Some(Self {
            binding,
            fresh_binding,
            session_secret,
            accept_language,
            secure,
        })
    }

    /// The language of the pages for this browser and request.
    pub(crate) fn locale(&self, ui_locales: Option<&str>) -> &'static str {
        pick_locale(ui_locales, self.accept_language.as_deref())
    }

    /// The `Set-Cookie` value that stores the session secret (a session cookie: it goes
    /// when the browser closes; the server ends the session on its own lifetimes).
    pub(crate) fn session_cookie(&self, secret: &str) -> String {
        set_cookie(&name(SESSION, self.secure), secret, self.secure, None)
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub(crate) fn clear_session_cookie(&self) -> String {
        set_cookie(&name(SESSION, self.secure), "", self.secure, Some(0))
    }

    fn binding_cookie(&self) -> Option<String> {
        self.fresh_binding.then(|| {
            set_cookie(
                &name(BINDING, self.secure),
                &self.binding,
                self.secure,
                None,
            )
        })
    }
}

/// A cookie's name, with the `__Host-` prefix (host-only, path `/`, `Secure`) over https.
fn name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u32>) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    cookie
}

/// The value of cookie `name` (the first, in a header of bounded size).
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut seen = 0;
    for value in headers.get_all(header::COOKIE) {
        seen += value.len();
        if seen > MAX_COOKIE_HEADER {
            return None;
        }
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((n, v)) = pair.trim().split_once('=')
                && n == name
            {
                return Some(v.to_owned());
            }
        }
    }
    None
}

/// True for a value we could have issued (base64url, 16 to 64 characters).
fn is_token(value: &str) -> bool {
    (16..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// False when a form was posted from another site, checked besides the anti-CSRF token.
/// Browsers send `Origin` with every POST; under our `Referrer-Policy: no-referrer` it is
/// `null` even for our own forms, and then `Sec-Fetch-Site` (sent by current browsers
/// whatever the referrer policy) must say `same-origin`. A request with neither header (not
/// a browser) is left to the token.
pub(crate) fn same_origin<S: Store>(state: &AppState<S>, headers: &HeaderMap) -> bool {
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("?"));
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or("?"));
    match (origin, fetch_site) {
        (Some(origin), _) if origin != "null" => {
            let ours = url::Url::parse(&state.authority().config().issuer)
                .map(|url| url.origin().ascii_serialization())
                .unwrap_or_default();
            origin == ours
        }
        (_, Some(site)) => site == "same-origin",
        (Some(_null), None) => false,
        (None, None) => true,
    }
}

/// The 403 page for a form posted from another site.
pub(crate) fn cross_site<S: Store>(state: &AppState<S>, browser: &Browser) -> Response {
    let locale = browser.locale(None);
    Page::error(
        state,
        browser,
        locale,
        StatusCode::FORBIDDEN,
        "error_cross_site",
        None,
    )
    .into_response()
}

/// The parameters of a page's GET: its query, decoded as strictly as a form body (a repeat,
/// an oversized value or bytes that are not UTF-8 once percent-decoded are refused).
pub(crate) fn query_params(uri: &Uri) -> Result<Params, ApiError> {
    Params::from_pairs(strict_pairs(uri.query().unwrap_or("").as_bytes())?)
}

/// The 400 error page for a request whose parameters cannot be read.
pub(crate) fn bad_request<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    why: &str,
) -> Response {
    let Some(browser) = Browser::read(state, headers) else {
        return super::unavailable();
    };
    let locale = browser.locale(None);
    Page::error(
        state,
        &browser,
        locale,
        StatusCode::BAD_REQUEST,
        "error_bad_request",
        Some(why),
    )
    .into_response()
}

/// A rendered page and what its response must carry.
#[derive(Debug)]
pub(crate) struct Page {
    status: StatusCode,
    html: String,
    nonce: String,
    /// Origins besides our own that the page's forms may submit to (or be redirected to
    /// after submitting): the client's, for the sign-in and consent pages.
    form_targets: Vec<String>,
    cookies: Vec<String>,
}

impl Page {
    /// Renders `template` with `values` for `browser`; an error page if rendering fails.
    pub(crate) fn render<S: Store, T: Serialize>(
        state: &AppState<S>,
        browser: &Browser,
        locale: &str,
        status: StatusCode,
        template: &str,
        values: &T,
    ) -> Self {
        let nonce = random_token().unwrap_or_default();
        let with_nonce = WithNonce {
            nonce: &nonce,
            values,
        };
        let html = match state.ui().render(template, locale, &with_nonce) {
            Ok(html) => html,
            Err(err) => {
                tracing::error!(template, error = %err, "a page failed to render");
                return Self::plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page failed to render",
                );
            }
        };
        let mut page = Self {
            status,
            html,
            nonce,
            form_targets: Vec::new(),
            cookies: Vec::new(),
        };
        page.cookies.extend(browser.binding_cookie());
        page
    }

    /// The error page: `status`, the catalogue's `message_key`, and an optional detail for
    /// developers.
    pub(crate) fn error<S: Store>(
        state: &AppState<S>,
        browser: &Browser,
        locale: &str,
        status: StatusCode,
        message_key: &str,
        detail: Option<&str>,
    ) -> Self {
        let ui = state.ui();
        let values = serde_json::json!({
            "title": ui.text(locale, "error_title"),
            "message": ui.text(locale, message_key),
            "detail": detail,
        });
        Self::render(state, browser, locale, status, "error.html", &values)
    }

    /// A page that could not be rendered: plain text, never a template.
    pub(crate) fn plain(status: StatusCode, text: &str) -> Self {
        Self {
            status,
            html: format!("<!doctype html><title>Error</title><p>{text}</p>"),
            nonce: String::new(),
            form_targets: Vec::new(),
            cookies: Vec::new(),
        }
    }

    /// Lets the page's forms reach `uri`'s origin (a client's redirect URI).
    pub(crate) fn allow_form_target(mut self, uri: &str) -> Self {
        if let Ok(url) = url::Url::parse(uri) {
            let origin = url.origin().ascii_serialization();
            if origin != "null" {
                self.form_targets.push(origin);
            }
        }
        self
    }

    /// Adds a `Set-Cookie`.
    pub(crate) fn with_cookie(mut self, cookie: String) -> Self {
        self.cookies.push(cookie);
        self
    }
}

#[derive(Serialize)]
struct WithNonce<'a, T> {
    nonce: &'a str,
    #[serde(flatten)]
    values: &'a T,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.html).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        let targets = self.form_targets.join(" ");
        let csp = format!(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; \
             script-src 'nonce-{}'; form-action 'self' {targets}; frame-ancestors 'none'; \
             base-uri 'none'",
            self.nonce
        );
        if let Ok(csp) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        page_headers(headers);
        for cookie in self.cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.append(header::SET_COOKIE, value);
            }
        }
        response
    }
}

/// The headers every browser-facing answer carries: never cached, never framed, no
/// referrer (URLs here carry codes and states), no content sniffing.
pub(crate) fn page_headers(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// A `303 See Other` to `location` with the page headers and `cookies`.
pub(crate) fn see_other(location: &str, cookies: Vec<String>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            headers.insert(header::LOCATION, value);
        }
        Err(_) => return Page::plain(StatusCode::BAD_REQUEST, "bad redirect").into_response(),
    }
    page_headers(headers);
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("xtessera_session=a; tessera_session=b; other=c"),
        );
        assert_eq!(cookie(&headers, "tessera_session").as_deref(), Some("b"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn only_token_shaped_values_count() {
        assert!(is_token("abcdefghijklmnop_-0123"));
        assert!(!is_token("short"));
        assert!(!is_token("abcdefghijklmnop;x=1"));
        assert!(!is_token(&"a".repeat(65)));
    }

    #[test]
    fn cookies_are_http_only_and_lax_and_host_bound_over_https() {
        let plain = set_cookie(&name(SESSION, false), "v", false, None);
        assert_eq!(plain, "tessera_session=v; Path=/; HttpOnly; SameSite=Lax");
        let secure = set_cookie(&name(SESSION, true), "v", true, Some(0));
        assert_eq!(
            secure,
            "__Host-tessera_session=v; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0"
        );
    }
}
