//! The userinfo answer in the form the token's client registered: JSON, or a signed (and
//! perhaps encrypted) JWT as `application/jwt` (OpenID Connect Core §5.3.2).

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tessera_core::authority::AccessClaims;
use tessera_core::{Store, UserInfo};

use super::AppState;
use super::error::ApiError;

/// The media type of a userinfo JWT.
const APPLICATION_JWT: &str = "application/jwt";

/// The answer for `info`, as the client behind `claims` registered it.
///
/// # Errors
/// The store's errors; a failure to sign or encrypt.
pub async fn answer<S: Store>(
    state: &AppState<S>,
    claims: &AccessClaims,
    info: UserInfo,
) -> Result<Response, ApiError> {
    let Some(jwt) = state.authority().userinfo_jwt(claims, &info).await? else {
        return Ok(Json(info).into_response());
    };
    let mut response = jwt.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(APPLICATION_JWT),
    );
    Ok(response)
}
