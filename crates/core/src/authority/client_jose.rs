//! Registering a client's keys and the encryption of what is sent to it: the JWK Set must be
//! small and public, and must hold a key for each registered algorithm, so that issuing a
//! token never finds out too late that it cannot be encrypted.

use tessera_jose::jwe::{ContentEncryption, EncryptionKey, KeyAlgorithm};
use tessera_jose::{Algorithm, JwkSet};

use crate::error::AdminError;
use crate::model::{ClientJose, DEFAULT_ENC};

/// The largest JWK Set a client may register, in bytes of JSON.
pub const MAX_CLIENT_JWKS_LEN: usize = 16 * 1024;
/// The most keys a client's JWK Set may hold.
pub const MAX_CLIENT_JWKS_KEYS: usize = 16;

/// The JWE `alg` values a client may register (all encrypt to a public key), as discovery
/// lists them.
pub const CLIENT_ENCRYPTION_ALGS: [KeyAlgorithm; 5] = [
    KeyAlgorithm::RsaOaep256,
    KeyAlgorithm::RsaOaep,
    KeyAlgorithm::EcdhEs,
    KeyAlgorithm::EcdhEsA128Kw,
    KeyAlgorithm::EcdhEsA256Kw,
];

/// The key management algorithms a client may register, for messages.
const CLIENT_ALGS: &str = "RSA-OAEP-256, RSA-OAEP, ECDH-ES, ECDH-ES+A128KW or ECDH-ES+A256KW";

/// Parses a JWE `alg` a client may register for what is sent to it.
///
/// # Errors
/// [`AdminError::Invalid`] for RSA1_5 (padding oracles), for the shared-secret algorithms
/// (the server would have to keep the client's secret in the clear), and for unknown names.
pub fn parse_encryption_alg(name: &str) -> Result<KeyAlgorithm, AdminError> {
    if name == "RSA1_5" {
        return Err(AdminError::invalid(
            "RSA1_5 is refused (RSA PKCS#1 v1.5 encryption is open to padding-oracle attacks): \
             use RSA-OAEP-256",
        ));
    }
    match name.parse::<KeyAlgorithm>() {
        Ok(alg) if is_public_key_alg(alg) => Ok(alg),
        _ => Err(AdminError::invalid(format!(
            "unsupported JWE alg {:?}: use {CLIENT_ALGS}",
            name.chars().take(32).collect::<String>()
        ))),
    }
}

/// Parses a JWE `enc`.
///
/// # Errors
/// [`AdminError::Invalid`] for an unknown name.
pub fn parse_encryption_enc(name: &str) -> Result<ContentEncryption, AdminError> {
    name.parse::<ContentEncryption>().map_err(|_| {
        AdminError::invalid(format!(
            "unsupported JWE enc {:?}: use A128CBC-HS256, A256CBC-HS512, A128GCM or A256GCM",
            name.chars().take(32).collect::<String>()
        ))
    })
}

/// Parses a `userinfo_signed_response_alg`: a JWS algorithm name, as key rotation takes it.
///
/// # Errors
/// [`AdminError::Invalid`] for an unknown name.
pub fn parse_signing_alg(name: &str) -> Result<Algorithm, AdminError> {
    crate::keys::parse_alg(name).map_err(|err| AdminError::Invalid(err.to_string().into()))
}

/// Parses a client's JWK Set (strict JSON, at most [`MAX_CLIENT_JWKS_LEN`] bytes).
///
/// # Errors
/// [`AdminError::Invalid`] for oversized or malformed JSON.
pub fn parse_client_jwks(json: &[u8]) -> Result<JwkSet, AdminError> {
    if json.len() > MAX_CLIENT_JWKS_LEN {
        return Err(too_large());
    }
    JwkSet::from_json(json)
        .map_err(|err| AdminError::invalid(format!("the JWK set is not valid JSON: {err}")))
}

