//! Client authentication at the token, revocation and introspection endpoints (RFC 6749
//! §2.3): HTTP Basic, `client_secret_post`, or `client_id` alone for a public client.

use std::fmt;

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;
use tessera_core::model::Client;
use tessera_core::{Authority, ClientAuthError, Store};

use super::error::ApiError;
use super::params::Params;

/// The longest client id or secret accepted, in bytes.
const MAX_CLIENT_FIELD: usize = 256;

/// Credentials presented by a client. `Debug` hides the secret.
pub struct ClientCredentials {
    /// The `client_id`.
    pub client_id: String,
    /// The secret, if one was sent.
    secret: Option<String>,
    /// True when they came in an `Authorization: Basic` header.
    pub basic: bool,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("basic", &self.basic)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// Reads the credentials from the `Authorization` header or the body; using both, or
    /// none, is refused.
    ///
    /// # Errors
    /// `invalid_request` for a malformed header or two methods at once; `invalid_client`
    /// (401) when no client is named.
    pub fn from_request(headers: &HeaderMap, params: &Params) -> Result<Self, ApiError> {
        let credentials = match headers.get(header::AUTHORIZATION) {
            Some(value) => {
                if params.get("client_secret").is_some() {
                    return Err(ApiError::invalid_request(
                        "use one client authentication method only",
                    ));
                }
                let value = value
                    .to_str()
                    .map_err(|_| ApiError::invalid_request("malformed Authorization header"))?;
                let creds = parse_basic(value)?;
                if params
                    .get("client_id")
                    .is_some_and(|id| id != creds.client_id)
                {
                    return Err(ApiError::invalid_request(
                        "client_id differs from the authenticated client",
                    ));
                }
                creds
            }
            None => Self {
                client_id: params
                    .get("client_id")
                    .ok_or_else(client_required)?
                    .to_owned(),
                secret: params.get("client_secret").map(str::to_owned),
                basic: false,
            },
        };
        let too_long = credentials.client_id.len() > MAX_CLIENT_FIELD
            || credentials
                .secret
                .as_ref()
                .is_some_and(|s| s.len() > MAX_CLIENT_FIELD);
        if too_long {
            return Err(ApiError::invalid_request(
                "the client credentials are too long",
            ));
        }
        super::cors::note_client(&credentials.client_id);
        Ok(credentials)
    }

    /// Checks the credentials with the authority; a failure after Basic authentication
    /// carries the Basic challenge (RFC 6749 §5.2).
    ///
    /// # Errors
    /// 401 `invalid_client`, or the store's errors.
    pub async fn authenticate<S: Store>(
        &self,
        authority: &Authority<S>,
    ) -> Result<Client, ApiError> {
        authority
            .authenticate_client(&self.client_id, self.secret.as_deref())
            .await
            .map_err(|err| {
                let is_client = matches!(err, ClientAuthError::Failed);
                let api = ApiError::from(err);
                if is_client && self.basic {
                    api.basic()
                } else {
                    api
                }
            })
    }
}

fn client_required() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "invalid_client",
        "client authentication is required",
    )
}

/// Parses `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(value: &str) -> Result<ClientCredentials, ApiError> {
    let malformed = || ApiError::invalid_request("malformed Authorization header");
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::invalid_request(
            "only the Basic scheme authenticates clients here",
        ));
    }
    if encoded.len() > 4 * MAX_CLIENT_FIELD {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let decode = |part: &str| {
        percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| malformed())
    };
    let client_id = decode(id)?;
    if client_id.is_empty() {
        return Err(malformed());
    }
    let secret = decode(secret)?;
    Ok(ClientCredentials {
        client_id,
        secret: (!secret.is_empty()).then_some(secret),
        basic: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        let creds = parse_basic(&basic("c%3A1:s%2Bx+y")).expect("valid");
        assert_eq!(creds.client_id, "c:1");
        assert_eq!(creds.secret.as_deref(), Some("s+x y"));
        assert!(creds.basic);
    }

    #[test]
    fn malformed_basic_is_invalid_request() {
        assert!(parse_basic("Basic !!!").is_err());
        assert!(parse_basic(&basic("no-colon")).is_err());
        assert!(parse_basic("Bearer abc").is_err());
        assert!(parse_basic(&basic(":secret")).is_err());
    }
}
