//! Changing a registered client: its settings, and its secret.

use super::Authority;
use super::clients::{check_client, checked_web};
use crate::error::{AdminError, Entity};
use crate::model::{Actor, Client, ClientId, EventKind, Grant, NewEvent};
use crate::scope::Scope;
use crate::secrets::{random_token, sha256};
use crate::store::Store;

/// What an administrator changes on a registered client; `None` keeps a setting as it is.
/// Whether the client is public, its keys and its encryption settings are not changed here.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct ClientChanges {
    /// Display name (shown on the consent page).
    pub name: Option<String>,
    /// Grants it may use.
    pub grants: Option<Vec<Grant>>,
    /// Scopes it may request.
    pub scopes: Option<Vec<String>>,
    /// Audiences of its access tokens (the first is the default).
    pub audiences: Option<Vec<String>>,
    /// Redirect URIs for the authorization code flow.
    pub redirect_uris: Option<Vec<String>>,
    /// Where RP-initiated logout may send the browser afterwards.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Whether users signing in to it must give a second factor.
    pub require_second_factor: Option<bool>,
}

impl<S: Store> Authority<S> {
    /// The client with this id.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown client id.
    pub async fn client(&self, id: &str) -> Result<Client, AdminError> {
        self.store
            .client_by_id(&ClientId::from(id))
            .await?
            .ok_or(AdminError::NotFound(Entity::Client))
    }

    /// Changes a client's settings under the rules of registration, recording `by` and the
    /// names of the settings that differ (nothing is written when none does). Its sessions
    /// go on; the next token it gets follows the new settings.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown client id; [`AdminError::Invalid`] for what
    /// registration refuses (an empty name or grant list, a malformed scope, audience or
    /// URI, client credentials for a public client, the code grant without a redirect URI,
    /// the password grant for a client that requires a second factor).
    pub async fn update_client(
        &self,
        id: &str,
        changes: ClientChanges,
        by: &Actor,
    ) -> Result<Client, AdminError> {
        let mut client = self.client(id).await?;
        let mut changed = Vec::new();
        if let Some(name) = changes.name.filter(|n| *n != client.name) {
            client.name = name;
            changed.push("name");
        }
        if let Some(grants) = changes.grants.map(unique).filter(|g| *g != client.grants) {
            client.grants = grants;
            changed.push("grants");
        }
        let scopes = changes.scopes.map(|s| normalized(&s)).transpose()?;
        if let Some(scopes) = scopes.filter(|s| *s != client.scopes) {
            client.scopes = scopes;
            changed.push("scopes");
        }
        if let Some(audiences) = changes.audiences.filter(|a| *a != client.audiences) {
            client.audiences = audiences;
            changed.push("audiences");
        }
        let web = &mut client.web;
        if let Some(uris) = changes.redirect_uris.filter(|u| *u != web.redirect_uris) {
            web.redirect_uris = uris;
            changed.push("redirect_uris");
        }
        let logout = changes.post_logout_redirect_uris;
        if let Some(uris) = logout.filter(|u| *u != web.post_logout_redirect_uris) {
            web.post_logout_redirect_uris = uris;
            changed.push("post_logout_redirect_uris");
        }
        let second_factor = changes.require_second_factor;
        if let Some(required) = second_factor.filter(|r| *r != web.require_second_factor) {
            web.require_second_factor = required;
            changed.push("require_second_factor");
        }
        if changed.is_empty() {
            return Ok(client);
        }
        check_client(
            &client.name,
            &client.grants,
            &client.scopes,
            &client.audiences,
            client.is_public(),
        )?;
        client.web = checked_web(&client.web, &client.grants)?;
        self.store.update_client(&client).await?;
        let event = NewEvent::new(EventKind::ClientUpdated).client(&client.id);
        self.audit(event.by(by).detail(changed.join(" "))).await;
        Ok(client)
    }

    /// Gives a confidential client a new secret, returned this once and stored only as a
    /// digest; the old secret stops working at once.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown client id; [`AdminError::Invalid`] for a
    /// public client, which has no secret.
    pub async fn rotate_client_secret(&self, id: &str, by: &Actor) -> Result<String, AdminError> {
        let mut client = self.client(id).await?;
        if client.is_public() {
            return Err(AdminError::invalid("a public client has no secret"));
        }
        let secret = random_token()?;
        client.secret_hash = Some(sha256(secret.as_bytes()));
        self.store.update_client(&client).await?;
        let event = NewEvent::new(EventKind::ClientUpdated).client(&client.id);
        self.audit(event.by(by).detail("secret")).await;
        Ok(secret)
    }
}

/// Scopes as registration stores them.
fn normalized(scopes: &[String]) -> Result<Vec<String>, AdminError> {
    Ok(Scope::from_tokens(scopes)
        .map_err(|_| AdminError::invalid("a scope is malformed"))?
        .tokens()
        .to_vec())
}

/// The grants in their first order, each once.
fn unique(grants: Vec<Grant>) -> Vec<Grant> {
    let mut unique = Vec::with_capacity(grants.len());
    for grant in grants {
        if !unique.contains(&grant) {
            unique.push(grant);
        }
    }
    unique
}