/// The client's settings, checked, with the default `enc` filled in where only `alg` was
/// given. `signing_algs` are the algorithms the server signs with (for userinfo).
pub(super) fn checked_jose(
    jose: &ClientJose,
    signing_algs: &[Algorithm],
) -> Result<ClientJose, AdminError> {
    if let Some(jwks) = &jose.jwks {
        check_jwks(jwks)?;
    }
    let id_token = checked_pair(
        jose,
        "id_token",
        jose.id_token_encrypted_response_alg,
        jose.id_token_encrypted_response_enc,
    )?;
    let userinfo = checked_pair(
        jose,
        "userinfo",
        jose.userinfo_encrypted_response_alg,
        jose.userinfo_encrypted_response_enc,
    )?;
    if let Some(alg) = jose.userinfo_signed_response_alg
        && !signing_algs.contains(&alg)
    {
        let names: Vec<&str> = signing_algs.iter().map(|a| a.as_str()).collect();
        return Err(AdminError::invalid(format!(
            "userinfo_signed_response_alg {alg}: this server signs with {}",
            names.join(", ")
        )));
    }
    Ok(ClientJose {
        id_token_encrypted_response_enc: id_token,
        userinfo_encrypted_response_enc: userinfo,
        ..jose.clone()
    })
}

impl<S: crate::store::Store> super::Authority<S> {
    /// Checks the keys and encryption settings of imported clients as registration does; the
    /// imported signing keys' algorithms count as the server's.
    pub(super) fn check_imported_jose(
        &self,
        snapshot: &mut crate::transfer::Snapshot,
    ) -> Result<(), AdminError> {
        let mut algs = self.signing_algorithms();
        algs.extend(snapshot.keys.iter().map(|key| key.alg));
        for client in &mut snapshot.clients {
            client.web.jose = checked_jose(&client.web.jose, &algs)
                .map_err(|err| AdminError::invalid(format!("client {}: {err}", client.id)))?;
        }
        Ok(())
    }
}

/// Checks one `alg`/`enc` pair; returns the `enc` to store.
fn checked_pair(
    jose: &ClientJose,
    what: &str,
    alg: Option<KeyAlgorithm>,
    enc: Option<ContentEncryption>,
) -> Result<Option<ContentEncryption>, AdminError> {
    let Some(alg) = alg else {
        if enc.is_some() {
            return Err(AdminError::invalid(format!(
                "{what}_encrypted_response_enc needs {what}_encrypted_response_alg"
            )));
        }
        return Ok(None);
    };
    if !is_public_key_alg(alg) {
        return Err(AdminError::invalid(format!(
            "{what}_encrypted_response_alg {alg} is not supported: use {CLIENT_ALGS}"
        )));
    }
    let Some(jwks) = &jose.jwks else {
        return Err(AdminError::invalid(format!(
            "{what}_encrypted_response_alg needs the client's public keys (jwks)"
        )));
    };
    EncryptionKey::select(jwks, alg).map_err(|_| {
        AdminError::invalid(format!(
            "the JWK set holds no key usable for {alg}: add {} with \"use\": \"enc\" (or no \
             \"use\") and no other \"alg\"",
            wanted_key(alg)
        ))
    })?;
    Ok(Some(enc.unwrap_or(DEFAULT_ENC)))
}

/// A client's JWK Set holds at most a few public keys, and no secrets.
fn check_jwks(jwks: &JwkSet) -> Result<(), AdminError> {
    let json = serde_json::to_vec(jwks).map_err(|_| too_large())?;
    if json.len() > MAX_CLIENT_JWKS_LEN || jwks.keys.len() > MAX_CLIENT_JWKS_KEYS {
        return Err(too_large());
    }
    if jwks.keys.is_empty() {
        return Err(AdminError::invalid("the JWK set holds no key"));
    }
    let secret = jwks
        .keys
        .iter()
        .any(|jwk| jwk.kty == "oct" || jwk.is_private_asymmetric());
    if secret {
        return Err(AdminError::invalid(
            "the JWK set must hold public keys only: remove private members (d, p, q, dp, dq, \
             qi) and symmetric (oct) keys",
        ));
    }
    Ok(())
}

