//! The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636): a code is checked
//! against the request that presents it, exchanged once, and a second presentation revokes
//! what the first one issued.

use aws_lc_rs::digest::{SHA256, digest};
use tessera_jose::b64;

use super::tokens::IdTokenFacts;
use super::{Authority, TokenResponse};
use crate::error::{GrantError, InternalError};
use crate::events::SecurityEvent;
use crate::model::{
    AuthorizationCode, Client, CodeOutcome, EventKind, Grant, Jti, NewEvent, Session, SessionId,
};
use crate::secrets::{IdKind, constant_time_eq, new_id, random_jti, random_token, sha256};
use crate::store::Store;

impl<S: Store> Authority<S> {
    /// The authorization code grant: the code must be this client's, unused and unexpired,
    /// sent with the redirect URI it was issued to and the PKCE verifier of its challenge,
    /// and the browser session it was issued in must still be live.
    /// Answers an access token, an ID token when `openid` was granted (with the request's
    /// `nonce`, `auth_time`, the browser session as `sid`, `amr`, `acr`, `at_hash`), and a
    /// refresh token when the client may use them. A code presented again revokes the tokens
    /// it gave (RFC 6749 §4.1.2).
    ///
    /// # Errors
    /// [`GrantError::GrantNotAllowed`]; [`GrantError::Malformed`] without a
    /// `code_verifier`; [`GrantError::BadCode`]; [`GrantError::PkceFailed`].
    pub async fn code_grant(
        &self,
        client: &Client,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        self.code_grant_dpop(client, code, redirect_uri, code_verifier, None)
            .await
    }

