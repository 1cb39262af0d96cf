//! `POST /ui/second-factor`: the second sign-in step. After a right password, a user with
//! an authenticator app is asked for one of its codes (or a recovery code); a signed-in
//! user whose client, roles or `acr_values` require a second factor is asked the same
//! (step-up). The page carries a sealed challenge naming the user, bound to the browser
//! and valid for five minutes, and the pending authorization request, if any.

use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera_core::Store;
use tessera_core::error::FactorError;
use tessera_core::model::{ClientId, UserId};

use super::super::params::Params;
use super::super::{ApiError, AppState, ClientIp};
use super::authorize::{Pending, current_session, proceed, respond};
use super::page::{Browser, Page, see_other};
use super::unavailable;

/// The purpose of the second-factor form's anti-CSRF token.
pub(crate) const PURPOSE: &str = "second-factor";

/// Where a browser goes after the second factor (or a cancel) when no client is waiting.
pub(crate) const HOME: &str = "/ui/account";

/// What the second-factor page shows besides the form.
pub(crate) struct Challenge<'a> {
    /// The sealed challenge (see `Authority::seal_challenge`).
    pub(crate) sealed: &'a str,
    /// The client the user signs in to, if any.
    pub(crate) client_name: Option<&'a str>,
    /// Where to go afterwards when no client is waiting (a page of ours).
    pub(crate) next: &'a str,
    /// An error to show (a catalogue key).
    pub(crate) error: Option<&'static str>,
}

/// The second-factor page for `user`, with a new challenge.
pub(crate) fn ask<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    user: &UserId,
    client_name: Option<&str>,
    next: &str,
    pending: &Pending,
) -> Page {
    let Ok(sealed) = state.authority().seal_challenge(user, &browser.binding) else {
        return Page::plain(StatusCode::SERVICE_UNAVAILABLE, "try again");
    };
    let challenge = Challenge {
        sealed: &sealed,
        client_name,
        next,
        error: None,
    };
    page(state, browser, StatusCode::OK, &challenge, pending)
}

/// The second-factor page with `challenge` and `pending` sealed into it.
fn page<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    status: StatusCode,
    challenge: &Challenge<'_>,
    pending: &Pending,
) -> Page {
    let locale = browser.locale(pending.params.ui_locales.as_deref());
    let request = if pending.params.client_id.is_some() {
        match pending.seal(state, browser) {
            Some(sealed) => Some(sealed),
            None => return Page::plain(StatusCode::SERVICE_UNAVAILABLE, "try again"),
        }
    } else {
        None
    };
    let ui = state.ui();
    let context = serde_json::json!({
        "title": ui.text(locale, "second_factor_title"),
        "client_name": challenge.client_name,
        "error": challenge.error.map(|key| ui.text(locale, key)),
        "csrf": state.authority().browser_token(PURPOSE, &browser.binding),
        "challenge": challenge.sealed,
        "next": challenge.next,
        "request": request,
    });
    Page::render(
        state,
        browser,
        locale,
        status,
        "second_factor.html",
        &context,
    )
}

