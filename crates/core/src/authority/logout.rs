//! Signing out: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) and the
//! back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0) delivered from the
//! outbox.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_jose::Claims;

use super::Authority;
use crate::error::{ServiceError, StoreError};
use crate::model::{Client, ClientId, LogoutNotice, NoticeOutcome, UserId};
use crate::store::Store;
use crate::uri::redirect_matches;

/// The event a logout token carries (Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How long a deliverer holds a claimed notice before another may try it.
const NOTICE_LEASE: Duration = Duration::from_secs(60);
/// Attempts before a notice is given up.
const MAX_ATTEMPTS: u32 = 15;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 3600;
/// How long a logout token is valid.
const LOGOUT_TOKEN_LIFETIME_SECS: i64 = 120;

/// The parameters of an RP-initiated logout request, as received.
#[derive(Clone, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
#[serde(default)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[non_exhaustive]
pub struct LogoutParams {
    /// An ID token we issued to the client (expired ones are accepted as hints).
    pub id_token_hint: Option<String>,
    /// The client, when there is no hint.
    pub client_id: Option<String>,
    /// Where to send the browser afterwards (registered by the client, matched exactly).
    pub post_logout_redirect_uri: Option<String>,
    /// Echoed to the post-logout redirect URI.
    pub state: Option<String>,
    /// Preferred languages of the pages.
    pub ui_locales: Option<String>,
}

/// What an RP-initiated logout request asks for, checked.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct LogoutPlan {
    /// The client that asked, when known.
    pub client: Option<Client>,
    /// Where to send the browser afterwards (the registered URI with `state`), when the
    /// request named one the client registered.
    pub redirect: Option<String>,
    /// The user the ID token hint was issued to, when the hint checked out.
    pub hinted_user: Option<UserId>,
    /// The `sid` of the hint.
    pub hinted_sid: Option<String>,
}

impl LogoutPlan {
    /// True when the request proves it comes from the client the session's user signed in
    /// to (a valid hint for this user): no confirmation page is needed.
    pub fn proves(&self, user: &UserId) -> bool {
        self.hinted_user.as_ref() == Some(user)
    }
}

