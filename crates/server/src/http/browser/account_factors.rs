//! The account page's second factors: setting up an authenticator app (a QR code and the
//! secret in text, confirmed by a first code), its recovery codes (shown once, renewable),
//! and removing it. Each change ends the user's other sessions.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use tessera_core::Store;
use tessera_core::authority::TotpEnrollment;
use tessera_core::error::FactorError;
use tessera_core::model::{LoginSession, User};

use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::account::{Outcome, checked, render};
use super::page::{Browser, Page};
use super::unavailable;

/// `POST /ui/account/totp`: start setting up an authenticator app.
#[utoipa::path(post, path = "/ui/account/totp", tag = "browser",
    request_body(content = crate::openapi::AccountTokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the set-up page: a QR code, the secret in text, and a field for the first code", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin)", content_type = "text/html"),
        (status = 409, description = "an authenticator app is already set up: the account page, saying so", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn begin<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (browser, session, _) = match checked(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let Some(user) = user_of(&state, &session).await else {
        return unavailable();
    };
    match state.authority().begin_totp(&user).await {
        Ok(enrollment) => setup_page(&state, &browser, &enrollment, None),
        Err(FactorError::AlreadyEnrolled) => {
            let outcome = Outcome::Error("totp_already", StatusCode::CONFLICT);
            render(&state, &browser, &session, outcome).await
        }
        Err(_) => unavailable(),
    }
}

/// `POST /ui/account/totp/confirm`: confirm the app with its first code; the recovery
/// codes are shown once.
#[utoipa::path(post, path = "/ui/account/totp/confirm", tag = "browser",
    request_body(content = crate::openapi::AccountTotpConfirmForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "confirmed: the recovery codes, shown once", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the code is wrong (the set-up page again), nothing is being set up (the account page), or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin)", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn confirm<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (browser, session, form) = match checked(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let authority = state.authority();
    let code = form.get("code").unwrap_or("");
    match authority
        .confirm_totp(&session.user_id, code, Some(&session.id))
        .await
    {
        Ok(codes) => {
            state.logout_notices().notify_one();
            codes_page(&state, &browser, &codes, "totp_enrolled")
        }
        Err(FactorError::WrongCode) => {
            let Some(user) = user_of(&state, &session).await else {
                return unavailable();
            };
            match authority.pending_totp(&user).await {
                Ok(Some(enrollment)) => {
                    setup_page(&state, &browser, &enrollment, Some("second_factor_wrong"))
                }
                Ok(None) => not_enrolling(&state, &browser, &session).await,
                Err(_) => unavailable(),
            }
        }
        Err(FactorError::NotEnrolling) => not_enrolling(&state, &browser, &session).await,
        Err(_) => unavailable(),
    }
}

/// `POST /ui/account/recovery-codes`: replace the recovery codes with new ones, shown once.
#[utoipa::path(post, path = "/ui/account/recovery-codes", tag = "browser",
    request_body(content = crate::openapi::AccountTokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the new recovery codes, shown once", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "no authenticator app is set up (the account page), or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin)", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn recovery_codes<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (browser, session, _) = match checked(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    match state
        .authority()
        .regenerate_recovery_codes(&session.user_id, Some(&session.id))
        .await
    {
        Ok(codes) => {
            state.logout_notices().notify_one();
            codes_page(&state, &browser, &codes, "recovery_codes_renewed")
        }
        Err(FactorError::NotEnrolling) => not_enrolling(&state, &browser, &session).await,
        Err(_) => unavailable(),
    }
}

/// `POST /ui/account/totp/remove`: remove the authenticator app and the recovery codes
/// (the form's `confirm` box must be ticked).
#[utoipa::path(post, path = "/ui/account/totp/remove", tag = "browser",
    request_body(content = crate::openapi::AccountTotpRemoveForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the account page, saying whether anything was removed", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "not confirmed, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin)", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn remove<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (browser, session, form) = match checked(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    if form.get("confirm") != Some("yes") {
        let outcome = Outcome::Error("totp_remove_unconfirmed", StatusCode::BAD_REQUEST);
        return render(&state, &browser, &session, outcome).await;
    }
    match state
        .authority()
        .remove_own_factors(&session.user_id, Some(&session.id))
        .await
    {
        Ok(removed) => {
            state.logout_notices().notify_one();
            let key = if removed { "totp_removed" } else { "totp_none" };
            render(&state, &browser, &session, Outcome::Notice(key)).await
        }
        Err(_) => unavailable(),
    }
}

async fn user_of<S: Store>(state: &AppState<S>, session: &LoginSession) -> Option<User> {
    state.authority().browser_user(session).await.ok().flatten()
}

async fn not_enrolling<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    session: &LoginSession,
) -> Response {
    let outcome = Outcome::Error("totp_not_enrolling", StatusCode::BAD_REQUEST);
    render(state, browser, session, outcome).await
}

/// The set-up page: the QR code, the secret grouped in fours for typing, the first-code
/// form; 400 with `error` after a wrong code.
fn setup_page<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    enrollment: &TotpEnrollment,
    error: Option<&'static str>,
) -> Response {
    let Some(qr) = qr_svg(&enrollment.uri) else {
        return unavailable();
    };
    let locale = browser.locale(None);
    let ui = state.ui();
    let grouped: Vec<String> = enrollment
        .secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect();
    let values = serde_json::json!({
        "title": ui.text(locale, "totp_setup_title"),
        "qr": qr,
        "secret": grouped.join(" "),
        "error": error.map(|key| ui.text(locale, key)),
        "csrf_account": state.authority().browser_token(super::account::PURPOSE, &browser.binding),
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Page::render(state, browser, locale, status, "totp_setup.html", &values).into_response()
}

/// The recovery codes, shown once, under `notice`.
fn codes_page<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    codes: &[String],
    notice: &str,
) -> Response {
    let locale = browser.locale(None);
    let ui = state.ui();
    let values = serde_json::json!({
        "title": ui.text(locale, "recovery_codes_title"),
        "notice": ui.text(locale, notice),
        "codes": codes,
    });
    Page::render(
        state,
        browser,
        locale,
        StatusCode::OK,
        "recovery_codes.html",
        &values,
    )
    .into_response()
}

/// The QR code of `uri` as an inline SVG element (dark modules on white, with the quiet
/// zone), sized by CSS. The SVG is our own output from an ASCII URI, safe to embed.
pub(crate) fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    // Drop the XML prolog: the SVG goes inline into the page.
    let start = image.find("<svg")?;
    Some(image[start..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::qr_svg;

    #[test]
    fn the_qr_code_is_an_inline_svg() {
        let svg = qr_svg("otpauth://totp/Tessera:alice?secret=JBSWY3DPEHPK3PXP").expect("svg");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("<path") || svg.contains("<rect"), "{svg}");
        assert!(!svg.contains("<?xml"));
    }
}
