//! A client's keys and response encryption in the admin API, under the OpenID Connect
//! Registration names: the names parsed from `POST /admin/clients`, and written for the
//! client views.

use tessera_core::authority::{parse_encryption_alg, parse_encryption_enc, parse_signing_alg};
use tessera_core::model::ClientJose;
use tessera_jose::JwkSet;

use super::error::ApiError;

/// A client's public keys, and how its ID tokens and userinfo answers are encrypted.
#[derive(Debug, Default)]
pub struct ClientJoseFields {
    /// The client's public keys (a JWK Set: at most 16 keys, 16 KiB; no private or `oct`
    /// keys).
    pub jwks: Option<JwkSet>,
    /// JWE `alg` of its ID tokens: `RSA-OAEP-256`, `RSA-OAEP`, `ECDH-ES`, `ECDH-ES+A128KW` or
    /// `ECDH-ES+A256KW` (never `RSA1_5`).
    pub id_token_encrypted_response_alg: Option<String>,
    /// JWE `enc` of its ID tokens; `A128CBC-HS256` when only the `alg` is given.
    pub id_token_encrypted_response_enc: Option<String>,
    /// Userinfo answers as a JWT signed with this algorithm (the server's).
    pub userinfo_signed_response_alg: Option<String>,
    /// JWE `alg` of its userinfo answers (signed, then encrypted).
    pub userinfo_encrypted_response_alg: Option<String>,
    /// JWE `enc` of its userinfo answers; `A128CBC-HS256` when only the `alg` is given.
    pub userinfo_encrypted_response_enc: Option<String>,
}

impl ClientJoseFields {
    /// The fields of a stored client.
    pub fn view(jose: &ClientJose) -> Self {
        let name = |value: Option<&str>| value.map(str::to_owned);
        Self {
            jwks: jose.jwks.clone(),
            id_token_encrypted_response_alg: name(
                jose.id_token_encrypted_response_alg.map(|a| a.as_str()),
            ),
            id_token_encrypted_response_enc: name(
                jose.id_token_encrypted_response_enc.map(|e| e.as_str()),
            ),
            userinfo_signed_response_alg: name(
                jose.userinfo_signed_response_alg.map(|a| a.as_str()),
            ),
            userinfo_encrypted_response_alg: name(
                jose.userinfo_encrypted_response_alg.map(|a| a.as_str()),
            ),
            userinfo_encrypted_response_enc: name(
                jose.userinfo_encrypted_response_enc.map(|e| e.as_str()),
            ),
        }
    }

    /// The settings to register, the names parsed (the authority checks the rest).
    ///
    /// # Errors
    /// `invalid_request` for an unknown or refused algorithm name.
    pub fn parse(self) -> Result<ClientJose, ApiError> {
        let alg = |name: Option<String>| name.as_deref().map(parse_encryption_alg).transpose();
        let enc = |name: Option<String>| name.as_deref().map(parse_encryption_enc).transpose();
        let signing = self
            .userinfo_signed_response_alg
            .as_deref()
            .map(parse_signing_alg)
            .transpose();
        Ok(ClientJose {
            jwks: self.jwks,
            id_token_encrypted_response_alg: alg(self.id_token_encrypted_response_alg)?,
            id_token_encrypted_response_enc: enc(self.id_token_encrypted_response_enc)?,
            userinfo_signed_response_alg: signing?,
            userinfo_encrypted_response_alg: alg(self.userinfo_encrypted_response_alg)?,
            userinfo_encrypted_response_enc: enc(self.userinfo_encrypted_response_enc)?,
        })
    }
}