fn too_large() -> AdminError {
    AdminError::invalid(format!(
        "the JWK set is too large (at most {MAX_CLIENT_JWKS_KEYS} keys and {MAX_CLIENT_JWKS_LEN} \
         bytes)"
    ))
}

/// True for the algorithms that encrypt to a public key.
fn is_public_key_alg(alg: KeyAlgorithm) -> bool {
    CLIENT_ENCRYPTION_ALGS.contains(&alg)
}

/// The kind of key `alg` needs, for error messages.
fn wanted_key(alg: KeyAlgorithm) -> &'static str {
    if alg.is_ecdh() {
        "an EC key on P-256 or P-384, or an OKP key on X25519,"
    } else {
        "an RSA key of at least 2048 bits"
    }
}

#[cfg(test)]
mod tests {
    use tessera_jose::Jwk;
    use tessera_jose::jwe::{DecryptionKey, EcdhCurve};

    use super::*;

    fn public_jwk(alg: KeyAlgorithm, curve: Option<EcdhCurve>) -> Jwk {
        let key = DecryptionKey::generate(alg, curve, None).expect("valid");
        key.encryption_key().expect("valid").to_jwk()
    }

    fn set(keys: Vec<Jwk>) -> JwkSet {
        let json: Vec<String> = keys.iter().map(Jwk::to_json).collect();
        JwkSet::from_json(format!(r#"{{"keys":[{}]}}"#, json.join(",")).as_bytes()).expect("valid")
    }

    fn settings(keys: Option<Vec<Jwk>>, alg: Option<KeyAlgorithm>) -> ClientJose {
        ClientJose {
            jwks: keys.map(set),
            id_token_encrypted_response_alg: alg,
            ..ClientJose::default()
        }
    }

    fn refusal(jose: &ClientJose) -> String {
        match checked_jose(jose, &[Algorithm::ES256]) {
            Err(AdminError::Invalid(text)) => text.into_owned(),
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn only_public_key_algorithms_are_accepted_and_rsa1_5_is_refused_by_name() {
        for alg in CLIENT_ENCRYPTION_ALGS {
            assert_eq!(parse_encryption_alg(alg.as_str()).expect("valid"), alg);
        }
        let text = parse_encryption_alg("RSA1_5")
            .expect_err("refused")
            .to_string();
        assert!(text.starts_with("RSA1_5 is refused"), "{text}");
        assert!(!text.contains('\n'));
        for name in [
            "A128KW",
            "A256KW",
            "dir",
            "none",
            "RS256",
            "rsa-oaep-256",
            "",
        ] {
            let text = parse_encryption_alg(name).expect_err("refused").to_string();
            assert!(text.starts_with("unsupported JWE alg"), "{name}: {text}");
        }
        assert_eq!(
            parse_encryption_enc("A256CBC-HS512").expect("valid"),
            ContentEncryption::A256CbcHs512
        );
        assert!(parse_encryption_enc("A192GCM").is_err());
    }

    #[test]
    fn a_jwks_file_is_bounded_and_strict() {
        let key = public_jwk(KeyAlgorithm::RsaOaep256, None).to_json();
        let ok = format!(r#"{{"keys":[{key}]}}"#);
        assert_eq!(
            parse_client_jwks(ok.as_bytes()).expect("valid").keys.len(),
            1
        );
        let big = format!(
            r#"{{"keys":[{key}],"pad":"{}"}}"#,
            "x".repeat(MAX_CLIENT_JWKS_LEN)
        );
        let text = parse_client_jwks(big.as_bytes())
            .expect_err("refused")
            .to_string();
        assert!(text.contains("too large"), "{text}");
        assert!(parse_client_jwks(b"{\"keys\":[]").is_err());
        assert!(parse_client_jwks(br#"{"keys":[],"keys":[]}"#).is_err());
    }

    #[test]
    fn the_set_must_hold_a_key_for_the_algorithm() {
        let rsa = public_jwk(KeyAlgorithm::RsaOaep256, None);
        let p256 = public_jwk(KeyAlgorithm::EcdhEs, Some(EcdhCurve::P256));
        let text = refusal(&settings(
            Some(vec![p256.clone()]),
            Some(KeyAlgorithm::RsaOaep),
        ));
        assert!(
            text.contains("no key usable for RSA-OAEP: add an RSA key"),
            "{text}"
        );
        let text = refusal(&settings(
            Some(vec![rsa.clone()]),
            Some(KeyAlgorithm::EcdhEs),
        ));
        assert!(text.contains("add an EC key on P-256"), "{text}");
        let mut signing = rsa.clone();
        signing.use_ = Some("sig".into());
        assert!(
            refusal(&settings(
                Some(vec![signing]),
                Some(KeyAlgorithm::RsaOaep256)
            ))
            .contains("no key usable")
        );
        let text = refusal(&settings(None, Some(KeyAlgorithm::EcdhEs)));
        assert!(
            text.contains("needs the client's public keys (jwks)"),
            "{text}"
        );
        let checked = checked_jose(
            &settings(Some(vec![p256, rsa]), Some(KeyAlgorithm::RsaOaep256)),
            &[Algorithm::ES256],
        )
        .expect("valid");
        assert_eq!(checked.id_token_encrypted_response_enc, Some(DEFAULT_ENC));
    }

    #[test]
    fn secrets_empty_sets_and_large_sets_are_refused() {
        let private = DecryptionKey::generate(KeyAlgorithm::EcdhEs, None, None)
            .expect("valid")
            .to_jwk();
        let text = refusal(&settings(Some(vec![private]), None));
        assert!(text.contains("public keys only"), "{text}");
        let secret = DecryptionKey::generate(KeyAlgorithm::A128Kw, None, None)
            .expect("valid")
            .to_jwk();
        assert!(refusal(&settings(Some(vec![secret]), None)).contains("public keys only"));
        assert!(refusal(&settings(Some(vec![]), None)).contains("holds no key"));
        let key = public_jwk(KeyAlgorithm::EcdhEs, Some(EcdhCurve::X25519));
        let many = vec![key; MAX_CLIENT_JWKS_KEYS + 1];
        assert!(refusal(&settings(Some(many), None)).contains("too large"));
    }

    #[test]
    fn enc_needs_alg_and_userinfo_signing_needs_a_server_algorithm() {
        let rsa = public_jwk(KeyAlgorithm::RsaOaep256, None);
        let jose = ClientJose {
            id_token_encrypted_response_enc: Some(ContentEncryption::A128Gcm),
            ..settings(Some(vec![rsa.clone()]), None)
        };
        let text = refusal(&jose);
        assert_eq!(
            text,
            "id_token_encrypted_response_enc needs id_token_encrypted_response_alg"
        );
        let jose = ClientJose {
            userinfo_encrypted_response_enc: Some(ContentEncryption::A128Gcm),
            ..settings(Some(vec![rsa]), None)
        };
        assert!(refusal(&jose).starts_with("userinfo_encrypted_response_enc needs"));
        let mut jose = ClientJose {
            userinfo_signed_response_alg: Some(Algorithm::RS256),
            ..ClientJose::default()
        };
        assert_eq!(
            refusal(&jose),
            "userinfo_signed_response_alg RS256: this server signs with ES256"
        );
        jose.userinfo_signed_response_alg = Some(Algorithm::ES256);
        assert!(checked_jose(&jose, &[Algorithm::ES256]).is_ok());
        let jose = ClientJose {
            userinfo_encrypted_response_alg: Some(KeyAlgorithm::A256Kw),
            ..settings(Some(vec![public_jwk(KeyAlgorithm::EcdhEs, None)]), None)
        };
        assert!(refusal(&jose).contains("is not supported"));
    }
}
