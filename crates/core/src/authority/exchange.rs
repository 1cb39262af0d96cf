//! Token exchange (RFC 8693): a client that holds one of our access tokens (the subject
//! token) asks for a new one for another audience, with the same or a narrower scope, no
//! later expiry, and, when an actor token is given, an `act` claim naming who acts for the
//! subject. The new token never carries more rights than the subject token.

use serde_json::{Map, Value};

use super::Authority;
use super::grants::require_grant;
use super::tokens::{ACCESS_TOKEN_TYP, AccessClaims, Subject, TokenResponse};
use crate::error::{GrantError, ScopeRefused};
use crate::model::{Client, Grant, Jti, SessionId};
use crate::scope::Scope;
use crate::secrets::random_jti;
use crate::store::Store;

/// The token type of an access token (RFC 8693 §3): the only one exchanged and issued.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The parameters of a token exchange request (RFC 8693 §2.1).
#[derive(Clone, Copy, Debug, Default)]
pub struct ExchangeRequest<'a> {
    /// The token whose subject the new token is about.
    pub subject_token: &'a str,
    /// Its type: [`ACCESS_TOKEN_TYPE`].
    pub subject_token_type: &'a str,
    /// A token of whoever acts for the subject (delegation), if any.
    pub actor_token: Option<&'a str>,
    /// Its type: [`ACCESS_TOKEN_TYPE`].
    pub actor_token_type: Option<&'a str>,
    /// The audience the new token is for (one of the client's registered audiences).
    pub audience: Option<&'a str>,
    /// The resource the new token is for (likewise one of the client's audiences).
    pub resource: Option<&'a str>,
    /// The scope of the new token: within the subject token's.
    pub scope: Option<&'a str>,
    /// The type wanted: [`ACCESS_TOKEN_TYPE`] (the default).
    pub requested_token_type: Option<&'a str>,
}

impl<S: Store> Authority<S> {
    /// Exchanges `request.subject_token` for a new access token for `client` (bound to the
    /// DPoP key `jkt` when the request proved one).
    ///
    /// # Errors
    /// [`GrantError::GrantNotAllowed`] or [`GrantError::PublicClient`] for a client that
    /// may not exchange; [`GrantError::Malformed`] for an unsupported token type;
    /// [`GrantError::BadExchangeToken`] for a subject or actor token that is not a live
    /// access token of ours (or is bound to a key the request does not prove);
    /// [`GrantError::InvalidTarget`] for an audience the client may not ask for;
    /// [`GrantError::Scope`] for a scope beyond the subject token's.
    pub async fn token_exchange(
        &self,
        client: &Client,
        request: &ExchangeRequest<'_>,
        jkt: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        require_grant(client, Grant::TokenExchange)?;
        if client.is_public() {
            return Err(GrantError::PublicClient(Grant::TokenExchange));
        }
        check_types(request)?;
        let subject = self
            .exchanged_token(request.subject_token, "subject_token", jkt)
            .await?;
        let actor = match request.actor_token {
            Some(token) => Some(self.exchanged_token(token, "actor_token", jkt).await?),
            None => None,
        };
        let audience = self.target(client, request)?;
        let scope = narrowed(&subject, request.scope)?;
        let now = self.now();
        let expires = self.access_expiry(now).secs().min(subject.exp.secs());
        let as_subject = Subject {
            sub: &subject.sub,
            roles: &subject.roles,
            sid: subject.sid.as_ref().map(SessionId::as_str),
            jkt,
            acr: None,
        };
        let jti = Jti::new(random_jti()?);
        let mut claims = self.access_claims(client, &as_subject, &scope, now, &jti);
        claims.aud = vec![audience];
        claims.exp = Some(expires);
        if let Some(act) = act_claim(&subject, actor.as_ref()) {
            claims.extra.insert("act".into(), act);
        }
        let access_token = self.sign(&claims, ACCESS_TOKEN_TYP)?;
        let mut response = self
            .response(access_token, None, &scope, None)
            .bound(jkt.is_some());
        response.expires_in = expires - now.secs();
        response.issued_token_type = Some(ACCESS_TOKEN_TYPE.to_owned());
        Ok(response)
    }

    /// A subject or actor token: one of our live access tokens, usable by this request
    /// (a DPoP-bound one only with a proof of its key).
    async fn exchanged_token(
        &self,
        token: &str,
        which: &'static str,
        jkt: Option<&str>,
    ) -> Result<AccessClaims, GrantError> {
        let claims = self
            .verify_access_token(token)
            .await
            .map_err(|_| GrantError::BadExchangeToken(which))?;
        match claims.cnf_jkt.as_deref() {
            Some(bound) if Some(bound) != jkt => Err(GrantError::BadExchangeToken(which)),
            _ => Ok(claims),
        }
    }

    /// The audience of the new token: the one asked for (as `audience` or `resource`),
    /// which must be one of the client's, else the client's default.
    fn target(&self, client: &Client, request: &ExchangeRequest<'_>) -> Result<String, GrantError> {
        let asked: Vec<&str> = [request.audience, request.resource]
            .into_iter()
            .flatten()
            .filter(|t| !t.is_empty())
            .collect();
        match asked.as_slice() {
            [] => Ok(self.audiences(client).swap_remove(0)),
            [one] | [one, _] if asked.iter().all(|t| t == one) => {
                if client.audiences.iter().any(|a| a == one) {
                    Ok((*one).to_owned())
                } else {
                    Err(GrantError::InvalidTarget)
                }
            }
            _ => Err(GrantError::InvalidTarget),
        }
    }
}

/// Only access tokens are exchanged and issued.
fn check_types(request: &ExchangeRequest<'_>) -> Result<(), GrantError> {
    if request.subject_token_type != ACCESS_TOKEN_TYPE {
        return Err(GrantError::Malformed(
            "subject_token_type must be urn:ietf:params:oauth:token-type:access_token".into(),
        ));
    }
    match (request.actor_token, request.actor_token_type) {
        (Some(_), Some(ACCESS_TOKEN_TYPE)) | (None, None) => {}
        (Some(_), _) => {
            return Err(GrantError::Malformed(
                "actor_token_type must be urn:ietf:params:oauth:token-type:access_token".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(GrantError::Malformed(
                "actor_token_type without actor_token".into(),
            ));
        }
    }
    if request
        .requested_token_type
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(GrantError::Malformed(
            "only access tokens are issued (requested_token_type)".into(),
        ));
    }
    Ok(())
}

/// The scope asked for, within the subject token's; the subject token's when none is.
fn narrowed(subject: &AccessClaims, requested: Option<&str>) -> Result<Scope, GrantError> {
    let granted = Scope::parse(&subject.scope).map_err(|_| ScopeRefused::Malformed)?;
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(granted);
    };
    let scope = Scope::parse(requested).map_err(|_| ScopeRefused::Malformed)?;
    if scope.is_subset_of(&granted) {
        Ok(scope)
    } else {
        Err(ScopeRefused::ExceedsGrant.into())
    }
}

/// `act` of the new token: the actor, with the subject token's own `act` nested inside
/// (RFC 8693 §4.1), or the subject token's `act` when no actor acts.
fn act_claim(subject: &AccessClaims, actor: Option<&AccessClaims>) -> Option<Value> {
    match actor {
        Some(actor) => {
            let mut act = Map::new();
            act.insert("sub".into(), actor.sub.as_str().into());
            act.insert("client_id".into(), actor.client_id.as_str().into());
            if let Some(earlier) = &subject.act {
                act.insert("act".into(), earlier.clone());
            }
            Some(Value::Object(act))
        }
        None => subject.act.clone(),
    }
}
