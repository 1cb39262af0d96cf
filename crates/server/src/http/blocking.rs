//! Runs CPU-heavy work (Argon2 hashing inside the authority) on tokio's blocking pool, so
//! that a burst of logins never stalls the async workers.

use std::future::Future;

use tessera_core::OAuthError;
use tokio::runtime::Handle;

use super::error::ApiError;

/// Runs the future made by `work` to completion on a blocking thread.
///
/// # Errors
/// The work's own error, or 500 if the blocking task panicked or was cancelled.
pub async fn on_blocking_pool<T, F, Fut>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, OAuthError>>,
    T: Send + 'static,
{
    let handle = Handle::current();
    let joined = tokio::task::spawn_blocking(move || handle.block_on(work())).await;
    match joined {
        Ok(result) => result.map_err(ApiError::from),
        Err(err) => Err(ApiError::internal(&format!("blocking task failed: {err}"))),
    }
}
