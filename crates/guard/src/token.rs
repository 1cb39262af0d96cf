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
    /// `cnf.jkt`: the thumbprint of the key the token is bound to (RFC 9449 §6.1).
    jkt: Option<String>,
    /// `acr`: how strongly the user authenticated (present when a second factor was used).
    acr: Option<String>,
    claims: Claims,
}

impl AccessToken {
    /// Reads the RFC 9068 claims out of a verified claims set.
    ///
    /// # Errors
    /// [`Rejection::InvalidToken`] with `claim_missing` or `claim_invalid` when `sub`, `jti`,
    /// `client_id`, `scope`, `roles` or `cnf` is absent or of the wrong JSON type, and
    /// `cnf_unsupported` when `cnf` binds the token by a method other than `jkt` (RFC 7800:
    /// a confirmation the guard cannot check must not be ignored, or the token would pass
    /// as a bearer token).
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
            jkt: match extra.cnf {
                None => None,
                Some(Confirmation { jkt: Some(jkt) }) => Some(jkt),
                Some(Confirmation { jkt: None }) => {
                    return Err(Rejection::InvalidToken("cnf_unsupported"));
                }
            },
            acr: extra.acr,
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

    /// The thumbprint of the key this token is bound to (its `cnf.jkt`, RFC 9449 §6.1), or
    /// `None` for a plain bearer token. A bound token reached the handler only with the
    /// `DPoP` scheme and a valid proof signed by that key for this request.
    pub fn confirmation_jkt(&self) -> Option<&str> {
        self.inner.jkt.as_deref()
    }

    /// True when the token is bound to a key and the request proved possession of it.
    pub fn is_dpop_bound(&self) -> bool {
        self.inner.jkt.is_some()
    }

    /// The authentication context class the user reached (`acr`), if the token states one:
    /// Tessera states `urn:tessera:acr:mfa` when a second factor was used.
    pub fn acr(&self) -> Option<&str> {
        self.inner.acr.as_deref()
    }

    /// Refuses the request unless the token's `acr` is `acr`.
    ///
    /// # Errors
    /// [`Rejection::InsufficientUserAuthentication`] (401, RFC 9470).
    pub fn require_acr(&self, acr: &str) -> Result<(), Rejection> {
        if self.acr() == Some(acr) {
            return Ok(());
        }
        Err(Rejection::InsufficientUserAuthentication {
            acr_values: acr.to_owned(),
        })
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
    cnf: Option<Confirmation>,
    acr: Option<String>,
}

/// The confirmation claim (RFC 7800); only a JWK thumbprint (RFC 9449 §6.1) is understood.
#[derive(Debug, Deserialize)]
struct Confirmation {
    jkt: Option<String>,
}

/// What a route demands beyond a valid token: every listed scope and every listed role,
/// and the `acr` if one is set.
#[derive(Clone, Debug, Default)]
pub(crate) struct Requirements {
    pub(crate) scopes: Vec<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) acr: Option<String>,
}

impl Requirements {
    /// Checks `token` against the requirements.
    ///
    /// # Errors
    /// [`Rejection::InsufficientScope`] naming all required scopes;
    /// [`Rejection::InsufficientUserAuthentication`] for a weaker `acr` than required.
    pub(crate) fn check(&self, token: &AccessToken) -> Result<(), Rejection> {
        if let Some(acr) = &self.acr {
            token.require_acr(acr)?;
        }
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
            json!({"cnf": "key"}),
            json!({"cnf": {"jkt": 7}}),
        ] {
            let err = AccessToken::from_claims(claims(extra)).map_err(|e| e.code());
            assert_eq!(err.err(), Some("claim_invalid"));
        }
        let no_client = from(json!({"sub": "u-1", "jti": "j-1", "exp": 10}));
        let err = AccessToken::from_claims(no_client).map_err(|e| e.code());
        assert_eq!(err.err(), Some("claim_missing"));
    }

    #[test]
    fn a_key_binding_is_read_and_other_bindings_are_refused() {
        let bound = AccessToken::from_claims(claims(json!({"cnf": {"jkt": "abc"}})));
        let bound = bound.expect("token");
        assert_eq!(bound.confirmation_jkt(), Some("abc"));
        assert!(bound.is_dpop_bound());
        let plain = AccessToken::from_claims(claims(json!({}))).expect("token");
        assert_eq!(plain.confirmation_jkt(), None);
        let mtls = AccessToken::from_claims(claims(json!({"cnf": {"x5t#S256": "abc"}})));
        assert_eq!(mtls.map_err(|e| e.code()).err(), Some("cnf_unsupported"));
    }

    #[test]
    fn requirements_need_every_scope_and_role() {
        let token = AccessToken::from_claims(claims(json!({"scope": "a b", "roles": ["r"]})))
            .expect("token");
        let need = |scopes: &[&str], roles: &[&str]| Requirements {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            roles: roles.iter().map(|s| (*s).to_owned()).collect(),
            acr: None,
        };
        assert!(need(&["a", "b"], &["r"]).check(&token).is_ok());
        assert!(need(&["a", "c"], &[]).check(&token).is_err());
        assert!(need(&[], &["admin"]).check(&token).is_err());
    }
}
