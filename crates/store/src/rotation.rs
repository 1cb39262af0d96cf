//! The refresh-rotation rules (RFC 9700 §4.14), apart from any database: a backend loads the
//! presented record and its session inside one write transaction, asks [`decide`], and applies
//! the answer before committing.

use tessera_core::model::{RefreshRecord, Session, Timestamp};

/// What to do with a presented refresh token.
#[derive(Debug, Eq, PartialEq)]
pub(crate) enum Decision {
    /// Unknown, expired, or its session is over.
    Invalid,
    /// Current: mark it used, store the successor, touch the session.
    Rotate { session: Session },
    /// Used within the grace window: hand back the sealed successor again.
    Retry {
        session: Session,
        successor_sealed: Vec<u8>,
    },
    /// Used before, outside the grace window: revoke the whole session.
    Replay { session: Session },
}

/// Decides the fate of the record found for a presented token (`None`: no such token).
///
/// Expiry matters only for an unused token: a used one presented again, expired or not, is
/// a retry within the grace window and a replay after it. A `grace_secs` of zero or less
/// turns the grace window off: any second use is a replay.
pub(crate) fn decide(
    found: Option<(RefreshRecord, Session)>,
    now: Timestamp,
    grace_secs: i64,
) -> Decision {
    let Some((record, session)) = found else {
        return Decision::Invalid;
    };
    if !is_live(&session, now) {
        return Decision::Invalid;
    }
    match (record.used_at, record.successor_sealed) {
        (None, _) if record.expires_at <= now => Decision::Invalid,
        (None, _) => Decision::Rotate { session },
        (Some(used_at), Some(successor_sealed)) if within_grace(used_at, now, grace_secs) => {
            Decision::Retry {
                session,
                successor_sealed,
            }
        }
        (Some(_), _) => Decision::Replay { session },
    }
}

/// True while a session can still be refreshed.
pub(crate) fn is_live(session: &Session, now: Timestamp) -> bool {
    session.revoked_at.is_none() && session.expires_at > now
}

fn within_grace(used_at: Timestamp, now: Timestamp, grace_secs: i64) -> bool {
    grace_secs > 0 && now.saturating_sub(used_at) <= grace_secs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            id: "s".into(),
            user_id: "u".into(),
            client_id: "c".into(),
            scope: String::new(),
            created_at: 0,
            expires_at: 1_000,
            last_used_at: 0,
            revoked_at: None,
        }
    }

    fn record(used_at: Option<Timestamp>, sealed: Option<&[u8]>) -> RefreshRecord {
        RefreshRecord {
            hash: vec![1],
            session_id: "s".into(),
            created_at: 0,
            expires_at: 500,
            used_at,
            successor_sealed: sealed.map(<[u8]>::to_vec),
        }
    }

    #[test]
    fn unknown_expired_or_dead_session_is_invalid() {
        assert_eq!(decide(None, 10, 5), Decision::Invalid);
        assert_eq!(
            decide(Some((record(None, None), session())), 500, 5),
            Decision::Invalid
        );
        let revoked = Session {
            revoked_at: Some(5),
            ..session()
        };
        assert_eq!(
            decide(Some((record(None, None), revoked)), 10, 5),
            Decision::Invalid
        );
        let over = Session {
            expires_at: 10,
            ..session()
        };
        assert_eq!(
            decide(Some((record(None, None), over)), 10, 5),
            Decision::Invalid
        );
    }

    #[test]
    fn used_and_expired_is_still_a_replay() {
        let used = Some((record(Some(10), Some(b"next")), session()));
        assert_eq!(
            decide(used, 600, 5),
            Decision::Replay { session: session() }
        );
    }

    #[test]
    fn unused_rotates() {
        let decision = decide(Some((record(None, None), session())), 10, 5);
        assert_eq!(decision, Decision::Rotate { session: session() });
    }

    #[test]
    fn reuse_within_grace_retries_and_after_it_replays() {
        let used = || Some((record(Some(10), Some(b"next")), session()));
        let retry = Decision::Retry {
            session: session(),
            successor_sealed: b"next".to_vec(),
        };
        assert_eq!(decide(used(), 15, 5), retry);
        assert_eq!(
            decide(used(), 16, 5),
            Decision::Replay { session: session() }
        );
        assert_eq!(
            decide(used(), 10, 0),
            Decision::Replay { session: session() }
        );
        let unsealed = Some((record(Some(10), None), session()));
        assert_eq!(
            decide(unsealed, 11, 5),
            Decision::Replay { session: session() }
        );
    }
}