impl<S: Store> Authority<S> {
    /// Checks an RP-initiated logout request. Nothing in it is trusted unless it checks out:
    /// a hint must be an ID token we signed (it may have expired); a client named both by the
    /// hint's audience and by `client_id` must be the same; a post-logout redirect URI is
    /// kept only if that client registered it exactly. A request that proves nothing still
    /// gets a plan (the page then asks the user to confirm).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn check_logout(&self, params: &LogoutParams) -> Result<LogoutPlan, StoreError> {
        let hint = params
            .id_token_hint
            .as_deref()
            .and_then(|token| self.id_token_hint(token));
        let hinted_client = hint.as_ref().and_then(|h| h.aud.clone());
        let named = params.client_id.clone();
        let client_id = match (hinted_client, named) {
            (Some(a), Some(b)) if a != b => None,
            (Some(a), _) => Some(a),
            (None, b) => b,
        };
        let client = match client_id.filter(|id| id.len() <= 128) {
            Some(id) => self.store.client_by_id(&ClientId::new(id)).await?,
            None => None,
        };
        let redirect = client.as_ref().and_then(|c| {
            let uri = params.post_logout_redirect_uri.as_deref()?;
            redirect_matches(&c.web.post_logout_redirect_uris, uri)
                .then(|| with_state(uri, params.state.as_deref()))
        });
        Ok(LogoutPlan {
            client,
            redirect,
            hinted_user: hint.as_ref().map(|h| UserId::new(h.sub.clone())),
            hinted_sid: hint.and_then(|h| h.sid),
        })
    }

    /// Claims the back-channel logout notices due now, for delivery by this instance.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn claim_logout_notices(&self, limit: u32) -> Result<Vec<LogoutNotice>, StoreError> {
        self.store
            .claim_logout_notices(self.now(), NOTICE_LEASE, limit)
            .await
    }

    /// The logout token to POST for `notice` (`typ: logout+jwt`; `iss`, `aud`, `iat`, `exp`,
    /// `jti` (the same on every attempt), `sub`, `sid`, `events`; never a `nonce`).
    ///
    /// # Errors
    /// Signing failures.
    pub fn logout_token(&self, notice: &LogoutNotice) -> Result<String, ServiceError> {
        let now = self.now();
        let mut claims = Claims::new()
            .with_issuer(self.config.issuer.as_str())
            .with_subject(notice.user_id.as_str())
            .with_audience(notice.client_id.as_str())
            .with_issued_at(now.secs())
            .with_expiry(now.plus_secs(LOGOUT_TOKEN_LIFETIME_SECS).secs())
            .with_jwt_id(notice.jti.as_str());
        let mut events = serde_json::Map::new();
        events.insert(
            BACKCHANNEL_LOGOUT_EVENT.into(),
            Value::Object(serde_json::Map::new()),
        );
        claims.extra.insert("events".into(), Value::Object(events));
        claims
            .extra
            .insert("sid".into(), notice.login_session_id.as_str().into());
        self.sign(&claims, "logout+jwt")
    }

    /// Records how a delivery attempt ended: delivered, or retried later with exponential
    /// backoff (2, 4, 8 … seconds, at most an hour apart), or given up after 15 attempts.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn finish_logout_notice(
        &self,
        notice: &LogoutNotice,
        delivered: bool,
    ) -> Result<NoticeOutcome, StoreError> {
        let now = self.now();
        let outcome = if delivered {
            NoticeOutcome::Delivered
        } else if notice.attempts >= MAX_ATTEMPTS {
            NoticeOutcome::GiveUp
        } else {
            NoticeOutcome::RetryAt(now.plus_secs(backoff_secs(notice.attempts)))
        };
        self.store
            .finish_logout_notice(&notice.id, &outcome, now)
            .await?;
        Ok(outcome)
    }

    /// The claims of an ID token we signed, expired or not (and of no other token we sign).
    fn id_token_hint(&self, token: &str) -> Option<Hint> {
        let ring = self.key_ring();
        let verified = tessera_jose::jws::compact::verify(token, ring.key_set(), 16 * 1024).ok()?;
        // Only an ID token (`typ: JWT`) may stand for the user: an access token reaches
        // resource servers, and a logout token the clients' receivers.
        let id_token = verified
            .header
            .typ
            .as_deref()
            .is_some_and(|typ| typ.eq_ignore_ascii_case("JWT"));
        if !id_token {
            return None;
        }
        let claims: Hint = serde_json::from_slice(&verified.payload).ok()?;
        (claims.iss == self.config.issuer).then_some(claims)
    }
}

/// What a logout hint tells.
#[derive(Deserialize)]
struct Hint {
    iss: String,
    sub: String,
    #[serde(default, deserialize_with = "single_audience")]
    aud: Option<String>,
    #[serde(default)]
    sid: Option<String>,
}

/// `aud` as a string, or the only member of an array.
fn single_audience<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(match value {
        Value::String(aud) => Some(aud),
        Value::Array(items) if items.len() == 1 => items[0].as_str().map(str::to_owned),
        _ => None,
    })
}

/// `uri` with `state` added to its query.
fn with_state(uri: &str, state: Option<&str>) -> String {
    let Some(state) = state.filter(|s| !s.is_empty() && s.len() <= 1024) else {
        return uri.to_owned();
    };
    let encoded: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("state", state)
        .finish();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{encoded}")
}

/// Seconds before attempt `attempts + 1`: 2^attempts, at most an hour.
fn backoff_secs(attempts: u32) -> i64 {
    2_i64.saturating_pow(attempts.min(30)).min(MAX_BACKOFF_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour_and_state_is_appended() {
        assert_eq!(backoff_secs(1), 2);
        assert_eq!(backoff_secs(5), 32);
        assert_eq!(backoff_secs(14), 3600);
        assert_eq!(
            with_state("https://a.example/bye", Some("x y")),
            "https://a.example/bye?state=x+y"
        );
        assert_eq!(
            with_state("https://a.example/bye?a=1", None),
            "https://a.example/bye?a=1"
        );
    }

    #[test]
    fn a_plan_without_a_hint_proves_nothing() {
        let plan = LogoutPlan::default();
        assert!(!plan.proves(&UserId::new("u_1")));
    }
}
