//! The refresh-rotation rule (RFC 9700 §4.14), apart from any database: a backend loads the
//! presented record and its session inside one write transaction, asks [`decide`], and
//! applies the answer before committing (see
//! [`SessionStore::rotate_refresh`](crate::store::SessionStore::rotate_refresh)).

use std::time::Duration;

use crate::model::{RefreshRecord, RotateOutcome, Session, Timestamp, secs_of};

/// What to do with a presented refresh token.
///
/// Not `#[non_exhaustive]` on purpose: a backend must handle every outcome, so that a new
/// rule is a compile error there, not a silent `Invalid`.
#[derive(Debug, Eq, PartialEq)]
pub enum Decision {
    /// Unknown, expired, or its session is over.
    Invalid,
    /// Current: mark it used, store the successor, touch the session.
    Rotate {
        /// The token's session.
        session: Session,
    },
    /// Used within the grace window: hand back the sealed successor again.
    Retry {
        /// The token's session.
        session: Session,
        /// The successor, sealed under the master key.
        successor_sealed: Vec<u8>,
    },
    /// Used before, outside the grace window: revoke the whole session.
    Replay {
        /// The session to revoke.
        session: Session,
    },
}

impl Decision {
    /// The session the backend must write to: rotated (touched) or replayed (revoked).
    pub fn session_to_write(&self) -> Option<&Session> {
        match self {
            Self::Rotate { session } | Self::Replay { session } => Some(session),
            Self::Retry { .. } | Self::Invalid => None,
        }
    }

    /// The answer once the backend has applied the decision's writes at `now` (for
    /// `Rotate`: the presented token marked used, the successor stored, the session's
    /// `last_used_at` set to `now`; for `Replay`: the session revoked).
    pub fn into_outcome(self, now: Timestamp) -> RotateOutcome {
        match self {
            Self::Invalid => RotateOutcome::Invalid,
            Self::Rotate { session } => RotateOutcome::Rotated(Session {
                last_used_at: now,
                ..session
            }),
            Self::Retry {
                session,
                successor_sealed,
            } => RotateOutcome::Retried {
                session,
                successor_sealed,
            },
            Self::Replay { session } => RotateOutcome::Replayed {
                session_id: session.id,
                user_id: session.user_id,
            },
        }
    }
}

/// Decides the fate of the record found for a presented token (`None`: no such token).
///
/// Expiry matters only for an unused token: a used one presented again, expired or not, is
/// a retry within the grace window and a replay after it. A zero `grace` turns the grace
/// window off: any second use is a replay.
pub fn decide(
    found: Option<(RefreshRecord, Session)>,
    now: Timestamp,
    grace: Duration,
) -> Decision {
    let Some((record, session)) = found else {
        return Decision::Invalid;
    };
    if !session.is_live(now) {
        return Decision::Invalid;
    }
    match (record.used_at, record.successor_sealed) {
        (None, _) if record.expires_at <= now => Decision::Invalid,
        (None, _) => Decision::Rotate { session },
        (Some(used_at), Some(successor_sealed)) if within_grace(used_at, now, grace) => {
            Decision::Retry {
                session,
                successor_sealed,
            }
        }
        (Some(_), _) => Decision::Replay { session },
    }
}

fn within_grace(used_at: Timestamp, now: Timestamp, grace: Duration) -> bool {
    let grace = secs_of(grace);
    grace > 0 && now.secs_since(used_at) <= grace
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    const GRACE: Duration = Duration::from_secs(5);

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_secs(secs)
    }

    fn session() -> Session {
        Session {
            id: "s".into(),
            user_id: "u".into(),
            client_id: "c".into(),
            scope: Scope::default(),
            created_at: at(0),
            expires_at: at(1_000),
            last_used_at: at(0),
            revoked_at: None,
            login_session_id: None,
            dpop_jkt: None,
        }
    }

    fn record(used_at: Option<i64>, sealed: Option<&[u8]>) -> RefreshRecord {
        RefreshRecord {
            hash: vec![1],
            session_id: "s".into(),
            created_at: at(0),
            expires_at: at(500),
            used_at: used_at.map(at),
            successor_sealed: sealed.map(<[u8]>::to_vec),
        }
    }

    #[test]
    fn unknown_expired_or_dead_session_is_invalid() {
        assert_eq!(decide(None, at(10), GRACE), Decision::Invalid);
        assert_eq!(
            decide(Some((record(None, None), session())), at(500), GRACE),
            Decision::Invalid
        );
        let revoked = Session {
            revoked_at: Some(at(5)),
            ..session()
        };
        assert_eq!(
            decide(Some((record(None, None), revoked)), at(10), GRACE),
            Decision::Invalid
        );
        let over = Session {
            expires_at: at(10),
            ..session()
        };
        assert_eq!(
            decide(Some((record(None, None), over)), at(10), GRACE),
            Decision::Invalid
        );
    }

    #[test]
    fn used_and_expired_is_still_a_replay() {
        let used = Some((record(Some(10), Some(b"next")), session()));
        assert_eq!(
            decide(used, at(600), GRACE),
            Decision::Replay { session: session() }
        );
    }

    #[test]
    fn unused_rotates() {
        let decision = decide(Some((record(None, None), session())), at(10), GRACE);
        assert_eq!(decision, Decision::Rotate { session: session() });
    }

    #[test]
    fn reuse_within_grace_retries_and_after_it_replays() {
        let used = || Some((record(Some(10), Some(b"next")), session()));
        let retry = Decision::Retry {
            session: session(),
            successor_sealed: b"next".to_vec(),
        };
        assert_eq!(decide(used(), at(15), GRACE), retry);
        assert_eq!(
            decide(used(), at(16), GRACE),
            Decision::Replay { session: session() }
        );
        assert_eq!(
            decide(used(), at(10), Duration::ZERO),
            Decision::Replay { session: session() }
        );
        let unsealed = Some((record(Some(10), None), session()));
        assert_eq!(
            decide(unsealed, at(11), GRACE),
            Decision::Replay { session: session() }
        );
    }
}
