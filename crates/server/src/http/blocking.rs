//! Runs CPU-heavy work (Argon2 hashing inside the authority) on a few dedicated threads, so
//! that a burst of logins never stalls the async workers.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::context::{RequestContext, carry};
use super::error::ApiError;

/// One queued piece of work.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// One hashing thread per core, started on first use and kept for the life of the process.
///
/// Argon2id is CPU-bound and takes 19 MiB a hash, so more hashes at once than cores add no
/// throughput, only memory. The threads are fixed rather than borrowed from tokio's blocking
/// pool because the allocator keeps a freed 19 MiB block per thread that ever hashed: a
/// blocking pool that grew under a burst kept hundreds of megabytes after it.
fn hashing_queue() -> &'static Mutex<Sender<Job>> {
    static QUEUE: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        for index in 0..cores {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("tessera-hash-{index}"))
                .spawn(move || run_jobs(&receiver));
            if let Err(err) = spawned {
                tracing::error!(error = %err, "could not start a hashing thread");
            }
        }
        Mutex::new(sender)
    })
}

/// Takes jobs one at a time until the queue closes.
fn run_jobs(receiver: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only to take the next job, never while running it.
        let next = match receiver.lock() {
            Ok(guard) => guard.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = next else { return };
        // A panicking job answers its caller with an error (its sender is dropped) and must
        // not take the thread with it.
        if std::panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
            tracing::error!("hashing work panicked");
        }
    }
}

/// Runs the future made by `work` to completion on a hashing thread, one per core at a time;
/// the others wait in the queue as cheap closures. Work whose caller has gone away by the
/// time its turn comes (a client that hung up) is skipped, so an abandoned burst costs no
/// hashing.
///
/// # Errors
/// The work's own error, or 500 if the work panicked or no hashing thread could run it.
pub async fn on_blocking_pool<T, E, F, Fut>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, E>>,
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let (answer, answered) = oneshot::channel();
    let handle = Handle::current();
    let context = RequestContext::current();
    let job: Job = Box::new(move || {
        if answer.is_closed() {
            return;
        }
        let _ = answer.send(handle.block_on(carry(context, work())));
    });
    let sent = match hashing_queue().lock() {
        Ok(queue) => queue.send(job).is_ok(),
        Err(poisoned) => poisoned.into_inner().send(job).is_ok(),
    };
    if !sent {
        return Err(ApiError::internal("no hashing thread is running"));
    }
    match answered.await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(ApiError::internal("the hashing work failed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_runs_on_a_hashing_thread_and_answers() {
        let name = on_blocking_pool(|| async {
            Ok::<_, ApiError>(std::thread::current().name().map(str::to_owned))
        })
        .await
        .expect("answer");
        assert!(name.is_some_and(|n| n.starts_with("tessera-hash-")));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn errors_and_panics_reach_the_caller() {
        let refused =
            on_blocking_pool(|| async { Err::<(), _>(ApiError::invalid_request("no")) }).await;
        assert!(refused.is_err());
        let panicked = on_blocking_pool(|| async {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            Ok::<(), ApiError>(())
        })
        .await;
        assert!(panicked.is_err(), "a panic is a 500, not a hang");
        // More panics than threads: every thread survives its panic and still answers.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        for _ in 0..cores {
            let again = on_blocking_pool(|| async {
                if std::hint::black_box(true) {
                    panic!("boom");
                }
                Ok::<(), ApiError>(())
            })
            .await;
            assert!(again.is_err());
        }
        let after = on_blocking_pool(|| async { Ok::<_, ApiError>(7) }).await;
        assert_eq!(after.ok(), Some(7));
    }
}
