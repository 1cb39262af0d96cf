//! Client authentication, registration, listing and removal.

use super::Authority;
use super::client_jose::checked_jose;
use crate::error::{AdminError, ClientAuthError, Entity, StoreError};
use crate::events::SecurityEvent;
use crate::model::{Actor, Client, ClientId, ClientWeb, EventKind, Grant, NewEvent};
use crate::scope::Scope;
use crate::secrets::{IdKind, matches_digest, new_id, random_token, sha256};
use crate::store::Store;
use crate::uri::{check_backchannel_uri, check_origin, check_redirect_uri};

/// The most redirect URIs, post-logout URIs or origins a client may register (each).
const MAX_URIS: usize = 32;

/// What registering a client takes.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct NewClient {
    /// Display name (shown on the consent page).
    pub name: String,
    /// Grants it may use.
    pub grants: Vec<Grant>,
    /// Scopes it may request.
    pub scopes: Vec<String>,
    /// Audiences of its access tokens (the first is the default).
    pub audiences: Vec<String>,
    /// A public client has no secret (a browser or native app).
    pub public: bool,
    /// Its browser settings (redirect URIs, logout, consent, CORS).
    pub web: ClientWeb,
}

impl NewClient {
    /// A confidential client named `name` with these grants.
    pub fn new(name: impl Into<String>, grants: &[Grant]) -> Self {
        Self {
            name: name.into(),
            grants: grants.to_vec(),
            ..Self::default()
        }
    }

    /// Sets the scopes it may request.
    pub fn with_scopes(mut self, scopes: &[String]) -> Self {
        self.scopes = scopes.to_vec();
        self
    }

    /// Sets the audiences of its access tokens.
    pub fn with_audiences(mut self, audiences: &[String]) -> Self {
        self.audiences = audiences.to_vec();
        self
    }

    /// Makes it public (no secret) or confidential.
    pub fn public(mut self, public: bool) -> Self {
        self.public = public;
        self
    }

    /// Sets its browser settings.
    pub fn with_web(mut self, web: ClientWeb) -> Self {
        self.web = web;
        self
    }
}

/// The longest client name accepted, in bytes.
const MAX_NAME_LEN: usize = 200;

impl<S: Store> Authority<S> {
    /// Authenticates a client by id and secret (SHA-256 of the secret, compared in constant
    /// time). A public client must not send a secret; a confidential one must.
    ///
    /// # Errors
    /// [`ClientAuthError::Failed`] for an unknown client or a wrong, missing or unexpected
    /// secret.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: Option<&str>,
    ) -> Result<Client, ClientAuthError> {
        let client = self.store.client_by_id(&ClientId::from(client_id)).await?;
        let authenticated = match (&client, secret) {
            (Some(client), None) => client.secret_hash.is_none(),
            (Some(client), Some(secret)) => client
                .secret_hash
                .as_deref()
                .is_some_and(|digest| matches_digest(secret, digest)),
            (None, _) => false,
        };
        match client {
            Some(client) if authenticated => Ok(client),
            _ => {
                self.emit(SecurityEvent::ClientAuthFailed {
                    // Attacker-controlled text on its way to a log: short, no control characters.
                    client_id: client_id
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(64)
                        .collect(),
                });
                Err(ClientAuthError::Failed)
            }
        }
    }

    /// Registers a client. Returns it with its secret, which is shown this once and stored
    /// only as a digest (`None` for a public client).
    ///
    /// # Errors
    /// [`AdminError::Invalid`] for an empty name or grant list, a malformed scope or
    /// audience, or a public client asking for client credentials.
    pub async fn create_client(
        &self,
        name: &str,
        grants: &[Grant],
        scopes: &[String],
        audiences: &[String],
        public: bool,
        by: &Actor,
    ) -> Result<(Client, Option<String>), AdminError> {
        let new = NewClient::new(name, grants)
            .with_scopes(scopes)
            .with_audiences(audiences)
            .public(public);
        self.register_client(&new, by).await
    }

    /// Registers a client with every setting, browser ones included. Returns it with its
    /// secret, which is shown this once and stored only as a digest (`None` for a public
    /// client).
    ///
    /// # Errors
    /// [`AdminError::Invalid`] for an empty name or grant list, a malformed scope, audience,
    /// redirect URI, logout URI or origin, a public client asking for client credentials,
    /// the authorization code grant without a redirect URI, or the password grant for a
    /// client that requires a second factor.
    pub async fn register_client(
        &self,
        new: &NewClient,
        by: &Actor,
    ) -> Result<(Client, Option<String>), AdminError> {
        check_client(
            &new.name,
            &new.grants,
            &new.scopes,
            &new.audiences,
            new.public,
        )?;
        let mut web = checked_web(&new.web, &new.grants)?;
        web.jose = checked_jose(&web.jose, &self.signing_algorithms())?;
        let secret = if new.public {
            None
        } else {
            Some(random_token()?)
        };
        let mut unique_grants = Vec::with_capacity(new.grants.len());
        for grant in &new.grants {
            if !unique_grants.contains(grant) {
                unique_grants.push(*grant);
            }
        }
        let client = Client {
            id: ClientId::new(new_id(IdKind::Client)?),
            name: new.name.clone(),
            secret_hash: secret.as_deref().map(|s| sha256(s.as_bytes())),
            grants: unique_grants,
            scopes: Scope::from_tokens(&new.scopes)
                .map_err(|_| AdminError::invalid("a scope is malformed"))?
                .tokens()
                .to_vec(),
            audiences: new.audiences.clone(),
            created_at: self.now(),
            web,
        };
        self.store.create_client(&client).await?;
        self.audit(
            NewEvent::new(EventKind::ClientCreated)
                .client(&client.id)
                .by(by),
        )
        .await;
        Ok((client, secret))
    }

    /// Every client.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn list_clients(&self) -> Result<Vec<Client>, AdminError> {
        Ok(self.store.list_clients().await?)
    }

    /// Removes a client and ends every session opened through it.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown client id.
    pub async fn delete_client(&self, id: &str, by: &Actor) -> Result<(), AdminError> {
        let id = ClientId::from(id);
        self.store
            .delete_client(&id)
            .await
            .map_err(|err| match err {
                StoreError::NotFound => AdminError::NotFound(Entity::Client),
                other => AdminError::from(other),
            })?;
        self.audit(NewEvent::new(EventKind::ClientRemoved).client(&id).by(by))
            .await;
        Ok(())
    }
}

