//! The database thread: one SQLite connection that runs every call of a store. Reads run
//! as they come, on committed data; writes waiting together share one `BEGIN IMMEDIATE …
//! COMMIT` (group commit, so one sync covers them all), each inside its own savepoint so
//! that one failing call does not undo the others. Every caller hears back only after the
//! commit that holds its writes.
//!
//! A call is one hop to this thread and back, however many statements it runs; async
//! drivers that send each statement to a connection thread pay that hop per statement.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::Duration;

use rusqlite::Connection;
use tessera_core::StoreError;
use tokio::sync::oneshot;

use super::cache::Cache;
use super::error::SqlResultExt;

/// The most writes one transaction takes before it commits.
const MAX_GROUP: usize = 256;

/// How often an idle thread looks for commits by other processes, which make the cache
/// stale (see [`Cache`]).
const IDLE_CHECK: Duration = Duration::from_millis(100);

/// The sending side of the database thread; clones share the thread.
#[derive(Clone, Debug)]
pub(super) struct Engine {
    calls: Sender<Msg>,
    /// What the thread remembers between calls; callers may answer reads from it.
    pub(super) cache: Arc<Cache>,
}

impl Engine {
    /// Starts the thread that owns `conn`. It stops when every clone of the engine is
    /// dropped or [`Engine::close`] is called.
    pub(super) fn start(conn: Connection) -> Result<Self, StoreError> {
        let (calls, queue) = mpsc::channel();
        let cache = Arc::new(Cache::default());
        let worker = Worker::new(conn, Arc::clone(&cache));
        thread::Builder::new()
            .name("tessera-sqlite".into())
            .spawn(move || worker.serve(&queue))
            .map_err(|err| StoreError::unavailable(format!("database thread: {err}")))?;
        Ok(Self { calls, cache })
    }

    /// Runs `work` on committed data, outside any write transaction.
    pub(super) async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection, &Cache) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.call(work, Msg::Read).await
    }

    /// A cache read-through: `cached` when the cache had it, else `load` on the store's
    /// thread, with what it found put in the cache by `remember`.
    pub(super) async fn read_through<T, F, R>(
        &self,
        cached: Option<T>,
        load: F,
        remember: R,
    ) -> Result<Option<T>, StoreError>
    where
        F: FnOnce(&Connection) -> Result<Option<T>, StoreError> + Send + 'static,
        R: FnOnce(&Cache, &T) + Send + 'static,
        T: Send + 'static,
    {
        if cached.is_some() {
            return Ok(cached);
        }
        self.read(move |c, cache| {
            let found = load(c)?;
            if let Some(value) = &found {
                remember(cache, value);
            }
            Ok(found)
        })
        .await
    }

    /// Runs `work` in a write transaction and answers once that has committed.
    pub(super) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection, &Cache) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.call(work, Msg::Write).await
    }

    /// Lets the calls already queued finish, then closes the connection. Later calls fail
    /// with [`StoreError::Unavailable`].
    pub(super) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.calls.send(Msg::Close(done)).is_ok() {
            // An error only means the thread has stopped already.
            let _ = closed.await;
        }
    }

    async fn call<T, F>(&self, work: F, kind: fn(Box<dyn Job>) -> Msg) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection, &Cache) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let call = Call {
            work: Some(work),
            result: None,
            reply,
        };
        self.calls
            .send(kind(Box::new(call)))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::unavailable("the database is closed")
}

/// What the thread is asked to do.
enum Msg {
    Close(oneshot::Sender<()>),
    Read(Box<dyn Job>),
    Write(Box<dyn Job>),
}

/// A call with its reply, type-erased for the queue.
trait Job: Send {
    /// Runs the call; false if it failed, so that its writes must be undone.
    fn run(&mut self, conn: &Connection, cache: &Cache) -> bool;
    /// Sends the call's result, or `failed` if what it wrote was not committed.
    fn reply(self: Box<Self>, failed: Option<StoreError>);
}

struct Call<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Call<T, F>
where
    F: FnOnce(&Connection, &Cache) -> Result<T, StoreError> + Send,
    T: Send,
{
    fn run(&mut self, conn: &Connection, cache: &Cache) -> bool {
        if let Some(work) = self.work.take() {
            self.result = Some(work(conn, cache));
        }
        matches!(self.result, Some(Ok(_)))
    }

    fn reply(self: Box<Self>, failed: Option<StoreError>) {
        let result = match (self.result, failed) {
            (Some(Err(own)), _) => Err(own),
            (_, Some(failed)) => Err(failed),
            (Some(Ok(value)), None) => Ok(value),
            (None, None) => Err(StoreError::unavailable("the call did not run")),
        };
        // The caller may have gone away (its request was dropped): nothing to tell then.
        let _ = self.reply.send(result);
    }
}

