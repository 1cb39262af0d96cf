//! What a client registers about the JOSE objects sent to it (OpenID Connect Dynamic Client
//! Registration 1.0 §2): its public keys, and how its ID tokens and userinfo answers are
//! signed and encrypted. Stored with the client, inside its browser settings.

use serde::{Deserialize, Serialize};
use tessera_jose::JwkSet;
use tessera_jose::jwe::{ContentEncryption, KeyAlgorithm};

/// The content encryption used when a client registers only the key management algorithm
/// (OpenID Connect Registration §2, `id_token_encrypted_response_enc`).
pub const DEFAULT_ENC: ContentEncryption = ContentEncryption::A128CbcHs256;

/// A client's keys, and how what is sent to it is encrypted.
#[derive(Clone, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
#[serde(default)]
pub struct ClientJose {
    /// The client's public keys (a JWK Set given at registration), to encrypt to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<JwkSet>,
    /// The JWE `alg` of its ID tokens; none: ID tokens are only signed.
    #[serde(skip_serializing_if = "Option::is_none", with = "name")]
    pub id_token_encrypted_response_alg: Option<KeyAlgorithm>,
    /// The JWE `enc` of its ID tokens (set whenever the `alg` is).
    #[serde(skip_serializing_if = "Option::is_none", with = "name")]
    pub id_token_encrypted_response_enc: Option<ContentEncryption>,
    /// Userinfo answers as a JWT signed with the server's key (the name of the algorithm
    /// the server signs with); none: plain JSON, unless encryption is registered.
    #[serde(skip_serializing_if = "Option::is_none", with = "name")]
    pub userinfo_signed_response_alg: Option<tessera_jose::Algorithm>,
    /// The JWE `alg` of its userinfo answers (signed, then encrypted).
    #[serde(skip_serializing_if = "Option::is_none", with = "name")]
    pub userinfo_encrypted_response_alg: Option<KeyAlgorithm>,
    /// The JWE `enc` of its userinfo answers (set whenever the `alg` is).
    #[serde(skip_serializing_if = "Option::is_none", with = "name")]
    pub userinfo_encrypted_response_enc: Option<ContentEncryption>,
}

impl ClientJose {
    /// How ID tokens are encrypted for this client, when they are.
    pub fn id_token_encryption(&self) -> Option<(KeyAlgorithm, ContentEncryption)> {
        let alg = self.id_token_encrypted_response_alg?;
        Some((
            alg,
            self.id_token_encrypted_response_enc.unwrap_or(DEFAULT_ENC),
        ))
    }

    /// How userinfo answers are encrypted for this client, when they are.
    pub fn userinfo_encryption(&self) -> Option<(KeyAlgorithm, ContentEncryption)> {
        let alg = self.userinfo_encrypted_response_alg?;
        Some((
            alg,
            self.userinfo_encrypted_response_enc.unwrap_or(DEFAULT_ENC),
        ))
    }

    /// True when userinfo answers are a JWT rather than JSON.
    pub fn userinfo_as_jwt(&self) -> bool {
        self.userinfo_signed_response_alg.is_some()
            || self.userinfo_encrypted_response_alg.is_some()
    }
}

/// An algorithm stored by its registered name (`"RSA-OAEP-256"`, `"A128CBC-HS256"`).
mod name {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the name.
    pub(super) fn serialize<T: Display, S: Serializer>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.collect_str(value),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a name; an unknown one is a stored value this build cannot read.
    pub(super) fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        Option::<String>::deserialize(deserializer)?
            .map(|name| name.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_absent_settings_stay_absent() {
        let jose = ClientJose {
            id_token_encrypted_response_alg: Some(KeyAlgorithm::EcdhEsA256Kw),
            id_token_encrypted_response_enc: Some(ContentEncryption::A256Gcm),
            ..ClientJose::default()
        };
        let json = serde_json::to_string(&jose).expect("valid");
        assert_eq!(
            json,
            r#"{"id_token_encrypted_response_alg":"ECDH-ES+A256KW","id_token_encrypted_response_enc":"A256GCM"}"#
        );
        assert_eq!(
            serde_json::from_str::<ClientJose>(&json).expect("valid"),
            jose
        );
        assert_eq!(
            serde_json::to_string(&ClientJose::default()).expect("valid"),
            "{}"
        );
        let bad = r#"{"id_token_encrypted_response_alg":"RSA1_5"}"#;
        assert!(serde_json::from_str::<ClientJose>(bad).is_err());
    }

    #[test]
    fn enc_defaults_to_a128cbc_hs256_when_only_alg_is_set() {
        let jose = ClientJose {
            id_token_encrypted_response_alg: Some(KeyAlgorithm::RsaOaep256),
            userinfo_encrypted_response_alg: Some(KeyAlgorithm::EcdhEs),
            ..ClientJose::default()
        };
        let expected = Some((KeyAlgorithm::RsaOaep256, ContentEncryption::A128CbcHs256));
        assert_eq!(jose.id_token_encryption(), expected);
        assert_eq!(
            jose.userinfo_encryption(),
            Some((KeyAlgorithm::EcdhEs, ContentEncryption::A128CbcHs256))
        );
        assert!(jose.userinfo_as_jwt());
        assert!(!ClientJose::default().userinfo_as_jwt());
        assert_eq!(ClientJose::default().id_token_encryption(), None);
    }
}