/// The browser settings, checked, with origins in the form browsers send them.
pub(super) fn checked_web(web: &ClientWeb, grants: &[Grant]) -> Result<ClientWeb, AdminError> {
    let invalid =
        |what: &str, err: crate::uri::UriError| AdminError::invalid(format!("{what}: {err}"));
    let lists = [
        &web.redirect_uris,
        &web.post_logout_redirect_uris,
        &web.allowed_origins,
    ];
    if lists.iter().any(|list| list.len() > MAX_URIS) {
        return Err(AdminError::invalid(
            "at most 32 redirect URIs, logout URIs or origins each",
        ));
    }
    for uri in &web.redirect_uris {
        check_redirect_uri(uri).map_err(|err| invalid("redirect URI", err))?;
    }
    for uri in &web.post_logout_redirect_uris {
        check_redirect_uri(uri).map_err(|err| invalid("post-logout redirect URI", err))?;
    }
    if let Some(uri) = &web.backchannel_logout_uri {
        check_backchannel_uri(uri).map_err(|err| invalid("back-channel logout URI", err))?;
    }
    let mut origins = Vec::with_capacity(web.allowed_origins.len());
    for origin in &web.allowed_origins {
        origins.push(check_origin(origin).map_err(|err| invalid("origin", err))?);
    }
    // The password grant cannot ask for a second factor, so it would be a way around the
    // client's own policy.
    if web.require_second_factor && grants.contains(&Grant::Password) {
        return Err(AdminError::invalid(
            "a client that requires a second factor cannot use the password grant",
        ));
    }
    if grants.contains(&Grant::AuthorizationCode) && web.redirect_uris.is_empty() {
        return Err(AdminError::invalid(
            "the authorization_code grant needs at least one --redirect-uri",
        ));
    }
    Ok(ClientWeb {
        allowed_origins: origins,
        ..web.clone()
    })
}

pub(super) fn check_client(
    name: &str,
    grants: &[Grant],
    scopes: &[String],
    audiences: &[String],
    public: bool,
) -> Result<(), AdminError> {
    if name.trim().is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(AdminError::invalid("the client name is empty or too long"));
    }
    if grants.is_empty() {
        return Err(AdminError::invalid("a client needs at least one grant"));
    }
    if public && grants.contains(&Grant::ClientCredentials) {
        return Err(AdminError::invalid(
            "a public client cannot use client_credentials",
        ));
    }
    if public && grants.contains(&Grant::TokenExchange) {
        return Err(AdminError::invalid(
            "a public client cannot use token_exchange",
        ));
    }
    if Scope::from_tokens(scopes).is_err() {
        return Err(AdminError::invalid("a scope is malformed"));
    }
    if audiences
        .iter()
        .any(|a| a.is_empty() || a.len() > MAX_NAME_LEN || a.chars().any(char::is_whitespace))
    {
        return Err(AdminError::invalid("an audience is malformed"));
    }
    Ok(())
}
