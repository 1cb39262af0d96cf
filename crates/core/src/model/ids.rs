//! Identifiers as their own types, so that a user id can never be passed where a client or
//! session id is expected. They wrap the text as stored and as sent in claims (`sub`,
//! `client_id`, `sid`, `kid`, `jti`); serialized, they are plain strings.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares one identifier newtype over `String`.
macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, Deserialize, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier as stored or received (no check: ids are opaque).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The identifier's text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

identifier!(
    /// A user's stable id (`u_…`), the `sub` of their tokens; never the username.
    UserId
);
identifier!(
    /// An OAuth client's `client_id` (`c_…`).
    ClientId
);
identifier!(
    /// A login session's id (`s_…`), the `sid` claim.
    SessionId
);
identifier!(
    /// A signing key's id: its RFC 7638 thumbprint, the `kid` header.
    KeyId
);
identifier!(
    /// An access token's `jti`.
    Jti
);
identifier!(
    /// A browser sign-in (single sign-on) session's public id (`ls_…`): the `sid` of ID
    /// tokens and logout tokens. The browser's cookie holds another, secret value.
    LoginSessionId
);
identifier!(
    /// A back-channel logout notification waiting in the outbox (`n_…`).
    NoticeId
);
identifier!(
    /// A receiver of security events (`wh_…`).
    WebhookId
);
identifier!(
    /// The name under which failed logins are counted: a username folded to lower case, or
    /// `id:<user id>` for failed password changes (see [`LockoutKey::for_username`]).
    LockoutKey
);

impl LockoutKey {
    /// The key of password logins by `username` (case-insensitive).
    pub fn for_username(username: &str) -> Self {
        Self(username.to_lowercase())
    }

    /// The key of failed `POST /account/password` attempts by the user `id`: apart from the
    /// username's, so that a stolen access token cannot lock its user out of logging in.
    pub fn for_password_change(id: &UserId) -> Self {
        Self(format!("id:{id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_strings_on_the_wire_and_compare_with_text() {
        let id = UserId::new("u_1");
        assert_eq!(serde_json::to_string(&id).expect("json"), "\"u_1\"");
        let back: UserId = serde_json::from_str("\"u_1\"").expect("json");
        assert_eq!(back, id);
        assert_eq!(id, "u_1");
        assert_eq!(id.to_string(), "u_1");
    }

    #[test]
    fn lockout_keys_fold_case_and_keep_password_changes_apart() {
        assert_eq!(LockoutKey::for_username("Alice"), "alice");
        let by_id = LockoutKey::for_password_change(&UserId::new("u_1"));
        assert_eq!(by_id, "id:u_1");
    }
}
