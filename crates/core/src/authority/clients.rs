//! Client authentication and registration.

use super::{Authority, ErrorCode, OAuthError};
use crate::events::SecurityEvent;
use crate::model::{Client, Grant};
use crate::scope::Scope;
use crate::secrets::{IdKind, matches_digest, new_id, random_token, sha256};
use crate::store::Store;

/// The longest client name accepted, in bytes.
const MAX_NAME_LEN: usize = 200;

impl<S: Store> Authority<S> {
    /// Authenticates a client by id and secret (SHA-256 of the secret, compared in constant
    /// time). A public client must not send a secret; a confidential one must.
    ///
    /// # Errors
    /// `invalid_client` for an unknown client or a wrong, missing or unexpected secret.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: Option<&str>,
    ) -> Result<Client, OAuthError> {
        let client = self.store.client_by_id(client_id).await?;
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
                Err(OAuthError::new(
                    ErrorCode::InvalidClient,
                    "client authentication failed",
                ))
            }
        }
    }

    /// Registers a client. Returns it with its secret, which is shown this once and stored
    /// only as a digest (`None` for a public client).
    ///
    /// # Errors
    /// `invalid_request` for an empty name or grant list, a malformed scope or audience,
    /// or a public client asking for client credentials.
    pub async fn create_client(
        &self,
        name: &str,
        grants: &[Grant],
        scopes: &[String],
        audiences: &[String],
        public: bool,
    ) -> Result<(Client, Option<String>), OAuthError> {
        check_client(name, grants, scopes, audiences, public)?;
        let secret = if public { None } else { Some(random_token()?) };
        let mut unique_grants = Vec::with_capacity(grants.len());
        for grant in grants {
            if !unique_grants.contains(grant) {
                unique_grants.push(*grant);
            }
        }
        let client = Client {
            id: new_id(IdKind::Client)?,
            name: name.to_owned(),
            secret_hash: secret.as_deref().map(|s| sha256(s.as_bytes())),
            grants: unique_grants,
            scopes: Scope::from_tokens(scopes)
                .map_err(|_| OAuthError::invalid_request("a scope is malformed"))?
                .tokens()
                .to_vec(),
            audiences: audiences.to_vec(),
            created_at: self.now(),
        };
        self.store.create_client(&client).await?;
        Ok((client, secret))
    }
}

fn check_client(
    name: &str,
    grants: &[Grant],
    scopes: &[String],
    audiences: &[String],
    public: bool,
) -> Result<(), OAuthError> {
    if name.trim().is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(OAuthError::invalid_request(
            "the client name is empty or too long",
        ));
    }
    if grants.is_empty() {
        return Err(OAuthError::invalid_request(
            "a client needs at least one grant",
        ));
    }
    if public && grants.contains(&Grant::ClientCredentials) {
        return Err(OAuthError::invalid_request(
            "a public client cannot use client_credentials",
        ));
    }
    if Scope::from_tokens(scopes).is_err() {
        return Err(OAuthError::invalid_request("a scope is malformed"));
    }
    if audiences
        .iter()
        .any(|a| a.is_empty() || a.len() > MAX_NAME_LEN || a.chars().any(char::is_whitespace))
    {
        return Err(OAuthError::invalid_request("an audience is malformed"));
    }
    Ok(())
}
