//! Runs CPU-heavy work (Argon2 hashing inside the authority) on tokio's blocking pool, so
//! that a burst of logins never stalls the async workers.

use std::future::Future;
use std::sync::OnceLock;

use tessera_core::OAuthError;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use super::error::ApiError;

/// At most one hash per core runs at once. Argon2id is CPU-bound and takes 19 MiB each, so
/// more at once adds no throughput and only memory: without this bound a burst of logins grew
/// the process past a gigabyte. Waiting requests queue here, as cheap futures.
fn hashing_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Semaphore::new(cores)
    })
}

/// Runs the future made by `work` to completion on a blocking thread, one per core at a time.
///
/// # Errors
/// The work's own error, or 500 if the blocking task panicked or was cancelled.
pub async fn on_blocking_pool<T, F, Fut>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, OAuthError>>,
    T: Send + 'static,
{
    let _slot = hashing_slots()
        .acquire()
        .await
        .map_err(|_| ApiError::internal("hashing slots closed"))?;
    let handle = Handle::current();
    let joined = tokio::task::spawn_blocking(move || handle.block_on(work())).await;
    match joined {
        Ok(result) => result.map_err(ApiError::from),
        Err(err) => Err(ApiError::internal(&format!("blocking task failed: {err}"))),
    }
}
