//! The authorization endpoint's rules (RFC 6749 §4.1, RFC 7636, OpenID Connect Core §3.1,
//! RFC 9207, RFC 9700): which requests are refused on an error page, which get an error sent
//! back to the client, and what a valid request needs next (a sign-in, a consent, or a code).
//!
//! The HTTP layer parses the query or form into [`AuthorizationParams`], shows the pages,
//! and keeps the pending request sealed in the browser between them; every rule is here.

use serde::{Deserialize, Serialize};

use super::Authority;
use super::factors::ACR_MFA;
use crate::error::{AuthorizeError, InternalError, StoreError};
use crate::model::{AuthorizationCode, Client, ClientId, Consent, Grant, LoginSession};
use crate::scope::{OPENID, Scope};
use crate::secrets::{random_token, sha256};
use crate::store::Store;
use crate::uri::redirect_matches;

/// How long an authorization code lives (seconds).
pub const CODE_LIFETIME_SECS: i64 = 60;
/// The longest `state`, `nonce`, `login_hint` or `ui_locales` accepted, in bytes.
const MAX_PARAM_LEN: usize = 1024;

/// The parameters of an authorization request, as received (query string or form). Kept
/// as text so that a pending request can be sealed into the browser and checked again.
#[derive(Clone, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
#[serde(default)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[non_exhaustive]
pub struct AuthorizationParams {
    /// `response_type` (only `code`).
    pub response_type: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `redirect_uri` (required: every client registers at least one).
    pub redirect_uri: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `state`, echoed unchanged.
    pub state: Option<String>,
    /// `nonce`, copied into the ID token.
    pub nonce: Option<String>,
    /// `code_challenge` (PKCE, required).
    pub code_challenge: Option<String>,
    /// `code_challenge_method` (only `S256`).
    pub code_challenge_method: Option<String>,
    /// `response_mode`: `query` (default) or `form_post`.
    pub response_mode: Option<String>,
    /// `prompt`: `none`, `login`, `consent`, `select_account`.
    pub prompt: Option<String>,
    /// `max_age` in seconds.
    pub max_age: Option<String>,
    /// `login_hint`: a username to prefill.
    pub login_hint: Option<String>,
    /// `ui_locales`: preferred languages of the pages.
    pub ui_locales: Option<String>,
    /// `acr_values`: requested authentication context classes.
    pub acr_values: Option<String>,
    /// `request` (request objects are not supported).
    pub request: Option<String>,
    /// `request_uri` (request objects are not supported).
    pub request_uri: Option<String>,
}

/// How the response goes back to the client.
#[derive(Clone, Copy, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// Parameters in the redirect URI's query string (the default for `code`).
    Query,
    /// Parameters in a form the browser posts to the redirect URI (OAuth 2.0 Form Post
    /// Response Mode).
    FormPost,
}

/// The `prompt` values of a request.
#[derive(Clone, Copy, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Prompt {
    /// `none`: no page may be shown.
    pub none: bool,
    /// `login`: sign in again even with a session.
    pub login: bool,
    /// `consent`: ask for consent even when given before.
    pub consent: bool,
    /// `select_account`: let the user choose the account (shown as the sign-in page).
    pub select_account: bool,
}

/// A checked authorization request.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: ClientId,
    /// The registered redirect URI the response goes to.
    pub redirect_uri: String,
    /// How the response goes there.
    pub response_mode: ResponseMode,
    /// The scope asked for (within the client's, plus `openid`).
    pub scope: Scope,
    /// `state`, echoed unchanged.
    pub state: Option<String>,
    /// `nonce`, for the ID token.
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// `prompt`.
    pub prompt: Prompt,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// `ui_locales`.
    pub ui_locales: Option<String>,
    /// `acr_values`, in order of preference.
    pub acr_values: Vec<String>,
}

