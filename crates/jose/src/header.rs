//! What the JWS and JWE headers have in common: the members that are always refused and the
//! comparison of the media types in `typ` and `cty`.

use serde_json::Value;

use crate::error::cut;

/// Header members that point at keys. A verifier that followed them would let the token
/// choose its own key (RFC 8725 §3.10), so a token carrying one is refused outright.
pub(crate) const KEY_SOURCE_MEMBERS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// The prefix a media type may be written with or without (RFC 7515 §4.1.9).
const APPLICATION: &str = "application/";

/// True when the media type `value` (a `typ` or `cty` member, false when absent) names
/// `expected`, compared as RFC 7515 §4.1.9 says for `typ` (and §4.1.10 for `cty`):
/// case-insensitively and with an optional `application/` prefix, so `JWT` is
/// `application/jwt`.
pub(crate) fn media_type_is(value: Option<&str>, expected: &str) -> bool {
    fn bare(media_type: &str) -> &str {
        match media_type.get(..APPLICATION.len()) {
            Some(prefix) if prefix.eq_ignore_ascii_case(APPLICATION) => {
                &media_type[APPLICATION.len()..]
            }
            _ => media_type,
        }
    }
    value.is_some_and(|value| bare(value).eq_ignore_ascii_case(bare(expected)))
}

/// The first name a `crit` member lists, cut short, for the error that refuses it.
pub(crate) fn first_crit_name(crit: &Value) -> String {
    match crit
        .as_array()
        .and_then(|names| names.first())
        .and_then(Value::as_str)
    {
        Some(name) => cut(name, 32),
        None => "(malformed crit)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_compare_without_case_and_prefix() {
        for (value, expected) in [
            ("JWT", "JWT"),
            ("jwt", "JWT"),
            ("application/jwt", "JWT"),
            ("JWT", "application/jwt"),
            ("Application/AT+JWT", "at+jwt"),
            ("application/jwt", "APPLICATION/JWT"),
        ] {
            assert!(media_type_is(Some(value), expected), "{value} {expected}");
        }
        for (value, expected) in [
            ("JWT", "at+jwt"),
            ("", "JWT"),
            ("application/", "JWT"),
            ("text/jwt", "JWT"),
            ("application/application/jwt", "JWT"),
            ("jwt ", "JWT"),
            ("é", "É"),
        ] {
            assert!(!media_type_is(Some(value), expected), "{value} {expected}");
        }
        assert!(!media_type_is(None, "JWT"));
    }

    #[test]
    fn names_the_first_crit_extension() {
        assert_eq!(first_crit_name(&serde_json::json!(["exp", "x"])), "exp");
        assert_eq!(
            first_crit_name(&serde_json::json!("exp")),
            "(malformed crit)"
        );
        assert_eq!(first_crit_name(&serde_json::json!([])), "(malformed crit)");
    }
}
