//! How domain values that have no column type of their own are stored, the same on every
//! backend: lists as JSON arrays in text, key states as lower-case names.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tessera_core::StoreError;
use tessera_core::model::KeyState;

/// Encodes a list (roles, grants, scopes, audiences) as a JSON array.
pub(crate) fn encode_list<T: Serialize>(items: &[T]) -> Result<String, StoreError> {
    serde_json::to_string(items).map_err(|err| StoreError::Corrupt(format!("list: {err}")))
}

/// Decodes a list stored by [`encode_list`]; `column` names it in the error.
pub(crate) fn decode_list<T: DeserializeOwned>(
    json: &str,
    column: &str,
) -> Result<Vec<T>, StoreError> {
    serde_json::from_str(json).map_err(|err| StoreError::Corrupt(format!("{column}: {err}")))
}

/// The stored name of a key state.
pub(crate) fn key_state_name(state: KeyState) -> &'static str {
    match state {
        KeyState::Published => "published",
        KeyState::Active => "active",
        KeyState::Retiring => "retiring",
        KeyState::Retired => "retired",
    }
}

/// Parses a stored key state name.
pub(crate) fn parse_key_state(name: &str) -> Result<KeyState, StoreError> {
    match name {
        "published" => Ok(KeyState::Published),
        "active" => Ok(KeyState::Active),
        "retiring" => Ok(KeyState::Retiring),
        "retired" => Ok(KeyState::Retired),
        other => Err(StoreError::Corrupt(format!("unknown key state {other:?}"))),
    }
}

/// The case-insensitive lookup key of a username (Unicode lower case, computed here rather
/// than by the database so that every backend folds alike).
pub(crate) fn username_key(username: &str) -> String {
    username.to_lowercase()
}

#[cfg(test)]
mod tests {
    use tessera_core::model::Grant;

    use super::*;

    #[test]
    fn lists_round_trip() {
        let grants = [Grant::Password, Grant::RefreshToken];
        let json = encode_list(&grants).expect("encodes");
        assert_eq!(json, r#"["password","refresh_token"]"#);
        assert_eq!(decode_list::<Grant>(&json, "grants"), Ok(grants.to_vec()));
        assert!(matches!(
            decode_list::<Grant>("[1]", "grants"),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn key_states_round_trip() {
        for state in [
            KeyState::Published,
            KeyState::Active,
            KeyState::Retiring,
            KeyState::Retired,
        ] {
            assert_eq!(parse_key_state(key_state_name(state)), Ok(state));
        }
        assert!(parse_key_state("lost").is_err());
    }

    #[test]
    fn usernames_fold_beyond_ascii() {
        assert_eq!(username_key("ÄRGER"), username_key("ärger"));
    }
}