/// `POST /ui/second-factor`.
#[utoipa::path(post, path = "/ui/second-factor", tag = "browser",
    request_body(content = crate::openapi::SecondFactorForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "signed in: the consent page, or a page that posts the response to the client", content_type = "text/html"),
        (status = 303, description = "signed in: back to the client (or to the page the step started from, `/ui/account` by default); cancelled: back to the client with `error=access_denied`, or to `/ui/account`", headers(("Location" = String), ("Set-Cookie" = String))),
        (status = 400, description = "the form expired (anti-CSRF token, challenge or sealed request not valid): the sign-in page", content_type = "text/html"),
        (status = 401, description = "the code is wrong or was used: the second-factor page again", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin)", content_type = "text/html"),
        (status = 429, description = "too many failed attempts: the second-factor page again", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn submit<S: Store>(
    State(state): State<AppState<S>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (browser, form, pending) = match super::login::posted(&state, &headers, form) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let authority = state.authority();
    let token = form.get("csrf_token").unwrap_or("");
    let sealed = form.get("challenge").unwrap_or("");
    let user = authority.open_challenge(&browser.binding, sealed);
    let user = match user {
        Some(user) if authority.check_browser_token(PURPOSE, &browser.binding, token) => user,
        _ => return super::login::expired(&state, &browser, &pending),
    };
    if form.get("action") == Some("cancel") {
        return cancel(&state, &browser, &pending).await;
    }
    let next = safe_next(form.get("next"));
    let current = match current_session(&state, &browser).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let client = pending.params.client_id.as_deref().map(ClientId::from);
    let again = |error: &'static str, status: StatusCode| {
        let challenge = Challenge {
            sealed,
            client_name: None,
            next,
            error: Some(error),
        };
        page(&state, &browser, status, &challenge, &pending).into_response()
    };
    if state.throttle().check_ip(ip, Instant::now()).is_err() {
        state.metrics().login_throttled();
        return again("locked", StatusCode::TOO_MANY_REQUESTS);
    }
    let code = form.get("code").unwrap_or("");
    let signed_in = match authority
        .sign_in_second_factor(&user, code, client.as_ref(), current.as_ref(), ip)
        .await
    {
        Ok(signed_in) => signed_in,
        Err(FactorError::WrongCode) => {
            state.metrics().login_failed();
            state.throttle().record_ip_failure(ip, Instant::now());
            return again("second_factor_wrong", StatusCode::UNAUTHORIZED);
        }
        Err(FactorError::Locked(_)) => {
            state.metrics().login_throttled();
            return again("locked", StatusCode::TOO_MANY_REQUESTS);
        }
        Err(FactorError::NoAccount) => {
            return super::login::expired(&state, &browser, &pending);
        }
        Err(_) => return unavailable(),
    };
    let cookie = browser.session_cookie(&signed_in.cookie_secret);
    if pending.params.client_id.is_none() {
        return see_other(next, vec![cookie]);
    }
    let pending = Pending {
        params: pending.params,
        signed_in_at: Some(signed_in.session.auth_time.secs()),
    };
    proceed(
        &state,
        &browser,
        &pending,
        Some(&signed_in.session),
        vec![cookie],
    )
    .await
}

/// The page to go to afterwards: one of ours under `/ui/` (with at most a query of one
/// `name=value`), else the account page (never another site: the field is the browser's to
/// change). What passes has no character that HTML would need escaped.
pub(crate) fn safe_next(next: Option<&str>) -> &str {
    next.filter(|path| {
        let (page, query) = path.split_once('?').unwrap_or((path, ""));
        let plain = |text: &str| {
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-_.~%".contains(&b))
        };
        page.starts_with("/ui/")
            && path.len() <= 256
            && !page.contains("//")
            && plain(page)
            && (query.is_empty()
                || query
                    .split_once('=')
                    .is_some_and(|(name, value)| plain(name) && plain(value)))
    })
    .unwrap_or(HOME)
}

/// "Cancel": the client hears `access_denied` (when the request still checks out); without
/// a client, the account page (which sends a browser that is not signed in to sign in).
async fn cancel<S: Store>(state: &AppState<S>, browser: &Browser, pending: &Pending) -> Response {
    let locale = browser.locale(pending.params.ui_locales.as_deref());
    if pending.params.client_id.is_some()
        && let Ok((request, _)) = state.authority().check_authorization(&pending.params).await
    {
        let denied = state.authority().deny(&request);
        return respond(state, browser, locale, &denied, Vec::new());
    }
    see_other(HOME, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_our_own_pages_are_a_next_step() {
        assert_eq!(safe_next(Some("/ui/admin")), "/ui/admin");
        assert_eq!(
            safe_next(Some("/ui/admin/users/bob")),
            "/ui/admin/users/bob"
        );
        for hostile in [
            "https://evil.example/",
            "//evil.example/ui/",
            "/ui//evil.example",
            "/oauth/token",
            "/ui/a?b=c&d=e",
            "/ui/a?b=\"><script>",
            "/ui/a?b",
            "/ui/\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/ui/account", "{hostile}");
        }
        assert_eq!(safe_next(None), "/ui/account");
    }
}