    /// [`Self::code_grant`] with the access token bound to the DPoP key `jkt` (from
    /// [`Self::token_request_dpop`]), and for a public client the refresh family too.
    ///
    /// # Errors
    /// As [`Self::code_grant`].
    pub async fn code_grant_dpop(
        &self,
        client: &Client,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        jkt: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        if !client.grants.contains(&Grant::AuthorizationCode) {
            return Err(GrantError::GrantNotAllowed(Grant::AuthorizationCode));
        }
        let verifier = code_verifier
            .ok_or_else(|| GrantError::Malformed("code_verifier is required (PKCE)".into()))?;
        if !super::grants::looks_like_token(code) {
            return Err(GrantError::BadCode);
        }
        let now = self.now();
        let hash = sha256(code.as_bytes());
        let Some(record) = self.store.code_by_hash(&hash, now).await? else {
            return self.refuse_code(client, &hash, now).await;
        };
        if record.client_id != client.id || Some(record.redirect_uri.as_str()) != redirect_uri {
            return Err(GrantError::BadCode);
        }
        if !pkce_matches(verifier, &record.code_challenge) {
            return Err(GrantError::PkceFailed);
        }
        // A sign-in that ended (logout, password change, administrator) after the code was
        // issued must not hand out a refresh family that outlives it.
        let signed_in = self
            .store
            .login_session_by_id(&record.login_session_id)
            .await?
            .is_some_and(|s| s.is_live(now));
        if !signed_in {
            return Err(GrantError::BadCode);
        }
        let user = self
            .store
            .user_by_id(&record.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(GrantError::BadCode)?;
        let family_key = super::grants::refresh_binding(client, jkt);
        let (session, refresh_token, first) = self.code_session(&record, family_key)?;
        let jti = Jti::new(random_jti()?);
        let exp = self.access_expiry(now);
        let outcome = self
            .store
            .exchange_code(&hash, now, &session, &first, &jti, exp)
            .await?;
        match outcome {
            CodeOutcome::Exchanged(record) => {
                let refresh = client
                    .grants
                    .contains(&Grant::RefreshToken)
                    .then_some(refresh_token);
                let facts = IdTokenFacts {
                    auth_time: record.auth_time,
                    sid: record.login_session_id.as_str(),
                    nonce: record.nonce.as_deref(),
                    amr: &record.amr,
                    acr: record.acr.as_deref(),
                };
                Ok(self.tokens_for(
                    client,
                    &user,
                    &session,
                    &record.scope,
                    refresh,
                    &facts,
                    &jti,
                    now,
                    jkt,
                )?)
            }
            CodeOutcome::Replayed {
                session_id,
                jti,
                exp,
            } => {
                self.revoke_code_tokens(client, &session_id, &jti, exp)
                    .await?;
                Err(GrantError::BadCode)
            }
            CodeOutcome::Invalid => Err(GrantError::BadCode),
        }
    }

    /// A code that is not usable now (unknown, expired or used): if it was exchanged before,
    /// this is a replay, and the tokens it gave are revoked; the answer is the same either
    /// way.
    async fn refuse_code(
        &self,
        client: &Client,
        hash: &[u8],
        now: crate::model::Timestamp,
    ) -> Result<TokenResponse, GrantError> {
        // An exchange attempt with throwaway records tells a replay from an unknown code
        // without creating anything: the store only exchanges an unused, unexpired code,
        // `code_by_hash` found none, and a code never becomes usable again.
        let probe = Session {
            id: SessionId::new(new_id(IdKind::Session)?),
            user_id: crate::model::UserId::new("-"),
            client_id: client.id.clone(),
            scope: crate::scope::Scope::default(),
            login_session_id: None,
            created_at: now,
            expires_at: now,
            last_used_at: now,
            revoked_at: None,
            dpop_jkt: None,
        };
        let first = crate::model::RefreshRecord {
            hash: sha256(random_token()?.as_bytes()),
            session_id: probe.id.clone(),
            created_at: now,
            expires_at: now,
            used_at: None,
            successor_sealed: None,
        };
        let jti = Jti::new(random_jti()?);
        match self
            .store
            .exchange_code(hash, now, &probe, &first, &jti, now)
            .await?
        {
            CodeOutcome::Replayed {
                session_id,
                jti,
                exp,
            } => {
                self.revoke_code_tokens(client, &session_id, &jti, exp)
                    .await?;
                Err(GrantError::BadCode)
            }
            // Impossible (see above); refuse rather than hand out anything.
            CodeOutcome::Exchanged(_) => Err(InternalError::Malformed("authorization code").into()),
            CodeOutcome::Invalid => Err(GrantError::BadCode),
        }
    }

    /// Revokes what a replayed code gave: its session (refresh family) and its access token.
    async fn revoke_code_tokens(
        &self,
        client: &Client,
        session_id: &SessionId,
        jti: &Jti,
        exp: crate::model::Timestamp,
    ) -> Result<(), GrantError> {
        let now = self.now();
        self.store.revoke_session(session_id, now).await?;
        if !self.store.is_revoked(jti).await? {
            self.store.revoke_jti(jti, exp).await?;
        }
        self.audit(NewEvent::new(EventKind::CodeReplayed).client(&client.id))
            .await;
        self.emit(SecurityEvent::CodeReplayed {
            client_id: client.id.clone(),
            session_id: session_id.clone(),
        });
        Ok(())
    }

    /// The session (refresh family) a code's exchange creates, with its first refresh token.
    fn code_session(
        &self,
        code: &AuthorizationCode,
        dpop_jkt: Option<&str>,
    ) -> Result<(Session, String, crate::model::RefreshRecord), GrantError> {
        let now = self.now();
        let session = Session {
            id: SessionId::new(new_id(IdKind::Session)?),
            user_id: code.user_id.clone(),
            client_id: code.client_id.clone(),
            scope: code.scope.clone(),
            login_session_id: Some(code.login_session_id.clone()),
            created_at: now,
            expires_at: now.plus(self.config.refresh_absolute_lifetime),
            last_used_at: now,
            revoked_at: None,
            dpop_jkt: dpop_jkt.map(str::to_owned),
        };
        let token = random_token()?;
        let first = self.refresh_record(&session, &token, now, false)?;
        Ok((session, token, first))
    }
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(code_verifier)) == code_challenge`, for a verifier of 43
/// to 128 unreserved characters; compared in constant time.
fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return false;
    }
    let computed = b64::encode(digest(&SHA256, verifier.as_bytes()).as_ref());
    constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_follows_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_matches("short", challenge));
        assert!(!pkce_matches(&format!("{verifier}+"), challenge));
    }
}
