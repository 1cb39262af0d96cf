//! The one place where domain errors become HTTP answers (RFC 6749 §5.2 and RFC 6750 §3
//! codes and statuses). Causes (the store's, ours) are logged here with their whole source
//! chain and never returned: the caller sees a generic 503 or 500.

use std::error::Error;

pub(crate) use tessera_core::error::chain;

use axum::http::StatusCode;
use tessera_core::{
    AccountError, AdminError, ClientAuthError, GrantError, InternalError, RevokeError,
    ServiceError, StartError, StoreError, TokenError,
};

use super::ApiError;
use crate::http::context::in_request;

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match &err {
            StoreError::Unavailable(_) => {
                let cause = chain(&err);
                in_request(|| tracing::warn!(cause, "store unavailable"));
                Self::unavailable()
            }
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(what) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} already exists"),
            ),
            _ => internal(&err),
        }
    }
}

impl From<InternalError> for ApiError {
    fn from(err: InternalError) -> Self {
        internal(&err)
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Store(err) => err.into(),
            ServiceError::Internal(err) => err.into(),
            other => internal(&other),
        }
    }
}

impl From<StartError> for ApiError {
    fn from(err: StartError) -> Self {
        match err {
            StartError::Store(err) => err.into(),
            other => internal(&other),
        }
    }
}

impl From<GrantError> for ApiError {
    fn from(err: GrantError) -> Self {
        let text = err.to_string();
        match err {
            GrantError::GrantNotAllowed(_) | GrantError::PublicClient(_) => {
                Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", text)
            }
            GrantError::Scope(_) => Self::new(StatusCode::BAD_REQUEST, "invalid_scope", text),
            GrantError::Malformed(_) => Self::invalid_request(text),
            GrantError::BadCredentials
            | GrantError::BadRefreshToken
            | GrantError::BadCode
            | GrantError::PkceFailed
            | GrantError::BadExchangeToken(_)
            | GrantError::SecondFactorRequired
            | GrantError::BadDeviceCode => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_grant", text)
            }
            GrantError::InvalidTarget => Self::new(StatusCode::BAD_REQUEST, "invalid_target", text),
            GrantError::AuthorizationPending
            | GrantError::SlowDown
            | GrantError::ExpiredToken
            | GrantError::AccessDenied => {
                let code = err.code();
                Self::new(StatusCode::BAD_REQUEST, code, text)
            }
            GrantError::Locked(locked) => Self::throttled(locked.retry_after_secs()),
            GrantError::Dpop(refused) => {
                Self::new(StatusCode::BAD_REQUEST, refused.oauth_error(), text)
            }
            GrantError::Store(err) => err.into(),
            GrantError::Internal(err) => err.into(),
            other => internal(&other),
        }
    }
}

impl From<ClientAuthError> for ApiError {
    fn from(err: ClientAuthError) -> Self {
        match err {
            ClientAuthError::Failed => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            ),
            ClientAuthError::Store(err) => err.into(),
            other => internal(&other),
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::Store(err) => err.into(),
            TokenError::Dpop(refused) => Self::invalid_token(refused.to_string())
                .with_code(refused.oauth_error())
                .dpop_challenge(),
            refused => Self::invalid_token(refused.to_string()),
        }
    }
}

