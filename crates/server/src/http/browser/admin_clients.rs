//! `/ui/admin/clients`: the operator console's clients: a list with the form to register
//! one (its secret shown once), and a page per client to change its grants, scopes,
//! audiences and URIs, give it a new secret (shown once), or delete it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Serialize;
use tessera_core::Store;
use tessera_core::authority::{ClientChanges, NewClient};
use tessera_core::error::AdminError;
use tessera_core::model::{Client, ClientWeb, Grant};

use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::admin_console::{Admin, Outcome, admin_form, admin_page, console_page, segment, utc};
use super::page::see_other;

/// The notices a redirect back to a clients page may name (`?notice=`).
const NOTICES: [&str; 2] = ["admin_client_saved", "admin_client_deleted"];

/// The grants the forms offer, each a checkbox `grant_{name}`.
const GRANTS: [Grant; 6] = [
    Grant::AuthorizationCode,
    Grant::RefreshToken,
    Grant::ClientCredentials,
    Grant::Password,
    Grant::TokenExchange,
    Grant::DeviceCode,
];

#[derive(Serialize)]
struct ClientRow {
    path: String,
    id: String,
    name: String,
    grants: String,
    public: bool,
    created: String,
}

/// `GET /ui/admin/clients`.
#[utoipa::path(get, path = "/ui/admin/clients", tag = "browser",
    params(("notice" = Option<String>, Query, description = "what the previous form did (admin_client_deleted)")),
    responses(
        (status = 200, description = "the clients and the form to register one", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the query cannot be read (a repeated or malformed parameter)", content_type = "text/html"),
        (status = 403, description = "the account lacks the admin role", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn list<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (params, admin) = match admin_page(&state, &headers, &uri).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    render_list(&state, &admin, Outcome::from_notice(&params, &NOTICES)).await
}

/// `POST /ui/admin/clients`: register a client; its page shows the secret once.
#[utoipa::path(post, path = "/ui/admin/clients", tag = "browser",
    request_body(content = crate::openapi::AdminClientForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "registered: the client's page, with its secret shown this once", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "a setting is refused (the page says which), or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn create<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let settings = settings(&form);
    let new = NewClient::new(
        settings.name.unwrap_or_default(),
        &settings.grants.unwrap_or_default(),
    )
    .with_scopes(&settings.scopes.unwrap_or_default())
    .with_audiences(&settings.audiences.unwrap_or_default())
    .public(form.get("public") == Some("yes"))
    .with_web(ClientWeb {
        redirect_uris: settings.redirect_uris.unwrap_or_default(),
        post_logout_redirect_uris: settings.post_logout_redirect_uris.unwrap_or_default(),
        first_party: form.get("first_party") == Some("yes"),
        ..ClientWeb::default()
    });
    match state
        .authority()
        .register_client(&new, &admin.actor())
        .await
    {
        Ok((client, secret)) => {
            let outcome = Outcome::Notice("admin_client_created");
            render_client(&state, &admin, &client, outcome, secret.as_deref())
        }
        Err(err) => match Outcome::refusal(err) {
            Some(outcome) => render_list(&state, &admin, outcome).await,
            None => super::unavailable(),
        },
    }
}

/// `GET /ui/admin/clients/{id}`.
#[utoipa::path(get, path = "/ui/admin/clients/{id}", tag = "browser",
    params(("id" = String, Path, description = "the client_id"),
        ("notice" = Option<String>, Query, description = "what the previous form did (admin_client_saved)")),
    responses(
        (status = 200, description = "the client: its settings form, the new-secret and delete forms", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the query cannot be read (a repeated or malformed parameter)", content_type = "text/html"),
        (status = 403, description = "the account lacks the admin role", content_type = "text/html"),
        (status = 404, description = "no such client", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn show<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (params, admin) = match admin_page(&state, &headers, &uri).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let outcome = Outcome::from_notice(&params, &NOTICES);
    match state.authority().client(&id).await {
        Ok(client) => render_client(&state, &admin, &client, outcome, None),
        Err(err) => refused(&state, &admin, err).await,
    }
}

/// `POST /ui/admin/clients/{id}`: change the client's settings.
#[utoipa::path(post, path = "/ui/admin/clients/{id}", tag = "browser",
    params(("id" = String, Path, description = "the client_id")),
    request_body(content = crate::openapi::AdminClientForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "saved: back to the client's page", headers(("Location" = String))),
        (status = 400, description = "a setting is refused (the page says which), or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such client", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn update<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let authority = state.authority();
    match authority
        .update_client(&id, settings(&form), &admin.actor())
        .await
    {
        Ok(client) => see_other(
            &client_path(&client, Some("admin_client_saved")),
            Vec::new(),
        ),
        Err(err) => {
            let outcome = match Outcome::refusal(err) {
                Some(outcome) => outcome,
                None => return super::unavailable(),
            };
            match authority.client(&id).await {
                Ok(client) => render_client(&state, &admin, &client, outcome, None),
                Err(err) => refused(&state, &admin, err).await,
            }
        }
    }
}

/// `POST /ui/admin/clients/{id}/secret`: give the client a new secret, shown once.
#[utoipa::path(post, path = "/ui/admin/clients/{id}/secret", tag = "browser",
    params(("id" = String, Path, description = "the client_id")),
    request_body(content = crate::openapi::AdminUserForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the client's page with the new secret shown this once; the old one no longer works", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "a public client (no secret), or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such client", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn rotate_secret<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, _) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let authority = state.authority();
    let (outcome, secret) = match authority.rotate_client_secret(&id, &admin.actor()).await {
        Ok(secret) => (Outcome::Notice("admin_secret_rotated"), Some(secret)),
        Err(err) => match Outcome::refusal(err) {
            Some(outcome) => (outcome, None),
            None => return super::unavailable(),
        },
    };
    match authority.client(&id).await {
        Ok(client) => render_client(&state, &admin, &client, outcome, secret.as_deref()),
        Err(err) => refused(&state, &admin, err).await,
    }
}

/// `POST /ui/admin/clients/{id}/delete`: delete the client (ending its sessions), once
/// confirmed.
#[utoipa::path(post, path = "/ui/admin/clients/{id}/delete", tag = "browser",
    params(("id" = String, Path, description = "the client_id")),
    request_body(content = crate::openapi::AdminDeleteForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "deleted: to the clients page", headers(("Location" = String))),
        (status = 400, description = "not confirmed, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such client", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn delete<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let authority = state.authority();
    if form.get("confirm") != Some("yes") {
        let outcome = Outcome::Error(
            "admin_confirm_missing",
            None,
            axum::http::StatusCode::BAD_REQUEST,
        );
        return match authority.client(&id).await {
            Ok(client) => render_client(&state, &admin, &client, outcome, None),
            Err(err) => refused(&state, &admin, err).await,
        };
    }
    match authority.delete_client(&id, &admin.actor()).await {
        Ok(()) => see_other("/ui/admin/clients?notice=admin_client_deleted", Vec::new()),
        Err(err) => refused(&state, &admin, err).await,
    }
}

/// The settings of a client form: every field is present (an empty one clears it).
fn settings(form: &Params) -> ClientChanges {
    let words = |name: &str| -> Vec<String> {
        form.get(name)
            .unwrap_or("")
            .split([' ', ',', '\n', '\r', '\t'])
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut changes = ClientChanges::default();
    changes.name = Some(form.get("name").unwrap_or("").trim().to_owned());
    changes.grants = Some(
        GRANTS
            .into_iter()
            .filter(|g| form.get(&format!("grant_{}", g.short_name())) == Some("yes"))
            .collect(),
    );
    changes.scopes = Some(words("scopes"));
    changes.audiences = Some(words("audiences"));
    changes.redirect_uris = Some(words("redirect_uris"));
    changes.post_logout_redirect_uris = Some(words("post_logout_redirect_uris"));
    changes
}

/// The clients page saying `outcome`.
async fn render_list<S: Store>(state: &AppState<S>, admin: &Admin, outcome: Outcome) -> Response {
    let Ok(clients) = state.authority().list_clients().await else {
        return super::unavailable();
    };
    let rows: Vec<ClientRow> = clients
        .iter()
        .map(|c| ClientRow {
            path: client_path(c, None),
            id: c.id.to_string(),
            name: c.name.clone(),
            grants: grant_names(&c.grants).join(", "),
            public: c.is_public(),
            created: utc(c.created_at),
        })
        .collect();
    let values = serde_json::json!({ "clients": rows, "grants": grant_choices(&[]) });
    console_page(
        state,
        admin,
        "admin_clients.html",
        "admin_clients",
        outcome,
        values,
    )
}

/// A client's page, with a secret made just now if there is one.
fn render_client<S: Store>(
    state: &AppState<S>,
    admin: &Admin,
    client: &Client,
    outcome: Outcome,
    secret: Option<&str>,
) -> Response {
    let values = serde_json::json!({
        "client": {
            "id": client.id.to_string(),
            "name": client.name,
            "public": client.is_public(),
            "first_party": client.web.first_party,
            "created": utc(client.created_at),
            "scopes": client.scopes.join(" "),
            "audiences": client.audiences.join(" "),
            "redirect_uris": client.web.redirect_uris.join("\n"),
            "post_logout_redirect_uris": client.web.post_logout_redirect_uris.join("\n"),
        },
        "path": client_path(client, None),
        "grants": grant_choices(&client.grants),
        "secret": secret,
    });
    console_page(
        state,
        admin,
        "admin_client.html",
        "admin_client_title",
        outcome,
        values,
    )
}

/// The clients page saying what was refused.
async fn refused<S: Store>(state: &AppState<S>, admin: &Admin, err: AdminError) -> Response {
    match Outcome::refusal(err) {
        Some(outcome) => render_list(state, admin, outcome).await,
        None => super::unavailable(),
    }
}

/// Each grant the forms offer, and whether `chosen` holds it.
fn grant_choices(chosen: &[Grant]) -> serde_json::Value {
    GRANTS
        .iter()
        .map(|g| serde_json::json!({ "name": g.short_name(), "checked": chosen.contains(g) }))
        .collect()
}

fn grant_names(grants: &[Grant]) -> Vec<&'static str> {
    grants.iter().map(|g| g.short_name()).collect()
}

/// `/ui/admin/clients/{id}`, escaped, with a notice.
fn client_path(client: &Client, notice: Option<&str>) -> String {
    let path = format!("/ui/admin/clients/{}", segment(client.id.as_str()));
    match notice {
        Some(notice) => format!("{path}?notice={notice}"),
        None => path,
    }
}