/// What the browser is sent back to the client with: a code, or an error (RFC 6749
/// §4.1.2/§4.1.2.1), always with `iss` (RFC 9207) and `state` when the request had one.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct AuthorizationResponse {
    /// The registered redirect URI.
    pub redirect_uri: String,
    /// Query string or form post.
    pub mode: ResponseMode,
    /// The parameters, in order.
    pub params: Vec<(&'static str, String)>,
}

impl AuthorizationResponse {
    /// The redirect URI with the parameters appended to its query (for [`ResponseMode::Query`]).
    pub fn location(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.params {
            query.append_pair(name, value);
        }
        let query = query.finish();
        let separator = if self.redirect_uri.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{separator}{query}", self.redirect_uri)
    }

    /// The value of parameter `name`, if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a valid request needs next.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum AuthorizeNext {
    /// Show the sign-in page (no session, `prompt=login`, `max_age` passed, or
    /// `select_account`).
    SignIn,
    /// Show the consent page for these scopes (never for a first-party client).
    Consent {
        /// The client asking (its name is shown).
        client: Box<Client>,
        /// Every scope it asks for (the page names each).
        scope: Scope,
    },
    /// Ask the signed-in user for their second factor (step-up): the client, the user's
    /// roles or `acr_values` require one and the session was opened with a password only.
    SecondFactor,
    /// A second factor is required but the user has none: send them to set one up.
    SetUpSecondFactor,
    /// Done: send the browser back with this.
    Respond(AuthorizationResponse),
}

impl<S: Store> Authority<S> {
    /// Checks an authorization request. A request whose client or redirect URI cannot be
    /// trusted is refused without a redirect (no open redirect); every other mistake is
    /// answered to the client's redirect URI.
    ///
    /// # Errors
    /// [`AuthorizeError::Page`] for an unknown client, or a redirect URI it did not
    /// register; [`AuthorizeError::Redirect`] with `invalid_request`,
    /// `unsupported_response_type`, `invalid_scope`, `unauthorized_client` or
    /// `request_not_supported`; the store's errors.
    pub async fn check_authorization(
        &self,
        params: &AuthorizationParams,
    ) -> Result<(AuthorizationRequest, Client), AuthorizeError> {
        let client = self.authorizing_client(params).await?;
        let redirect_uri = trusted_redirect(&client, params.redirect_uri.as_deref())?;
        let mode = response_mode(params.response_mode.as_deref());
        let state = params.state.clone().filter(|s| s.len() <= MAX_PARAM_LEN);
        let refuse = |error: &'static str, description: &str| {
            AuthorizeError::Redirect(self.error_response(
                &redirect_uri,
                mode.unwrap_or(ResponseMode::Query),
                error,
                description,
                state.as_deref(),
            ))
        };
        let mode = mode.ok_or_else(|| refuse("invalid_request", "unsupported response_mode"))?;
        check_request_shape(params).map_err(|(error, why)| refuse(error, why))?;
        if !client.grants.contains(&Grant::AuthorizationCode) {
            return Err(refuse(
                "unauthorized_client",
                "the client may not use the authorization code grant",
            ));
        }
        let scope = requested_scope(&client, params.scope.as_deref())
            .map_err(|why| refuse("invalid_scope", why))?;
        let prompt =
            parse_prompt(params.prompt.as_deref()).map_err(|why| refuse("invalid_request", why))?;
        let max_age = parse_max_age(params.max_age.as_deref())
            .map_err(|why| refuse("invalid_request", why))?;
        let request = AuthorizationRequest {
            client_id: client.id.clone(),
            redirect_uri: redirect_uri.clone(),
            response_mode: mode,
            scope,
            state: state.clone(),
            nonce: params.nonce.clone(),
            code_challenge: params.code_challenge.clone().unwrap_or_default(),
            prompt,
            max_age,
            login_hint: params
                .login_hint
                .clone()
                .filter(|h| h.len() <= MAX_PARAM_LEN),
            ui_locales: params
                .ui_locales
                .clone()
                .filter(|l| l.len() <= MAX_PARAM_LEN),
            acr_values: params
                .acr_values
                .as_deref()
                .map(|v| {
                    v.split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        };
        Ok((request, client))
    }

    /// What `request` needs next, given the browser's session (if any). `just_signed_in`
    /// is true right after the sign-in page succeeded (so `prompt=login` and `max_age` are
    /// satisfied). With `prompt=none`, anything that would need a page is answered to the
    /// client as `login_required`, `consent_required` or `interaction_required`.
    ///
    /// # Errors
    /// [`AuthorizeError::Redirect`] for `prompt=none` failures; the store's errors.
    pub async fn authorize(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        session: Option<&LoginSession>,
        just_signed_in: bool,
    ) -> Result<AuthorizeNext, AuthorizeError> {
        let now = self.now();
        let refuse = |error: &'static str, description: &str| {
            AuthorizeError::Redirect(self.error_response(
                &request.redirect_uri,
                request.response_mode,
                error,
                description,
                request.state.as_deref(),
            ))
        };
        let session = session.filter(|s| s.is_live(now));
        let Some(session) = session.filter(|s| just_signed_in || !needs_sign_in(request, s, now))
        else {
            if request.prompt.none {
                return Err(refuse("login_required", "the user must sign in"));
            }
            return Ok(AuthorizeNext::SignIn);
        };
        if request.prompt.select_account && !just_signed_in {
            if request.prompt.none {
                return Err(refuse(
                    "interaction_required",
                    "the user must choose an account",
                ));
            }
            return Ok(AuthorizeNext::SignIn);
        }
        if self.needs_second_factor(request, client, session).await? {
            if request.prompt.none {
                return Err(refuse(
                    "interaction_required",
                    "the user must give a second factor",
                ));
            }
            if self.has_second_factor(&session.user_id).await? {
                return Ok(AuthorizeNext::SecondFactor);
            }
            return Ok(AuthorizeNext::SetUpSecondFactor);
        }
        if self.needs_consent(request, client, session).await? {
            if request.prompt.none {
                return Err(refuse("consent_required", "the user must consent"));
            }
            return Ok(AuthorizeNext::Consent {
                client: Box::new(client.clone()),
                scope: request.scope.clone(),
            });
        }
        Ok(AuthorizeNext::Respond(
            self.issue_code(request, session).await?,
        ))
    }

