//! The relying party's side of OpenID Connect, against the provider's discovery document
//! only: the authorization request (PKCE S256, state, nonce), the code exchange
//! (client_secret_basic), and ID and logout token checks with the provider's keys.

use std::time::Duration;

use aws_lc_rs::digest::{SHA256, digest};
use serde::Deserialize;
use serde_json::Value;
use tessera_jose::{Algorithm, JwkSet, KeySet, Validator, b64};

/// Fetches stop after this long.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What discovery says, as far as this application needs it.
#[derive(Clone, Debug, Deserialize)]
pub struct Metadata {
    /// The issuer.
    pub issuer: String,
    /// Where the browser goes to sign in.
    pub authorization_endpoint: String,
    /// Where codes become tokens.
    pub token_endpoint: String,
    /// RP-initiated logout.
    pub end_session_endpoint: String,
    /// The provider's public keys.
    pub jwks_uri: String,
}

/// The provider, discovered, with its keys.
pub struct Provider {
    /// The metadata.
    pub metadata: Metadata,
    keys: KeySet,
    http: reqwest::Client,
    client_id: String,
    client_secret: String,
}

/// What the browser must bring back after signing in: kept server-side under a random key.
#[derive(Clone, Debug)]
pub struct Pending {
    /// The `state` sent.
    pub state: String,
    /// The `nonce` sent.
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
}

/// The tokens of a signed-in user (never sent to the browser).
#[derive(Clone, Debug)]
pub struct Tokens {
    /// For the API.
    pub access_token: String,
    /// For logout.
    pub id_token: String,
    /// The user's id.
    pub sub: String,
    /// The user's name, when the ID token or userinfo has it.
    pub name: String,
    /// The provider's session (`sid`), for back-channel logout.
    pub sid: String,
}

/// 256 random bits, base64url.
pub fn random() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "no randomness".to_owned())?;
    Ok(b64::encode(&bytes))
}

