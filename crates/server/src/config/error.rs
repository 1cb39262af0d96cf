//! [`ConfigError`]: a setting that cannot be used, named with its key and how to fix it.

use std::fmt;

/// A setting is missing, malformed or out of range. The message names the key (with the
/// environment variable that sets it) and what to do; the CLI prints it and exits 2.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ConfigError {
    key: Option<String>,
    message: String,
}

impl ConfigError {
    /// A bad value of the setting `key` (a dotted path such as `tokens.access_ttl`).
    pub fn key(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    /// A failure that is not about one key (an unreadable config file, for instance).
    pub fn other(message: impl Into<String>) -> Self {
        Self {
            key: None,
            message: message.into(),
        }
    }

    /// The dotted key at fault, if the error is about one.
    pub fn key_name(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The explanation, without the key.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{key} ({}): {}", env_name(key), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The environment variable that sets a dotted key: `tokens.access_ttl` →
/// `TESSERA_TOKENS__ACCESS_TTL`.
pub fn env_name(key: &str) -> String {
    if key.starts_with("TESSERA_") {
        return key.to_owned();
    }
    format!("TESSERA_{}", key.replace('.', "__").to_ascii_uppercase())
}

/// A value as it may be shown in an error: short, one line.
pub(crate) fn shown(value: &str) -> String {
    let short: String = value.chars().filter(|c| !c.is_control()).take(64).collect();
    format!("{short:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_key_and_its_env_var() {
        let err = ConfigError::key("tokens.access_ttl", "\"x\" is not a duration");
        assert_eq!(
            err.to_string(),
            "tokens.access_ttl (TESSERA_TOKENS__ACCESS_TTL): \"x\" is not a duration"
        );
        assert_eq!(
            env_name("throttle.account.max_failures"),
            "TESSERA_THROTTLE__ACCOUNT__MAX_FAILURES"
        );
    }
}
