//! Tessera's storage: the [`tessera_core::Store`] trait on SQLite, through sqlx.
//!
//! [`SqliteStore`] is the embedded default: one file in the data directory, WAL journal,
//! `synchronous=FULL` unless told otherwise, migrations run at open. A PostgreSQL store for
//! several server instances will sit beside it in its own module, sharing the error mapping
//! ([`sqlx::Error`] never leaves this crate), the value codecs and the refresh-rotation rules.
//!
//! Every method that reports success has committed its write first.
//!
//! # Examples
//!
//! ```no_run
//! use tessera_core::Store;
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

mod codec;
mod error;
mod rotation;
mod sqlite;

pub use sqlite::{SqliteOptions, SqliteStore, Synchronous};