impl Provider {
    /// Discovers `issuer` and loads its keys.
    ///
    /// # Errors
    /// A message naming what failed.
    pub async fn discover(
        issuer: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            // Shorter than Tessera keeps an idle connection (10 s), so that no request reuses
            // one the server is closing.
            .pool_idle_timeout(Duration::from_secs(4))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        let url = format!("{issuer}/.well-known/openid-configuration");
        let metadata: Metadata = get_json(&http, &url).await?;
        if metadata.issuer != issuer {
            return Err(format!("discovery names issuer {}", metadata.issuer));
        }
        let jwks = http
            .get(&metadata.jwks_uri)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("jwks: {e}"))?
            .bytes()
            .await
            .map_err(|e| format!("jwks: {e}"))?;
        let jwks = JwkSet::from_json(&jwks).map_err(|e| format!("jwks: {e}"))?;
        let asymmetric: Vec<Algorithm> = Algorithm::ALL
            .into_iter()
            .filter(|alg| !alg.is_symmetric())
            .collect();
        let keys = KeySet::from_jwks(&jwks, &asymmetric).map_err(|e| format!("jwks: {e}"))?;
        Ok(Self {
            metadata,
            keys,
            http,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
        })
    }

    /// The URL that starts a sign-in, and what to remember until the browser comes back.
    ///
    /// # Errors
    /// No randomness.
    pub fn authorization_url(
        &self,
        redirect_uri: &str,
        scope: &str,
    ) -> Result<(String, Pending), String> {
        let pending = Pending {
            state: random()?,
            nonce: random()?,
            verifier: random()?,
        };
        let challenge = b64::encode(digest(&SHA256, pending.verifier.as_bytes()).as_ref());
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", scope)
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        Ok((
            format!("{}?{query}", self.metadata.authorization_endpoint),
            pending,
        ))
    }

    /// Checks the redirect's `state` and `iss` (RFC 9207), redeems the code, and checks the ID
    /// token (signature, iss, aud, exp, nonce).
    ///
    /// # Errors
    /// What did not check out.
    pub async fn finish(
        &self,
        pending: &Pending,
        returned: &std::collections::HashMap<String, String>,
        redirect_uri: &str,
    ) -> Result<Tokens, String> {
        if let Some(error) = returned.get("error") {
            return Err(format!("the provider answered {error}"));
        }
        if returned.get("state") != Some(&pending.state) {
            return Err("the state does not match".into());
        }
        if returned.get("iss") != Some(&self.metadata.issuer) {
            return Err("the response does not come from our provider (iss)".into());
        }
        let code = returned.get("code").ok_or("no code")?;
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_verifier", &pending.verifier)
            .finish();
        let answer = self
            .http
            .post(&self.metadata.token_endpoint)
            .basic_auth(
                form_urlencoded::byte_serialize(self.client_id.as_bytes()).collect::<String>(),
                Some(
                    form_urlencoded::byte_serialize(self.client_secret.as_bytes())
                        .collect::<String>(),
                ),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("token endpoint: {e}"))?;
        let status = answer.status();
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| format!("token endpoint: {e}"))?;
        let json: Value = serde_json::from_slice(&bytes).map_err(|_| "token endpoint: not JSON")?;
        if !status.is_success() {
            return Err(format!("token endpoint: {}", json["error"]));
        }
        let text = |name: &str| {
            json[name]
                .as_str()
                .map(str::to_owned)
                .ok_or(format!("no {name}"))
        };
        let (access_token, id_token) = (text("access_token")?, text("id_token")?);
        let validator = Validator::builder()
            .issuer(&self.metadata.issuer)
            .audience(&self.client_id)
            .require("sub")
            .require("sid")
            .build();
        let verified = validator
            .verify(&id_token, &self.keys)
            .map_err(|e| format!("the ID token is not valid: {e}"))?;
        let claims = &verified.claims;
        let claim = |name: &str| claims.get(name).and_then(|v| v.as_str().map(str::to_owned));
        if claim("nonce").as_deref() != Some(pending.nonce.as_str()) {
            return Err("the ID token's nonce does not match".into());
        }
        let sub = claim("sub").unwrap_or_default();
        Ok(Tokens {
            access_token,
            id_token,
            name: claim("preferred_username").unwrap_or_else(|| sub.clone()),
            sub,
            sid: claim("sid").unwrap_or_default(),
        })
    }

    /// The `sid` of a valid back-channel logout token (OpenID Back-Channel Logout 1.0 §2.6).
    ///
    /// # Errors
    /// What did not check out.
    pub fn logout_sid(&self, token: &str) -> Result<String, String> {
        let validator = Validator::builder()
            .issuer(&self.metadata.issuer)
            .audience(&self.client_id)
            .typ("logout+jwt")
            .require("sid")
            .require("events")
            .build();
        let verified = validator
            .verify(token, &self.keys)
            .map_err(|e| format!("the logout token is not valid: {e}"))?;
        let claims = &verified.claims;
        let events = claims.get("events").unwrap_or_default();
        if !events["http://schemas.openid.net/event/backchannel-logout"].is_object() {
            return Err("the logout token has no logout event".into());
        }
        if claims.contains("nonce") {
            return Err("a logout token must not have a nonce".into());
        }
        Ok(claims
            .get("sid")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default())
    }

    /// RP-initiated logout for these tokens, back to `after`.
    pub fn end_session_url(&self, tokens: &Tokens, after: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token_hint", &tokens.id_token)
            .append_pair("post_logout_redirect_uri", after)
            .finish();
        format!("{}?{query}", self.metadata.end_session_endpoint)
    }

    /// GETs `url` with the access token; the body as text.
    ///
    /// # Errors
    /// The request failed.
    pub async fn call_api(&self, url: &str, access_token: &str) -> Result<(u16, String), String> {
        let answer = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = answer.status().as_u16();
        let text = answer.text().await.map_err(|e| format!("{url}: {e}"))?;
        Ok((status, text))
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, String> {
    let bytes = http
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("{url}: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{url}: {e}"))
}