/// The thread's side: the connection, the cache, and what it knows of other writers.
struct Worker {
    conn: Connection,
    cache: Arc<Cache>,
    data_version: Option<i64>,
}

impl Worker {
    fn new(conn: Connection, cache: Arc<Cache>) -> Self {
        Self {
            conn,
            cache,
            data_version: None,
        }
    }

    /// Takes calls until the engine is closed or dropped.
    fn serve(mut self, queue: &Receiver<Msg>) {
        loop {
            let first = match queue.recv_timeout(IDLE_CHECK) {
                Ok(msg) => msg,
                Err(RecvTimeoutError::Timeout) => {
                    self.notice_other_writers();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            self.notice_other_writers();
            if let Some(done) = self.round(first, queue) {
                // The connection closes before the closer hears back.
                drop(self);
                let _ = done.send(());
                return;
            }
        }
    }

    /// Runs `first` and whatever else is waiting: reads at once, writes in one group.
    /// Returns the closer's reply channel when asked to close.
    fn round(&mut self, first: Msg, queue: &Receiver<Msg>) -> Option<oneshot::Sender<()>> {
        let mut writes: Vec<Box<dyn Job>> = Vec::new();
        let mut closing = None;
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Read(mut job) => {
                    job.run(&self.conn, &self.cache);
                    job.reply(None);
                }
                Msg::Write(job) => writes.push(job),
                Msg::Close(done) => {
                    closing = Some(done);
                    break;
                }
            }
            if writes.len() < MAX_GROUP {
                next = queue.try_recv().ok();
            }
        }
        if !writes.is_empty() {
            self.commit_group(writes);
        }
        closing
    }

    /// Runs `jobs` in one transaction, each in a savepoint, and answers them all after the
    /// commit (or with its failure).
    fn commit_group(&mut self, jobs: Vec<Box<dyn Job>>) {
        if let Err(err) = self
            .conn
            .execute_batch("BEGIN IMMEDIATE")
            .or_store("transaction")
        {
            jobs.into_iter()
                .for_each(|job| job.reply(Some(err.clone())));
            return;
        }
        let mut done: Vec<Box<dyn Job>> = Vec::with_capacity(jobs.len());
        let mut rest = jobs.into_iter();
        while let Some(mut job) = rest.next() {
            self.run_in_savepoint(job.as_mut());
            if self.conn.is_autocommit() {
                // SQLite rolled the whole transaction back (a full disk, an I/O error): the
                // calls before this one lost their writes too. The rest start over.
                self.cache.clear();
                let lost = StoreError::unavailable("the transaction was rolled back");
                done.into_iter()
                    .for_each(|job| job.reply(Some(lost.clone())));
                job.reply(Some(lost));
                return self.commit_group(rest.collect());
            }
            done.push(job);
        }
        match self.conn.execute_batch("COMMIT").or_store("commit") {
            Ok(()) => done.into_iter().for_each(|job| job.reply(None)),
            Err(err) => {
                // Whatever was written is gone, and with it what the cache learned.
                let _ = self.conn.execute_batch("ROLLBACK");
                self.cache.clear();
                done.into_iter()
                    .for_each(|job| job.reply(Some(err.clone())));
            }
        }
    }

    /// Runs one job; a failed job's writes are undone, the transaction goes on.
    fn run_in_savepoint(&self, job: &mut dyn Job) {
        if self.conn.execute_batch("SAVEPOINT call").is_err() {
            return;
        }
        let kept = job.run(&self.conn, &self.cache);
        if !kept {
            let _ = self.conn.execute_batch("ROLLBACK TO call");
        }
        let _ = self.conn.execute_batch("RELEASE call");
    }

    /// Clears the cache when another connection (another process on the same file) has
    /// committed since the last look.
    fn notice_other_writers(&mut self) {
        let version = self
            .conn
            .query_row("PRAGMA data_version", [], |row| row.get::<_, i64>(0))
            .ok();
        if version.is_none() || version != self.data_version {
            self.cache.clear();
        }
        self.data_version = version;
    }
}
