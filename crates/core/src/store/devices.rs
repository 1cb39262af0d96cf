//! Device authorization requests (RFC 8628), shared by every instance on the database: a
//! device may poll one instance while its user approves at another.

use super::Fut;
use crate::model::{DeviceApproval, DeviceAuthorization, Timestamp};

/// Where device authorization requests live until they expire (the purge removes them).
pub trait DeviceStore: Send + Sync {
    /// Stores a new pending request. A live request (not expired at `request.created_at`)
    /// with the same user code already there is a [`crate::StoreError::Conflict`], and
    /// nothing is written (the caller draws another code).
    fn create_device_authorization(&self, request: &DeviceAuthorization) -> impl Fut<()>;

    /// The request whose user code is `user_code` (normalized), if it is pending and not
    /// expired at `now`.
    fn pending_device_by_user_code(
        &self,
        user_code: &str,
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>>;

    /// Approves (`Some`) or denies (`None`) the pending request `user_code`, atomically:
    /// true when it was pending and not expired at `now`; false, with nothing written,
    /// otherwise (someone decided first, or it expired).
    fn decide_device(
        &self,
        user_code: &str,
        approval: Option<&DeviceApproval>,
        now: Timestamp,
    ) -> impl Fut<bool>;

    /// A poll of the request whose device code has digest `device_code_hash`: sets its last
    /// poll to `now` and returns the request as it was before (its previous `last_polled_at`
    /// tells whether the device polled too fast), atomically; `None` for an unknown digest.
    fn poll_device(
        &self,
        device_code_hash: &[u8],
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>>;

    /// Adds `by_secs` to the request's polling interval (a `slow_down`).
    fn slow_device_down(&self, device_code_hash: &[u8], by_secs: i64) -> impl Fut<()>;

    /// Marks the approved request redeemed, atomically: true for exactly one caller.
    fn redeem_device(&self, device_code_hash: &[u8]) -> impl Fut<bool>;
}
