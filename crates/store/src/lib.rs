//! Tessera's storage: the [`tessera_core::Store`] traits on SQLite and PostgreSQL, and in
//! memory for tests.
//!
//! [`SqliteStore`] is the embedded default: one file in the data directory, WAL journal,
//! `synchronous=FULL` unless told otherwise, migrations run at open. [`PgStore`] is for
//! several server instances on one PostgreSQL database: a connection pool, row locks where
//! requests race, migrations run at open under an advisory lock. [`AnyStore`] holds either,
//! chosen by a [`Location`]. Both backends share the error mapping ([`sqlx::Error`] never
//! leaves this crate, it is only kept as the cause of a
//! [`StoreError`](tessera_core::StoreError)), the value codecs, and core's refresh-rotation
//! rule ([`tessera_core::refresh::decide`]). [`MemoryStore`] keeps everything in memory with
//! the same semantics (the same contract tests run on it), for tests and examples.
//!
//! Every method that reports success has committed its write first.
//!
//! # Examples
//!
//! ```no_run
//! use tessera_core::store::MaintenanceStore;
//! use tessera_store::{SqliteOptions, SqliteStore, Synchronous};
//!
//! # async fn demo() -> Result<(), tessera_core::StoreError> {
//! let options = SqliteOptions::default().synchronous(Synchronous::Full);
//! let store = SqliteStore::open("tessera-data/tessera.db", options).await?;
//! store.ping().await?;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod any;
mod audit;
mod codec;
mod columns;
mod devices;
mod error;
mod factors;
mod memory;
mod postgres;
mod schema;
mod sqlite;
mod webhooks;

pub use any::{AnyStore, Location, StoreOptions};
pub use memory::MemoryStore;
pub use postgres::{PgOptions, PgStore};
pub use schema::Migration;
pub use sqlite::backup as sqlite_backup;
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous};
