//! OAuth scopes (RFC 6749 §3.3): space-separated tokens of printable ASCII without `"` or `\`.

use std::fmt;

/// The scope that asks for an ID token (OpenID Connect).
pub const OPENID: &str = "openid";

/// The longest scope string accepted, in bytes.
const MAX_SCOPE_LEN: usize = 2048;

/// A set of scope tokens, in the order first given, without duplicates.
///
/// # Examples
/// ```
/// use tessera_core::scope::Scope;
///
/// let granted = Scope::parse("openid orders:read orders:write").unwrap();
/// let asked = Scope::parse("orders:read  orders:read").unwrap();
/// assert!(asked.is_subset_of(&granted));
/// assert_eq!(asked.to_string(), "orders:read");
/// ```
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Scope(Vec<String>);

/// The scope string is malformed.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct ScopeError;

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the scope is malformed")
    }
}

impl std::error::Error for ScopeError {}

impl Scope {
    /// Parses a space-separated scope string (runs of spaces are tolerated).
    ///
    /// # Errors
    /// [`ScopeError`] for a character outside RFC 6749's `NQCHAR`, or an overlong string.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        if text.len() > MAX_SCOPE_LEN {
            return Err(ScopeError);
        }
        let mut scope = Self::default();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            if !token.bytes().all(is_nqchar) {
                return Err(ScopeError);
            }
            scope.insert(token);
        }
        Ok(scope)
    }

    /// A scope from a list of tokens (for a client's configured scopes).
    ///
    /// # Errors
    /// [`ScopeError`] when a token is empty or has a character outside `NQCHAR`.
    pub fn from_tokens<I, T>(tokens: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut scope = Self::default();
        for token in tokens {
            let token = token.as_ref();
            if token.is_empty() || !token.bytes().all(is_nqchar) {
                return Err(ScopeError);
            }
            scope.insert(token);
        }
        Ok(scope)
    }

    /// Adds a token unless present.
    pub fn insert(&mut self, token: &str) {
        if !self.contains(token) {
            self.0.push(token.to_owned());
        }
    }

    /// True when the token is in the set.
    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    /// True when every token is also in `other`.
    pub fn is_subset_of(&self, other: &Self) -> bool {
        self.0.iter().all(|t| other.contains(t))
    }

    /// True when the set has no token.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tokens, in order.
    pub fn tokens(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for Scope {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Self, ScopeError> {
        Self::parse(text)
    }
}

/// RFC 6749 Appendix A: `NQCHAR = %x21 / %x23-5B / %x5D-7E`.
fn is_nqchar(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dedupes_and_prints() {
        let scope = Scope::parse("  openid orders:read  orders:read ").expect("valid");
        assert_eq!(scope.tokens(), ["openid", "orders:read"]);
        assert_eq!(scope.to_string(), "openid orders:read");
        assert!(Scope::parse("").expect("empty").is_empty());
    }

    #[test]
    fn refuses_bad_characters() {
        for bad in ["a\"b", "a\\b", "tab\there", "é", "nul\0"] {
            assert_eq!(Scope::parse(bad), Err(ScopeError), "{bad:?}");
        }
        assert_eq!(Scope::from_tokens([""]), Err(ScopeError));
        assert_eq!(Scope::parse(&"a".repeat(3000)), Err(ScopeError));
    }

    #[test]
    fn subsets() {
        let all = Scope::parse("a b c").expect("valid");
        assert!(Scope::parse("c a").expect("valid").is_subset_of(&all));
        assert!(!Scope::parse("a d").expect("valid").is_subset_of(&all));
        assert!(Scope::default().is_subset_of(&all));
    }
}
