//! Userinfo answers as a JWT (OpenID Connect Core §5.3.2), for clients that registered
//! `userinfo_signed_response_alg` or `userinfo_encrypted_response_alg`: the claims signed with
//! the server's key, with `iss` and `aud` (the client), then encrypted to the client's key
//! when it registered encryption. Without encryption-only answers: an encrypted answer is
//! always signed first, so that the client can tell who made it.

use tessera_jose::Claims;

use super::encrypted::encrypt_to;
use super::{AccessClaims, Authority, UserInfo};
use crate::error::ServiceError;
use crate::store::Store;

impl<S: Store> Authority<S> {
    /// The userinfo answer as a JWT when the token's client registered one; `None` when it
    /// gets JSON.
    ///
    /// # Errors
    /// The store's errors; [`ServiceError::Internal`] when signing or encrypting fails.
    pub async fn userinfo_jwt(
        &self,
        claims: &AccessClaims,
        info: &UserInfo,
    ) -> Result<Option<String>, ServiceError> {
        let Some(client) = self.store.client_by_id(&claims.client_id).await? else {
            return Ok(None);
        };
        let jose = &client.web.jose;
        if !jose.userinfo_as_jwt() {
            return Ok(None);
        }
        let signed = self.sign_userinfo(client.id.as_str(), info)?;
        match jose.userinfo_encryption() {
            Some((alg, enc)) => Ok(Some(encrypt_to(&client, alg, enc, &signed)?)),
            None => Ok(Some(signed)),
        }
    }

    /// Signs the claims of `info` for `client_id`. The header has no `typ`, so that the
    /// answer can never pass for an ID token (a logout hint must be `typ: JWT`).
    fn sign_userinfo(&self, client_id: &str, info: &UserInfo) -> Result<String, ServiceError> {
        let mut claims = Claims::new()
            .with_issuer(self.config.issuer.as_str())
            .with_subject(info.sub.as_str())
            .with_audience(client_id)
            .with_issued_at(self.now().secs());
        let extra = &mut claims.extra;
        extra.insert(
            "preferred_username".into(),
            info.preferred_username.as_str().into(),
        );
        if let Some(email) = &info.email {
            extra.insert("email".into(), email.as_str().into());
        }
        extra.insert("roles".into(), info.roles.clone().into());
        self.sign_untyped(&claims)
    }
}
