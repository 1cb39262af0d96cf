//! The pages and routes: `/` (who is signed in), `/login`, `/callback`, `/orders` (the API
//! called with the user's access token), `/logout`, and `/backchannel-logout` (Tessera's
//! logout tokens).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::oidc::{Pending, Provider, Tokens, random};

/// The most sign-ins in progress and sessions kept (a demo must not grow without bound).
const MAX_ENTRIES: usize = 10_000;
/// How long a sign-in may take.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// The application's own cookie: a random key into the server-side session table.
const COOKIE: &str = "demo_session";
/// The cookie that ties a sign-in in progress to this browser.
const LOGIN_COOKIE: &str = "demo_login";

/// How the application is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where this application is reached, such as `http://127.0.0.1:8082` (the redirect URI is
    /// `{base}/callback`).
    pub base: String,
    /// The scopes asked for.
    pub scope: String,
    /// The API's orders URL, called with the user's access token.
    pub api: Option<String>,
}

struct Shared {
    config: Config,
    provider: Provider,
    pending: Mutex<HashMap<String, (Pending, Instant)>>,
    sessions: Mutex<HashMap<String, Tokens>>,
}

/// The router over a discovered provider.
pub fn router(config: Config, provider: Provider) -> Router {
    let shared = Arc::new(Shared {
        config,
        provider,
        pending: Mutex::default(),
        sessions: Mutex::default(),
    });
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/orders", get(orders))
        .route("/logout", post(logout))
        .route("/backchannel-logout", post(backchannel_logout))
        .with_state(shared)
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} – Demo</title>\
         </head><body><main><h1>{}</h1>{body}</main></body></html>",
        escape(title),
        escape(title)
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let text = headers.get(header::COOKIE)?.to_str().ok()?;
    text.split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(response: &mut Response, name: &str, value: &str, clear: bool) {
    let age = if clear { "; Max-Age=0" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{age}");
    if let Ok(value) = HeaderValue::from_str(&text) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn session(shared: &Shared, headers: &HeaderMap) -> Option<Tokens> {
    let key = cookie(headers, COOKIE)?;
    let sessions = shared
        .sessions
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    sessions.get(&key).cloned()
}

async fn home(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Html<String> {
    match session(&shared, &headers) {
        Some(tokens) => page(
            "Demo shop",
            &format!(
                "<p>Signed in as <strong id=\"user\">{}</strong>.</p>\
                 <p><a href=\"/orders\">Your orders</a></p>\
                 <form method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form>",
                escape(&tokens.name)
            ),
        ),
        None => page(
            "Demo shop",
            "<p>You are not signed in.</p><p><a href=\"/login\" id=\"sign-in\">Sign in</a></p>",
        ),
    }
}

async fn login(State(shared): State<Arc<Shared>>) -> Response {
    let redirect_uri = format!("{}/callback", shared.config.base);
    let (Ok((url, pending)), Ok(key)) = (
        shared
            .provider
            .authorization_url(&redirect_uri, &shared.config.scope),
        random(),
    ) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    {
        let mut all = shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        all.retain(|_, (_, at)| at.elapsed() < PENDING_FOR);
        if all.len() >= MAX_ENTRIES {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        all.insert(key.clone(), (pending, Instant::now()));
    }
    let mut response = Redirect::to(&url).into_response();
    set_cookie(&mut response, LOGIN_COOKIE, &key, false);
    response
}

async fn callback(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(returned): Query<HashMap<String, String>>,
) -> Response {
    let pending = cookie(&headers, LOGIN_COOKIE).and_then(|key| {
        let mut all = shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        all.remove(&key)
    });
    let Some((pending, _)) = pending else {
        return (
            StatusCode::BAD_REQUEST,
            page(
                "Sign-in failed",
                "<p>No sign-in is in progress in this browser.</p>",
            ),
        )
            .into_response();
    };
    let redirect_uri = format!("{}/callback", shared.config.base);
    let tokens = match shared
        .provider
        .finish(&pending, &returned, &redirect_uri)
        .await
    {
        Ok(tokens) => tokens,
        Err(why) => {
            tracing::warn!(%why, "sign-in failed");
            let body = format!("<p>{}</p><p><a href=\"/\">Back</a></p>", escape(&why));
            return (StatusCode::BAD_REQUEST, page("Sign-in failed", &body)).into_response();
        }
    };
    let Ok(key) = random() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    {
        let mut sessions = shared
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if sessions.len() >= MAX_ENTRIES {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        sessions.insert(key.clone(), tokens);
    }
    let mut response = Redirect::to("/").into_response();
    set_cookie(&mut response, LOGIN_COOKIE, "", true);
    set_cookie(&mut response, COOKIE, &key, false);
    response
}

async fn orders(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let Some(tokens) = session(&shared, &headers) else {
        return Redirect::to("/login").into_response();
    };
    let Some(api) = &shared.config.api else {
        return page("Your orders", "<p>No API is configured (--api).</p>").into_response();
    };
    match shared.provider.call_api(api, &tokens.access_token).await {
        Ok((status, text)) => page(
            "Your orders",
            &format!(
                "<p>The API answered {status}.</p><pre id=\"orders\">{}</pre><p><a href=\"/\">Back</a></p>",
                escape(&text)
            ),
        )
        .into_response(),
        Err(why) => (StatusCode::BAD_GATEWAY, page("Your orders", &escape(&why))).into_response(),
    }
}

async fn logout(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let key = cookie(&headers, COOKIE);
    let tokens = key.as_ref().and_then(|key| {
        let mut sessions = shared
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sessions.remove(key)
    });
    let mut response = match tokens {
        Some(tokens) => {
            let after = format!("{}/", shared.config.base);
            Redirect::to(&shared.provider.end_session_url(&tokens, &after)).into_response()
        }
        None => Redirect::to("/").into_response(),
    };
    set_cookie(&mut response, COOKIE, "", true);
    response
}

async fn backchannel_logout(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<HashMap<String, String>>,
) -> StatusCode {
    let Some(token) = form.get("logout_token") else {
        return StatusCode::BAD_REQUEST;
    };
    match shared.provider.logout_sid(token) {
        Ok(sid) => {
            let mut sessions = shared
                .sessions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            sessions.retain(|_, tokens| tokens.sid != sid);
            tracing::info!("signed out by the provider (back-channel)");
            StatusCode::OK
        }
        Err(why) => {
            tracing::warn!(%why, "refused a logout token");
            StatusCode::BAD_REQUEST
        }
    }
}
