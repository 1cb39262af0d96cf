//! The PostgreSQL store: a connection pool shared by every call, for several Tessera
//! instances on one database.

mod accounts;
mod audit;
mod browser;
mod browser_store;
mod clients;
mod devices;
mod factors;
mod hints;
mod import;
mod keys;
mod lockouts;
mod migrate;
mod options;
mod purge;
mod replay;
mod revocations;
mod rotate;
mod rows;
mod sessions;
mod store;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection as _, Postgres, Transaction};
use tessera_core::StoreError;

pub use options::PgOptions;

use crate::error::StoreResultExt;
use crate::schema::Migration;

/// [`tessera_core::Store`] on PostgreSQL.
///
/// Every multi-statement write runs in one transaction, and refresh rotation locks the
/// presented token's row (`SELECT … FOR UPDATE`), so that concurrent requests on any number
/// of connections and instances rotate a token at most once. The schema is brought up to
/// date at open, under an advisory lock, so that instances starting together do not race.
///
/// A connection that breaks (the server restarts, the network drops) fails the calls using
/// it with [`StoreError::Unavailable`]; the pool replaces it when the database answers again.
///
/// Clones share the same pool.
///
/// A refresh record passed to `create_session` or `rotate_refresh` is stored unused and in the
/// family of its session, whatever its `used_at`, `successor_sealed` and `session_id` say.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    revocation_hints: hints::RevocationHints,
    /// How long [`PgStore::ping_directly`] waits for its connection.
    ping_timeout: Duration,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://…` or `postgresql://…`, with any
    /// parameter libpq-style URLs take, such as `sslmode` or `options`), and brings its
    /// schema up to date under an advisory lock. The tables live in the first schema of the
    /// connection's `search_path`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the URL is malformed or not a PostgreSQL URL, or the
    /// database cannot be reached within the connect timeout; [`StoreError::Corrupt`] when it
    /// holds a schema this version cannot use (for instance one migrated by a newer version).
    pub async fn open(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let connect = connect_options(url)?;
        migrate::run(&connect, options.connect_timeout).await?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(with_statement_timeout(connect, options.statement_timeout));
        Ok(Self {
            pool,
            revocation_hints: hints::RevocationHints::default(),
            ping_timeout: options.connect_timeout,
        })
    }

    /// The migrations that [`PgStore::open`] would apply to the database at `url`, oldest
    /// first, without changing anything.
    ///
    /// # Errors
    ///
    /// As for [`PgStore::open`].
    pub async fn pending_migrations(
        url: &str,
        options: &PgOptions,
    ) -> Result<Vec<Migration>, StoreError> {
        let connect = connect_options(url)?;
        migrate::pending(&connect, options.connect_timeout).await
    }

    /// Applies the pending migrations to the database at `url` under the advisory lock, and
    /// answers which ones this call applied (none when another instance got there first).
    ///
    /// # Errors
    ///
    /// As for [`PgStore::open`].
    pub async fn migrate(url: &str, options: &PgOptions) -> Result<Vec<Migration>, StoreError> {
        let connect = connect_options(url)?;
        migrate::run(&connect, options.connect_timeout).await
    }

    /// Asks the database on a connection of its own, opened for this and closed after it
    /// (one more than the pool's while it lasts), so that a database refusing connections is
    /// an error at once: the pool would retry a refused connection until its acquire
    /// timeout, and the server's circuit breaker asks this to tell an outage from a busy pool.
    async fn ping_directly(&self) -> Result<(), StoreError> {
        let options = self.pool.connect_options();
        let ask = async {
            let mut connection = PgConnection::connect_with(&options)
                .await
                .or_store("ping")?;
            let answer = sqlx::query("SELECT 1")
                .execute(&mut connection)
                .await
                .or_store("ping");
            // Closing politely is best effort: the answer is what counts.
            let _ = connection.close().await;
            answer.map(|_| ())
        };
        tokio::time::timeout(self.ping_timeout, ask)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::unavailable(
                    "the database did not answer in time",
                ))
            })
    }

    /// Closes every connection, waiting for calls in flight. Dropping the store also closes
    /// them, in the background; either way nothing committed is lost.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Parses `url`, never echoing it: it may hold a password.
fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StoreError::unavailable("not a postgres:// URL"));
    }
    PgConnectOptions::from_str(url).or_store("database url")
}

/// The pool's connections get the statement timeout; the migration connection does not, as
/// waiting for another instance's migrations, or running a long one, is not a hung request.
fn with_statement_timeout(connect: PgConnectOptions, timeout: Duration) -> PgConnectOptions {
    if timeout.is_zero() {
        return connect;
    }
    let millis = timeout.as_millis().max(1);
    connect.options([("statement_timeout", format!("{millis}ms"))])
}

/// Starts a transaction (read committed: the row locks taken in it decide the races).
///
/// sqlx 0.9's `Pool::begin` is not cancel-safe on PostgreSQL (transact-rs/sqlx#4393): a
/// caller dropped while `BEGIN` is in flight (a client that hangs up) hands the connection
/// back to the pool inside a transaction, and the next borrower's writes run in it. `BEGIN`
/// therefore runs on a task of its own, which finishes even when the caller is gone; the
/// transaction it returns to nobody is then dropped and rolled back like any other.
async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, StoreError> {
    let pool = pool.clone();
    match tokio::spawn(async move { pool.begin().await }).await {
        Ok(begun) => begun.or_store("transaction"),
        Err(_) => Err(StoreError::unavailable(
            "the task starting a transaction failed",
        )),
    }
}

/// Commits a transaction.
async fn commit(tx: Transaction<'static, Postgres>) -> Result<(), StoreError> {
    tx.commit().await.or_store("transaction")
}

/// [`StoreError::NotFound`] when a statement touched no row.
fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// False for text PostgreSQL cannot hold (a NUL character). No stored record can match it,
/// so a lookup by such a value finds nothing, as it would on SQLite, instead of failing.
fn storable(text: &str) -> bool {
    !text.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_urls_are_accepted_and_never_echoed() {
        for url in [
            "sqlite://x.db",
            "mysql://u:secret@h/db",
            "secret",
            "postgres://u:secret@h:port/db",
        ] {
            match connect_options(url) {
                Err(err @ StoreError::Unavailable(_)) => {
                    let logged = format!("{:?} {}", err, chain(&err));
                    assert!(!logged.contains("secret"), "{logged}");
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        assert!(connect_options("postgresql://u@localhost/db").is_ok());
    }

    /// Every message of an error and its sources, as a log would show them.
    fn chain(err: &dyn std::error::Error) -> String {
        let mut text = err.to_string();
        let mut next = err.source();
        while let Some(cause) = next {
            text = format!("{text}: {cause}");
            next = cause.source();
        }
        text
    }

    #[test]
    fn statement_timeout_becomes_a_startup_option() {
        let connect = PgConnectOptions::new();
        let set = with_statement_timeout(connect.clone(), Duration::from_secs(2));
        assert_eq!(set.get_options(), Some("-c statement_timeout=2000ms"));
        let off = with_statement_timeout(connect, Duration::ZERO);
        assert_eq!(off.get_options(), None);
    }

    #[test]
    fn nul_is_not_storable() {
        assert!(storable("alice"));
        assert!(!storable("al\0ice"));
    }
}
