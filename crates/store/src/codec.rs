//! How domain values that have no column type of their own are stored, the same on every
//! backend: lists as JSON arrays in text, key states as lower-case names, algorithms by their
//! JWS name, scopes as their space-separated string, a client's browser settings as a JSON
//! object.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tessera_core::StoreError;
use tessera_core::error::Cause;
use tessera_core::model::{ClientWeb, KeyState};
use tessera_core::scope::Scope;
use tessera_jose::Algorithm;

/// Encodes a list (roles, grants, scopes, audiences) as a JSON array.
pub(crate) fn encode_list<T: Serialize>(items: &[T]) -> Result<String, StoreError> {
    serde_json::to_string(items).map_err(|err| StoreError::Corrupt(Cause::new(err)))
}

/// A `LIKE` pattern (escape character `\`) that every stored role list holding `role`
/// matches (and a few others: the caller checks the decoded list).
pub(crate) fn role_pattern(role: &str) -> Result<String, StoreError> {
    let quoted = serde_json::to_string(role).map_err(|err| StoreError::Corrupt(Cause::new(err)))?;
    let mut pattern = String::with_capacity(quoted.len() + 2);
    pattern.push('%');
    for c in quoted.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(pattern)
}

/// Decodes a list stored by [`encode_list`]; `column` names it in the error.
pub(crate) fn decode_list<T: DeserializeOwned>(
    json: &str,
    column: &str,
) -> Result<Vec<T>, StoreError> {
    serde_json::from_str(json).map_err(|err| StoreError::corrupt(format!("{column}: {err}")))
}

/// Encodes a client's browser settings as a JSON object.
pub(crate) fn encode_web(web: &ClientWeb) -> Result<String, StoreError> {
    serde_json::to_string(web).map_err(|err| StoreError::Corrupt(Cause::new(err)))
}

/// Decodes a client's browser settings stored by [`encode_web`].
pub(crate) fn decode_web(json: &str) -> Result<ClientWeb, StoreError> {
    serde_json::from_str(json).map_err(|err| StoreError::corrupt(format!("web: {err}")))
}

/// Parses a stored algorithm name (`"ES256"`); an unknown one means corrupt data.
pub(crate) fn parse_alg(name: &str) -> Result<Algorithm, StoreError> {
    name.parse()
        .map_err(|_| StoreError::corrupt(format!("unknown signing algorithm {name:?}")))
}

/// Parses a stored scope string; a malformed one means corrupt data.
pub(crate) fn parse_scope(text: &str) -> Result<Scope, StoreError> {
    Scope::parse(text).map_err(|err| StoreError::Corrupt(Cause::new(err)))
}

/// Parses a stored key state name.
pub(crate) fn parse_key_state(name: &str) -> Result<KeyState, StoreError> {
    match name {
        "published" => Ok(KeyState::Published),
        "active" => Ok(KeyState::Active),
        "retiring" => Ok(KeyState::Retiring),
        "retired" => Ok(KeyState::Retired),
        other => Err(StoreError::corrupt(format!("unknown key state {other:?}"))),
    }
}

/// The case-insensitive lookup key of a username (Unicode lower case, computed here rather
/// than by the database so that every backend folds alike).
pub(crate) fn username_key(username: &str) -> String {
    username.to_lowercase()
}

/// The case-folded keys of a username search: those from `from` (inclusive) that are
/// below `to` (when bounded) and above `after` (when given); at most `limit`.
#[derive(Clone, Debug)]
pub(crate) struct UserRange {
    /// The folded prefix: the least key that can match.
    pub(crate) from: String,
    /// The least key above every key that starts with the prefix; `None` when unbounded.
    pub(crate) to: Option<String>,
    /// The folded last key of the previous page.
    pub(crate) after: Option<String>,
    /// The most users answered.
    pub(crate) limit: u32,
}

impl UserRange {
    /// The range of the usernames that start with `prefix`, case-insensitively.
    pub(crate) fn new(prefix: &str, after: Option<&str>, limit: u32) -> Self {
        let from = username_key(prefix);
        Self {
            to: successor(&from),
            from,
            after: after.map(username_key),
            limit,
        }
    }

    /// True when the folded `key` is in the range (ignoring the limit).
    pub(crate) fn contains(&self, key: &str) -> bool {
        key.starts_with(&self.from) && self.after.as_deref().is_none_or(|after| key > after)
    }
}

/// The least string above every string that starts with `prefix` (in code point order,
/// which is byte order for UTF-8), or `None` when there is none.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(next) = char::from_u32(next) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use tessera_core::model::Grant;

    use super::*;

    #[test]
    fn prefix_ranges_end_after_the_prefix() {
        assert_eq!(successor("ab").as_deref(), Some("ac"));
        assert_eq!(successor(""), None);
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
        let range = UserRange::new("AL", Some("alf"), 5);
        assert!(range.contains("alice") && !range.contains("alf") && !range.contains("bob"));
    }

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
            assert_eq!(parse_key_state(state.as_str()), Ok(state));
        }
        assert!(parse_key_state("lost").is_err());
    }

    #[test]
    fn algorithms_and_scopes_round_trip_and_bad_ones_are_corrupt() {
        assert_eq!(parse_alg(Algorithm::ES256.as_str()), Ok(Algorithm::ES256));
        assert!(matches!(parse_alg("none"), Err(StoreError::Corrupt(_))));
        assert!(matches!(parse_alg("es256"), Err(StoreError::Corrupt(_))));
        let scope = Scope::parse("openid orders:read").expect("scope");
        assert_eq!(parse_scope(&scope.to_string()), Ok(scope));
        assert!(matches!(parse_scope("a\"b"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn usernames_fold_beyond_ascii() {
        assert_eq!(username_key("ÄRGER"), username_key("ärger"));
    }
}
