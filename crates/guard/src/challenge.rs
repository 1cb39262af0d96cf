//! The responses for rejections: RFC 6750 §3 for bearer tokens, RFC 9449 §7.1 for DPoP.
//!
//! A guard that accepts DPoP-bound tokens names both schemes in its `WWW-Authenticate`
//! answer (RFC 9110 §11.6.1 allows several challenges): the error goes on the scheme the
//! request used, the other scheme is listed bare, and the DPoP challenge carries `algs`.

use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Response};

use crate::bearer::Scheme;
use crate::error::Rejection;

impl Rejection {
    /// The RFC 6750 response: status, `WWW-Authenticate` challenge, and a JSON body
    /// `{"error", "error_description"}` (none for a missing token).
    pub fn to_response<B: From<String>>(&self) -> Response<B> {
        let body = match self.oauth_error() {
            Some(error) => serde_json::json!({
                "error": error,
                "error_description": self.description(),
            })
            .to_string(),
            None => String::new(),
        };
        let mut response = Response::new(B::from(body));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge() {
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        if self.oauth_error().is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if matches!(self.inner(), Self::KeysUnavailable) {
            headers.insert("retry-after", HeaderValue::from_static("5"));
        }
        response
    }

    fn challenge(&self) -> Option<HeaderValue> {
        let text = match self {
            Self::WithDpop {
                rejection,
                scheme,
                algs,
            } => both_schemes(rejection.inner(), *scheme, algs)?,
            Self::InvalidDpopProof(_) => one_scheme(self, Scheme::Dpop)?,
            other => one_scheme(other, Scheme::Bearer)?,
        };
        // Scopes come from the application's configuration; if one has characters a header
        // cannot carry, answer without the challenge detail rather than fail.
        Some(HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("Bearer")))
    }
}

/// `Scheme error="…", error_description="…"` (and `scope` for a missing scope), or the bare
/// scheme when no token was sent; `None` when the answer is no authentication failure.
fn one_scheme(rejection: &Rejection, scheme: Scheme) -> Option<String> {
    let name = scheme.as_str();
    let rejection = rejection.inner();
    let text = match rejection {
        Rejection::MissingToken => name.to_owned(),
        Rejection::InsufficientScope { scope } if !scope.is_empty() => format!(
            "{name} error=\"insufficient_scope\", error_description=\"{}\", scope=\"{scope}\"",
            rejection.description(),
        ),
        Rejection::InsufficientUserAuthentication { acr_values } => format!(
            "{name} error=\"insufficient_user_authentication\", error_description=\"{}\", \
             acr_values=\"{acr_values}\"",
            rejection.description(),
        ),
        Rejection::KeysUnavailable | Rejection::NotConfigured => return None,
        other => format!(
            "{name} error=\"{}\", error_description=\"{}\"",
            other.oauth_error().unwrap_or("invalid_token"),
            other.description()
        ),
    };
    Some(text)
}

/// Both schemes, as RFC 9449 §7.1 and §7.2 show: `Bearer, DPoP algs="ES256 …"` without a
/// token; otherwise the error on the scheme used, then the other one.
fn both_schemes(rejection: &Rejection, used: Scheme, algs: &str) -> Option<String> {
    let first = one_scheme(rejection, used)?;
    let text = match (rejection, used) {
        (Rejection::MissingToken, _) => format!("Bearer, DPoP algs=\"{algs}\""),
        (_, Scheme::Dpop) => format!("{first}, algs=\"{algs}\", Bearer"),
        (_, Scheme::Bearer) => format!("{first}, DPoP algs=\"{algs}\""),
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn challenge(rejection: &Rejection) -> String {
        let response: Response<String> = rejection.to_response();
        response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .expect("ascii")
            .to_owned()
    }

    fn with_dpop(rejection: Rejection, scheme: Scheme) -> Rejection {
        Rejection::WithDpop {
            rejection: Box::new(rejection),
            scheme,
            algs: Arc::from("ES256 EdDSA"),
        }
    }

    #[test]
    fn responses_follow_rfc_6750() {
        let response: Response<String> = Rejection::InvalidToken("signature_invalid").to_response();
        assert_eq!(response.status(), 401);
        let challenge = response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .expect("ascii");
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(!challenge.contains("signature"), "{challenge}");
        let forbidden: Response<String> = Rejection::InsufficientScope {
            scope: "orders:write".into(),
        }
        .to_response();
        assert_eq!(forbidden.status(), 403);
        let challenge = forbidden.headers()[WWW_AUTHENTICATE]
            .to_str()
            .expect("ascii");
        assert!(challenge.contains("scope=\"orders:write\""), "{challenge}");
        let missing: Response<String> = Rejection::MissingToken.to_response();
        assert_eq!(missing.headers()[WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn a_guard_accepting_dpop_names_both_schemes() {
        let missing = with_dpop(Rejection::MissingToken, Scheme::Bearer);
        assert_eq!(challenge(&missing), "Bearer, DPoP algs=\"ES256 EdDSA\"");
        let proof = with_dpop(
            Rejection::InvalidDpopProof("dpop_htm_mismatch"),
            Scheme::Dpop,
        );
        assert_eq!(
            challenge(&proof),
            "DPoP error=\"invalid_dpop_proof\", error_description=\"the DPoP proof is invalid\", \
             algs=\"ES256 EdDSA\", Bearer"
        );
        let token = with_dpop(Rejection::InvalidToken("jwt_expired"), Scheme::Dpop);
        assert!(
            challenge(&token).starts_with("DPoP error=\"invalid_token\""),
            "{}",
            challenge(&token)
        );
        let downgrade = with_dpop(Rejection::InvalidToken("dpop_downgrade"), Scheme::Bearer);
        let text = challenge(&downgrade);
        assert!(text.starts_with("Bearer error=\"invalid_token\""), "{text}");
        assert!(text.ends_with(", DPoP algs=\"ES256 EdDSA\""), "{text}");
    }

    #[test]
    fn a_wrapped_refusal_keeps_its_status_code_and_body() {
        let proof = with_dpop(Rejection::InvalidDpopProof("dpop_replayed"), Scheme::Dpop);
        assert_eq!(proof.code(), "dpop_replayed");
        let response: Response<String> = proof.to_response();
        assert_eq!(response.status(), 401);
        let body: serde_json::Value = serde_json::from_str(response.body()).expect("json");
        assert_eq!(body["error"], "invalid_dpop_proof");
        assert_eq!(body["error_description"], "the DPoP proof was used before");
        let unavailable = with_dpop(Rejection::KeysUnavailable, Scheme::Dpop);
        let response: Response<String> = unavailable.to_response();
        assert_eq!(response.status(), 503);
        assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
        assert_eq!(response.headers()["retry-after"], "5");
    }
}