    /// Records the user's consent to the request's scopes (the consent page's "allow"), in
    /// addition to what they allowed the client before.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn grant_consent(
        &self,
        request: &AuthorizationRequest,
        session: &LoginSession,
    ) -> Result<(), StoreError> {
        let earlier = self
            .store
            .consent_of(&session.user_id, &request.client_id)
            .await?;
        let mut scope = earlier.map(|c| c.scope).unwrap_or_default();
        for token in request.scope.tokens() {
            scope.insert(token);
        }
        let consent = Consent {
            user_id: session.user_id.clone(),
            client_id: request.client_id.clone(),
            scope,
            granted_at: self.now(),
        };
        self.store.save_consent(&consent).await
    }

    /// The answer for a user who refused consent (or cancelled sign-in): `access_denied`.
    pub fn deny(&self, request: &AuthorizationRequest) -> AuthorizationResponse {
        self.error_response(
            &request.redirect_uri,
            request.response_mode,
            "access_denied",
            "the user denied the request",
            request.state.as_deref(),
        )
    }

    /// Issues a code for `request` in `session`, and remembers that the client was
    /// authorized in it (for back-channel logout).
    async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        session: &LoginSession,
    ) -> Result<AuthorizationResponse, AuthorizeError> {
        let now = self.now();
        let code = random_token().map_err(InternalError::from)?;
        let record = AuthorizationCode {
            hash: sha256(code.as_bytes()),
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            user_id: session.user_id.clone(),
            login_session_id: session.id.clone(),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            acr: session.acr.clone(),
            created_at: now,
            expires_at: now.plus_secs(CODE_LIFETIME_SECS),
        };
        self.store
            .note_login_client(&session.id, &request.client_id, now)
            .await?;
        self.store.create_code(&record).await?;
        let mut params = vec![("code", code)];
        if let Some(state) = &request.state {
            params.push(("state", state.clone()));
        }
        params.push(("iss", self.config.issuer.clone()));
        Ok(AuthorizationResponse {
            redirect_uri: request.redirect_uri.clone(),
            mode: request.response_mode,
            params,
        })
    }

    /// True when `session` (password only) falls short of a second factor that the
    /// request's `acr_values`, the client or the user's roles require.
    async fn needs_second_factor(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        session: &LoginSession,
    ) -> Result<bool, StoreError> {
        let asked = request.acr_values.iter().any(|acr| asks_for_mfa(acr));
        if asked && session.acr.as_deref() != Some(ACR_MFA) {
            return Ok(true);
        }
        self.client_needs_second_factor(client, session).await
    }

    /// True when `session` (password only) falls short of a second factor that `client` or
    /// the user's roles require (the device page asks this before an approval).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn client_needs_second_factor(
        &self,
        client: &Client,
        session: &LoginSession,
    ) -> Result<bool, StoreError> {
        if session.acr.as_deref() == Some(ACR_MFA) {
            return Ok(false);
        }
        if client.web.require_second_factor {
            return Ok(true);
        }
        let user = self.store.user_by_id(&session.user_id).await?;
        Ok(user.is_some_and(|u| self.role_requires_second_factor(&u)))
    }

    async fn needs_consent(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        session: &LoginSession,
    ) -> Result<bool, StoreError> {
        if client.web.first_party {
            return Ok(false);
        }
        if request.prompt.consent {
            return Ok(true);
        }
        let given = self.store.consent_of(&session.user_id, &client.id).await?;
        Ok(!given.is_some_and(|c| request.scope.is_subset_of(&c.scope)))
    }

    async fn authorizing_client(
        &self,
        params: &AuthorizationParams,
    ) -> Result<Client, AuthorizeError> {
        let id = params
            .client_id
            .as_deref()
            .filter(|id| !id.is_empty() && id.len() <= 128)
            .ok_or(AuthorizeError::Page("the request names no client"))?;
        self.store
            .client_by_id(&ClientId::from(id))
            .await?
            .ok_or(AuthorizeError::Page("the client is unknown"))
    }

    /// An error for the client, with `state` and `iss`.
    fn error_response(
        &self,
        redirect_uri: &str,
        mode: ResponseMode,
        error: &'static str,
        description: &str,
        state: Option<&str>,
    ) -> AuthorizationResponse {
        let mut params = vec![
            ("error", error.to_owned()),
            ("error_description", description.to_owned()),
        ];
        if let Some(state) = state {
            params.push(("state", state.to_owned()));
        }
        params.push(("iss", self.config.issuer.clone()));
        AuthorizationResponse {
            redirect_uri: redirect_uri.to_owned(),
            mode,
            params,
        }
    }
}

