//! The storage contract, in focused traits (one per area) under one [`Store`] supertrait.
//! Implementations (SQLite, PostgreSQL, and an in-memory one for tests) live in
//! `tessera-store`; this crate speaks only in domain words.
//!
//! Every method that reports success has committed its write durably first. No method has a
//! default: a backend that left one out could silently switch a protection off (a lock-out
//! that never locks, a rotation that is not atomic).

mod accounts;
mod audit;
mod browser;
mod clients;
mod devices;
mod factors;
mod keys;
mod lockouts;
mod replay;
mod revocations;
mod sessions;
mod shared;
mod webhooks;

use std::future::Future;

pub use accounts::AccountStore;
pub use audit::AuditStore;
pub use browser::{CodeStore, ConsentStore, LoginSessionStore, OutboxStore};
pub use clients::ClientStore;
pub use devices::DeviceStore;
pub use factors::FactorStore;
pub use keys::KeyStore;
pub use lockouts::LockoutStore;
pub use replay::ReplayStore;
pub use revocations::RevocationStore;
pub use sessions::SessionStore;
pub use webhooks::WebhookStore;

use crate::error::StoreError;
use crate::model::{KeyId, Timestamp};
use crate::transfer::Snapshot;

/// Shorthand for the futures the traits return.
pub trait Fut<T>: Future<Output = Result<T, StoreError>> + Send {}
impl<T, F: Future<Output = Result<T, StoreError>> + Send> Fut<T> for F {}

/// Health, housekeeping and bulk loading: what concerns the database as a whole.
pub trait MaintenanceStore: Send + Sync {
    /// Checks that the database answers.
    fn ping(&self) -> impl Fut<()>;

    /// Deletes what has expired at `now`, and returns how many rows went: revocations,
    /// refresh records, failed-login counters, login sessions past their end (ended, idle or
    /// absolute) with what hangs on them, authorization codes an hour past their expiry,
    /// delivered logout notices a day old and given-up ones a week old, DPoP proof records
    /// past their window, device authorization requests an hour past their expiry. Works
    /// in bounded batches so that it never blocks requests for long.
    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64>;

    /// Writes every record of `snapshot` (users, clients, keys, revocations) and moves the
    /// keys named in `retire` to `Retired`, all in one transaction: on any error nothing was
    /// written. A record that already exists (same id, username or kid) is a
    /// [`StoreError::Conflict`] naming it.
    fn import(&self, snapshot: &Snapshot, retire: &[KeyId], now: Timestamp) -> impl Fut<()>;
}

/// Persistent state of a Tessera deployment: every area's trait.
pub trait Store:
    AccountStore
    + ClientStore
    + SessionStore
    + KeyStore
    + RevocationStore
    + LockoutStore
    + LoginSessionStore
    + CodeStore
    + ConsentStore
    + OutboxStore
    + ReplayStore
    + AuditStore
    + WebhookStore
    + FactorStore
    + DeviceStore
    + MaintenanceStore
    + 'static
{
}

impl<T> Store for T where
    T: AccountStore
        + ClientStore
        + SessionStore
        + KeyStore
        + RevocationStore
        + LockoutStore
        + LoginSessionStore
        + CodeStore
        + ConsentStore
        + OutboxStore
        + ReplayStore
        + AuditStore
        + WebhookStore
        + FactorStore
        + DeviceStore
        + MaintenanceStore
        + 'static
{
}
