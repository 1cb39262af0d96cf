//! The flags of `client add` for a client's keys and the encryption of its ID tokens and
//! userinfo answers (named after the OpenID Connect Registration metadata).

use std::path::Path;

use clap::Args;
use tessera_core::AdminError;
use tessera_core::authority::{
    parse_client_jwks, parse_encryption_alg, parse_encryption_enc, parse_signing_alg,
};
use tessera_core::model::ClientJose;

use crate::error::CliError;
use crate::{fetch, input};

/// The encryption flags of `client add`.
#[derive(Debug, Args)]
pub(crate) struct JoseArgs {
    /// The client's public keys: a JWK Set file or URL (JSON, at most 16 keys and 16 KiB; a
    /// URL is fetched once, now), kept with the client; its ID tokens and userinfo answers
    /// are encrypted to them.
    #[arg(long = "jwks", value_name = "FILE|URL")]
    jwks: Option<String>,
    /// Encrypt the client's ID tokens with this JWE alg: RSA-OAEP-256, RSA-OAEP, ECDH-ES,
    /// ECDH-ES+A128KW or ECDH-ES+A256KW (needs --jwks with a key for it).
    #[arg(long = "id-token-encrypted-response-alg", value_name = "ALG")]
    id_token_alg: Option<String>,
    /// The JWE enc of its ID tokens: A128CBC-HS256 (the default), A256CBC-HS512, A128GCM or
    /// A256GCM.
    #[arg(long = "id-token-encrypted-response-enc", value_name = "ENC")]
    id_token_enc: Option<String>,
    /// Answer the client's userinfo requests with a JWT signed with the server's key (the
    /// algorithm the server signs with, such as ES256) instead of JSON.
    #[arg(long = "userinfo-signed-response-alg", value_name = "ALG")]
    userinfo_signed: Option<String>,
    /// Answer its userinfo requests with a signed JWT encrypted with this JWE alg (as for ID
    /// tokens).
    #[arg(long = "userinfo-encrypted-response-alg", value_name = "ALG")]
    userinfo_alg: Option<String>,
    /// The JWE enc of its userinfo answers (A128CBC-HS256 by default).
    #[arg(long = "userinfo-encrypted-response-enc", value_name = "ENC")]
    userinfo_enc: Option<String>,
}

impl JoseArgs {
    /// The settings, with the JWK Set read from its file and the names parsed (the
    /// authority checks the rest when it registers the client).
    ///
    /// # Errors
    /// Exit 2 for an unreachable URL, an unreadable file or one that is not a small JWK Set, and for an
    /// unknown or refused algorithm (RSA1_5 among them).
    pub(crate) fn settings(&self) -> Result<ClientJose, CliError> {
        Ok(ClientJose {
            jwks: self.jwks.as_deref().map(read_jwks).transpose()?,
            id_token_encrypted_response_alg: parsed(&self.id_token_alg, parse_encryption_alg)?,
            id_token_encrypted_response_enc: parsed(&self.id_token_enc, parse_encryption_enc)?,
            userinfo_signed_response_alg: parsed(&self.userinfo_signed, parse_signing_alg)?,
            userinfo_encrypted_response_alg: parsed(&self.userinfo_alg, parse_encryption_alg)?,
            userinfo_encrypted_response_enc: parsed(&self.userinfo_enc, parse_encryption_enc)?,
        })
    }
}

/// An optional flag's value, parsed.
fn parsed<T>(
    value: &Option<String>,
    parse: fn(&str) -> Result<T, AdminError>,
) -> Result<Option<T>, CliError> {
    value
        .as_deref()
        .map(|name| parse(name).map_err(CliError::from))
        .transpose()
}

/// Reads a client's JWK Set from a file, or fetches it once from a URL (under the fetch
/// policy of `token verify --jwks URL`: https, or http to a loopback host).
fn read_jwks(source: &str) -> Result<tessera_jose::JwkSet, CliError> {
    // A URL is read now and the set kept by value, like a file: the server never fetches a
    // client's keys while it runs, so nothing a client serves can slow or steer a token
    // request. A client that rotates its keys registers the new set.
    let bytes = if fetch::is_url(source) {
        fetch::get(source)?
    } else {
        input::file(Path::new(source), "JWK set")?
    };
    parse_client_jwks(&bytes)
        .map_err(|err| CliError::from(err).context(&format!("--jwks {source}")))
}