impl From<RevokeError> for ApiError {
    fn from(err: RevokeError) -> Self {
        match err {
            RevokeError::Store(err) => err.into(),
            refused => Self::new(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                refused.to_string(),
            ),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        let text = err.to_string();
        match err {
            AccountError::Token(err) => err.into(),
            AccountError::WrongPassword => Self::new(StatusCode::FORBIDDEN, "access_denied", text),
            AccountError::Locked(locked) => Self::throttled(locked.retry_after_secs()),
            AccountError::BadPassword(_) => Self::invalid_request(text),
            AccountError::NoSuchSession => Self::new(StatusCode::NOT_FOUND, "not_found", text),
            AccountError::Store(err) => err.into(),
            AccountError::Internal(err) => err.into(),
            other => internal(&other),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(err: AdminError) -> Self {
        let text = err.to_string();
        match err {
            AdminError::NotFound(_) => Self::new(StatusCode::NOT_FOUND, "not_found", text),
            AdminError::Conflict(_) | AdminError::ImportConflict(_) => {
                Self::new(StatusCode::CONFLICT, "conflict", text)
            }
            AdminError::LastAdmin => Self::new(StatusCode::CONFLICT, "last_admin", text),
            AdminError::Invalid(_) | AdminError::KeyInUse | AdminError::KeyDoesNotOpen(..) => {
                Self::invalid_request(text)
            }
            AdminError::Store(err) => err.into(),
            AdminError::Internal(err) => err.into(),
            other => internal(&other),
        }
    }
}

/// 500, with the cause and its sources logged.
fn internal(err: &dyn Error) -> ApiError {
    ApiError::internal(&chain(err))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tessera_core::lockout::Locked;
    use tessera_core::model::Grant;
    use tessera_core::secrets::RandomError;

    use super::*;

    fn answer(err: impl Into<ApiError>) -> (StatusCode, &'static str) {
        let api = err.into();
        (api.status(), api.code())
    }

    #[test]
    fn grant_refusals_map_to_rfc_6749_codes() {
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(answer(GrantError::BadCredentials), (bad, "invalid_grant"));
        assert_eq!(answer(GrantError::BadRefreshToken), (bad, "invalid_grant"));
        assert_eq!(answer(GrantError::BadCode), (bad, "invalid_grant"));
        assert_eq!(answer(GrantError::PkceFailed), (bad, "invalid_grant"));
        assert_eq!(
            answer(GrantError::BadExchangeToken("subject_token")),
            (bad, "invalid_grant")
        );
        assert_eq!(answer(GrantError::InvalidTarget), (bad, "invalid_target"));
        assert_eq!(
            answer(GrantError::SecondFactorRequired),
            (bad, "invalid_grant")
        );
        assert_eq!(answer(GrantError::BadDeviceCode), (bad, "invalid_grant"));
        for (refusal, code) in [
            (GrantError::AuthorizationPending, "authorization_pending"),
            (GrantError::SlowDown, "slow_down"),
            (GrantError::ExpiredToken, "expired_token"),
            (GrantError::AccessDenied, "access_denied"),
        ] {
            assert_eq!(answer(refusal), (bad, code));
        }
        assert_eq!(
            answer(GrantError::GrantNotAllowed(Grant::Password)),
            (bad, "unauthorized_client")
        );
        assert_eq!(
            answer(GrantError::Scope(
                tessera_core::error::ScopeRefused::ExceedsClient
            )),
            (bad, "invalid_scope")
        );
        let locked = GrantError::Locked(Locked {
            retry_after: Duration::from_millis(1500),
        });
        let api = ApiError::from(locked);
        assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(api.retry_after, Some(2));
        assert_eq!(
            answer(ClientAuthError::Failed),
            (StatusCode::UNAUTHORIZED, "invalid_client")
        );
    }

    #[test]
    fn causes_stay_in_the_log() {
        let api = ApiError::from(GrantError::Store(StoreError::unavailable("pool timed out")));
        assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(api.retry_after, Some(1));
        assert!(!api.description.contains("pool"));
        let api = ApiError::from(AdminError::Internal(RandomError.into()));
        assert_eq!(api.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(api.description, "internal error");
        let err = StoreError::unavailable("pool timed out");
        assert_eq!(chain(&err), "the database is unavailable: pool timed out");
    }

    #[test]
    fn token_refusals_carry_the_bearer_challenge() {
        let api = ApiError::from(TokenError::Expired);
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(api.code(), "invalid_token");
        assert!(api.challenge_header().is_some());
        let api = ApiError::from(AccountError::WrongPassword);
        assert_eq!(
            (api.status(), api.code()),
            (StatusCode::FORBIDDEN, "access_denied")
        );
    }
}
