//! Login sessions and their refresh-token families (RFC 9700 §4.14).

use std::time::Duration;

use super::Fut;
use crate::model::{RefreshRecord, RotateOutcome, Session, SessionId, Timestamp, UserId};

/// Where sessions and refresh tokens live. Refresh tokens are known only by their SHA-256
/// digest.
pub trait SessionStore: Send + Sync {
    /// Creates a session with its first refresh token, atomically.
    /// [`StoreError::NotFound`](crate::StoreError::NotFound) when its user or client does not
    /// exist.
    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()>;
    /// Exchanges the refresh token with digest `hash` for `next`, atomically: at most one
    /// caller ever rotates a given token, whatever the concurrency.
    ///
    /// Inside one write transaction the backend loads the presented record and its session,
    /// asks [`crate::refresh::decide`] what to do at `now` with `grace`, and applies the
    /// answer before committing:
    /// - [`Decision::Rotate`](crate::refresh::Decision::Rotate): stamp `used_at = now`, copy
    ///   `next.successor_sealed` (the new token sealed under the master key) onto the
    ///   presented record, insert `next` (unused, in the presented token's family), set the
    ///   session's `last_used_at = now`, answer [`RotateOutcome::Rotated`];
    /// - `Retry`: change nothing, answer [`RotateOutcome::Retried`] with the kept successor;
    /// - `Replay`: revoke the session (`revoked_at = now`), answer
    ///   [`RotateOutcome::Replayed`];
    /// - `Invalid`: answer [`RotateOutcome::Invalid`].
    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace: Duration,
    ) -> impl Fut<RotateOutcome>;
    /// Finds one refresh token's record (used or not), for introspection.
    fn refresh_record(&self, hash: &[u8]) -> impl Fut<Option<RefreshRecord>>;
    /// Finds the session of a refresh token (for revocation and introspection).
    fn session_by_refresh(&self, hash: &[u8]) -> impl Fut<Option<Session>>;
    /// Finds a session by id.
    fn session_by_id(&self, id: &SessionId) -> impl Fut<Option<Session>>;
    /// The live sessions of a user at `now`.
    fn sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<Session>>;
    /// Ends a session (its refresh family). Returns false if it was not live.
    fn revoke_session(&self, id: &SessionId, now: Timestamp) -> impl Fut<bool>;
}