/// The redirect URI, if the client registered it (exactly, or a loopback URI but for its
/// port); otherwise no redirect may happen.
fn trusted_redirect(client: &Client, presented: Option<&str>) -> Result<String, AuthorizeError> {
    let presented = presented.ok_or(AuthorizeError::Page("the request has no redirect_uri"))?;
    if redirect_matches(&client.web.redirect_uris, presented) {
        Ok(presented.to_owned())
    } else {
        Err(AuthorizeError::Page(
            "the redirect_uri is not one the client registered",
        ))
    }
}

fn response_mode(mode: Option<&str>) -> Option<ResponseMode> {
    match mode {
        None | Some("query") => Some(ResponseMode::Query),
        Some("form_post") => Some(ResponseMode::FormPost),
        Some(_) => None,
    }
}

/// The request's shape: response type, PKCE, request objects, parameter sizes.
fn check_request_shape(params: &AuthorizationParams) -> Result<(), (&'static str, &'static str)> {
    if params.request.is_some() || params.request_uri.is_some() {
        return Err(("request_not_supported", "request objects are not supported"));
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err(("invalid_request", "response_type is required")),
        Some(_) => {
            return Err((
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
    }
    let challenge = params
        .code_challenge
        .as_deref()
        .ok_or(("invalid_request", "code_challenge is required (PKCE, S256)"))?;
    match params.code_challenge_method.as_deref() {
        Some("S256") => {}
        Some("plain") | None => {
            return Err((
                "invalid_request",
                "code_challenge_method must be S256 (plain is refused)",
            ));
        }
        Some(_) => return Err(("invalid_request", "code_challenge_method must be S256")),
    }
    // base64url of a SHA-256 digest: 43 characters.
    let well_formed = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(("invalid_request", "code_challenge is not an S256 challenge"));
    }
    let too_long = [
        &params.state,
        &params.nonce,
        &params.login_hint,
        &params.ui_locales,
    ]
    .iter()
    .any(|p| p.as_ref().is_some_and(|v| v.len() > MAX_PARAM_LEN));
    if too_long {
        return Err(("invalid_request", "a parameter is too long"));
    }
    Ok(())
}

/// The scope asked for: within the client's scopes, plus `openid`; all of the client's
/// when none is asked for.
fn requested_scope(client: &Client, asked: Option<&str>) -> Result<Scope, &'static str> {
    let allowed =
        Scope::from_tokens(&client.scopes).map_err(|_| "the client's scope is malformed")?;
    let Some(asked) = asked.filter(|a| !a.trim().is_empty()) else {
        return Ok(allowed);
    };
    let scope = Scope::parse(asked).map_err(|_| "the scope is malformed")?;
    if scope
        .tokens()
        .iter()
        .all(|t| allowed.contains(t) || t == OPENID)
    {
        Ok(scope)
    } else {
        Err("the scope exceeds what the client may request")
    }
}

fn parse_prompt(prompt: Option<&str>) -> Result<Prompt, &'static str> {
    let mut parsed = Prompt::default();
    for value in prompt
        .unwrap_or_default()
        .split(' ')
        .filter(|v| !v.is_empty())
    {
        match value {
            "none" => parsed.none = true,
            "login" => parsed.login = true,
            "consent" => parsed.consent = true,
            "select_account" => parsed.select_account = true,
            _ => return Err("prompt has an unknown value"),
        }
    }
    if parsed.none && (parsed.login || parsed.consent || parsed.select_account) {
        return Err("prompt=none cannot be combined with other values");
    }
    Ok(parsed)
}

fn parse_max_age(max_age: Option<&str>) -> Result<Option<u64>, &'static str> {
    max_age
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| "max_age must be a number of seconds")
        })
        .transpose()
}

/// True when the session cannot serve this request without a new sign-in.
/// True for an `acr_values` entry that asks for a second factor: ours, or the OpenID PAPE
/// multi-factor policy URI that some relying parties send.
fn asks_for_mfa(acr: &str) -> bool {
    acr == ACR_MFA || acr == PAPE_MULTI_FACTOR
}

/// The OpenID Provider Authentication Policy Extension's multi-factor policy, accepted in
/// `acr_values` as a synonym of [`ACR_MFA`].
const PAPE_MULTI_FACTOR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";

fn needs_sign_in(
    request: &AuthorizationRequest,
    session: &LoginSession,
    now: crate::model::Timestamp,
) -> bool {
    if request.prompt.login {
        return true;
    }
    // max_age=0 asks for a sign-in every time, like prompt=login.
    request.max_age.is_some_and(|max_age| {
        let age = u64::try_from(now.secs_since(session.auth_time)).unwrap_or(0);
        max_age == 0 || age > max_age
    })
}
