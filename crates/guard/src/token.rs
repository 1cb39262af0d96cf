//! The verified access token handed to handlers, and per-route requirements on it.

use std::sync::Arc;

use serde::Deserialize;
use tessera_jose::Claims;

use crate::error::Rejection;

/// An RFC 9068 access token whose signature, header, claims and revocation status passed.
///
/// Handlers get it from the request extensions (the layer puts it there) or as an axum
/// extractor argument.
#[derive(Clone, Debug)]
pub struct AccessToken {
    // Shared: the layer hands a copy to the handler, and the verified-token cache keeps one.
    inner: Arc<Fields>,
}

#[derive(Debug)]
struct Fields {
    sub: String,
    jti: String,
    client_id: String,
    /// The granted scopes, split once here rather than on every request's check.
    scopes: Vec<String>,
    roles: Vec<String>,
    exp: i64,
    claims: Claims,
}

impl AccessToken {
    /// Reads the RFC 9068 claims out of a verified claims set.
    ///
    /// # Errors
    /// [`Rejection::InvalidToken`] with `claim_missing` or `claim_invalid` when `sub`, `jti`,
    /// `client_id`, `scope` or `roles` is absent or of the wrong JSON type.
    pub(crate) fn from_claims(claims: Claims) -> Result<Self, Rejection> {
        let missing = Rejection::InvalidToken("claim_missing");
        let sub = claims.sub.clone().ok_or_else(|| missing.clone())?;
        let jti = claims.jti.clone().ok_or_else(|| missing.clone())?;
        let exp = claims.exp.ok_or_else(|| missing.clone())?;
        // One typed pass over the other claims, rather than a lookup per claim.
        let extra: Rfc9068 = claims
            .custom()
            .map_err(|_| Rejection::InvalidToken("claim_invalid"))?;
        let fields = Fields {
            sub,
            jti,
            client_id: extra.client_id.ok_or(missing)?,
            scopes: extra
                .scope
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            roles: extra.roles.unwrap_or_default(),
            exp,
            claims,
        };
        Ok(Self {
            inner: Arc::new(fields),
        })
    }

    /// The subject: a stable user id (or the client's id for `client_credentials`).
    pub fn subject(&self) -> &str {
        &self.inner.sub
    }

    /// The token's unique id.
    pub fn jti(&self) -> &str {
        &self.inner.jti
    }

    /// The client the token was issued to.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The granted scopes.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.inner.scopes.iter().map(String::as_str)
    }

    /// True when `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.inner.scopes.iter().any(|s| s == scope)
    }

    /// The subject's roles.
    pub fn roles(&self) -> &[String] {
        &self.inner.roles
    }

    /// True when the subject has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.inner.roles.iter().any(|r| r == role)
    }

    /// The expiry, in seconds since the epoch.
    pub fn expires_at(&self) -> i64 {
        self.inner.exp
    }

    /// Every verified claim, for application-specific ones.
    pub fn claims(&self) -> &Claims {
        &self.inner.claims
    }

    /// Refuses the request unless `scope` was granted.
    ///
    /// # Errors
    /// [`Rejection::InsufficientScope`] (403).
    pub fn require_scope(&self, scope: &str) -> Result<(), Rejection> {
        if self.has_scope(scope) {
            return Ok(());
        }
        Err(Rejection::InsufficientScope {
            scope: scope.to_owned(),
        })
    }

    /// Refuses the request unless the subject has `role`.
    ///
    /// # Errors
    /// [`Rejection::InsufficientScope`] (403).
    pub fn require_role(&self, role: &str) -> Result<(), Rejection> {
        if self.has_role(role) {
            return Ok(());
        }
        Err(Rejection::InsufficientScope {
            scope: String::new(),
        })
    }
}

/// The RFC 9068 claims beyond the registered ones; a wrong JSON type fails the whole token.
#[derive(Debug, Deserialize)]
struct Rfc9068 {
    client_id: Option<String>,
    scope: Option<String>,
    roles: Option<Vec<String>>,
}

/// What a route demands beyond a valid token: every listed scope and every listed role.
#[derive(Clone, Debug, Default)]
pub(crate) struct Requirements {
    pub(crate) scopes: Vec<String>,
    pub(crate) roles: Vec<String>,
}

impl Requirements {
    /// Checks `token` against the requirements.
    ///
    /// # Errors
    /// [`Rejection::InsufficientScope`] naming all required scopes.
    pub(crate) fn check(&self, token: &AccessToken) -> Result<(), Rejection> {
        let scopes_ok = self.scopes.iter().all(|s| token.has_scope(s));
        let roles_ok = self.roles.iter().all(|r| token.has_role(r));
        if scopes_ok && roles_ok {
            return Ok(());
        }
        Err(Rejection::InsufficientScope {
            scope: self.scopes.join(" "),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn claims(extra: Value) -> Claims {
        let mut map = json!({"sub": "u-1", "jti": "j-1", "exp": 10, "client_id": "c"});
        if let (Some(base), Value::Object(more)) = (map.as_object_mut(), extra) {
            base.extend(more);
        }
        from(map)
    }

    fn from(map: Value) -> Claims {
        let Value::Object(map) = map else {
            panic!("not an object")
        };
        Claims::from_map(map).expect("claims")
    }

    #[test]
    fn scopes_and_roles_are_read() {
        let token = AccessToken::from_claims(claims(
            json!({"scope": "orders:read  orders:write", "roles": ["admin"]}),
        ))
        .expect("token");
        assert_eq!(
            token.scopes().collect::<Vec<_>>(),
            ["orders:read", "orders:write"]
        );
        assert!(token.has_role("admin"));
        assert!(!token.has_scope("orders"));
        assert_eq!(
            token.require_scope("x").map_err(|e| e.code()),
            Err("insufficient_scope")
        );
    }

    #[test]
    fn wrong_types_and_missing_claims_are_refused() {
        for extra in [
            json!({"scope": ["a"]}),
            json!({"roles": "admin"}),
            json!({"roles": [1]}),
            json!({"client_id": 7}),
        ] {
            let err = AccessToken::from_claims(claims(extra)).map_err(|e| e.code());
            assert_eq!(err.err(), Some("claim_invalid"));
        }
        let no_client = from(json!({"sub": "u-1", "jti": "j-1", "exp": 10}));
        let err = AccessToken::from_claims(no_client).map_err(|e| e.code());
        assert_eq!(err.err(), Some("claim_missing"));
    }

    #[test]
    fn requirements_need_every_scope_and_role() {
        let token = AccessToken::from_claims(claims(json!({"scope": "a b", "roles": ["r"]})))
            .expect("token");
        let need = |scopes: &[&str], roles: &[&str]| Requirements {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            roles: roles.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert!(need(&["a", "b"], &["r"]).check(&token).is_ok());
        assert!(need(&["a", "c"], &[]).check(&token).is_err());
        assert!(need(&[], &["admin"]).check(&token).is_err());
    }
}
