//! Encrypting what a client registered to receive encrypted (OpenID Connect Core §10.2): the
//! signed token is the plaintext of a JWE to the client's own public key, a nested JWT
//! (`cty: JWT`) whose header names the recipient key's `kid`. Only the client can read it;
//! its signature still says that we made it.

use tessera_jose::Algorithm;
use tessera_jose::jwe::{ContentEncryption, EncryptionKey, KeyAlgorithm, compact};

use super::Authority;
use crate::error::{InternalError, ServiceError};
use crate::model::Client;
use crate::store::Store;

impl<S: Store> Authority<S> {
    /// The ID token as the client receives it: `signed` as is, or encrypted to the client's
    /// key when it registered `id_token_encrypted_response_alg`.
    pub(super) fn id_token_for(
        &self,
        client: &Client,
        signed: String,
    ) -> Result<String, ServiceError> {
        match client.web.jose.id_token_encryption() {
            Some((alg, enc)) => encrypt_to(client, alg, enc, &signed),
            None => Ok(signed),
        }
    }

    /// The algorithms a client may ask userinfo answers to be signed with: the current
    /// signing key's and the configured one (the next key's).
    pub(super) fn signing_algorithms(&self) -> Vec<Algorithm> {
        let mut algs = vec![self.key_ring().signing_key().algorithm()];
        let configured = self.config.rotation.algorithm;
        if !algs.contains(&configured) {
            algs.push(configured);
        }
        algs
    }
}

/// Encrypts the signed JWT `signed` to `client`'s registered key for `alg`.
pub(super) fn encrypt_to(
    client: &Client,
    alg: KeyAlgorithm,
    enc: ContentEncryption,
    signed: &str,
) -> Result<String, ServiceError> {
    // Registration refused a client without a key for `alg`; a record that lost it since
    // (edited by hand) fails closed rather than sending the token in the clear.
    let jwks = client
        .web
        .jose
        .jwks
        .as_ref()
        .ok_or(InternalError::Malformed("client JWK set"))?;
    let key = EncryptionKey::select(jwks, alg).map_err(InternalError::Encrypting)?;
    let header = key.header(enc).with_cty("JWT");
    compact::encrypt(&header, signed.as_bytes(), &key)
        .map_err(|err| InternalError::Encrypting(err).into())
}
