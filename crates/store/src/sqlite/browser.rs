//! Browser sign-in: login sessions, the clients they authorized, authorization codes,
//! consents and the logout outbox. Every function runs on the database thread, writes in
//! the caller's write transaction.

use std::time::Duration;

use rusqlite::{Connection, params};
use tessera_core::StoreError;
use tessera_core::model::{
    AuthorizationCode, ClientId, CodeOutcome, Consent, Jti, LoginSession, LoginSessionId,
    LogoutNotice, NoticeId, NoticeOutcome, RefreshRecord, Session, Timestamp, UserId,
};

use super::cache::Cache;
use super::rows::{self, code_columns, consent_columns, login_session_columns, notice_columns};
use super::{exec, many, optional, sessions};
use crate::codec::encode_list;

/// The SQL condition of a live login session, `?1` being now.
const LIVE: &str = "ended_at IS NULL AND idle_expires_at > ?1 AND expires_at > ?1";

pub(super) fn create_login_session(
    conn: &Connection,
    session: &LoginSession,
) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO login_sessions (id, secret_hash, user_id, auth_time, amr, acr, \
         created_at, last_seen_at, idle_expires_at, expires_at, ended_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            session.id.as_str(),
            session.secret_hash,
            session.user_id.as_str(),
            session.auth_time.secs(),
            encode_list(&session.amr)?,
            session.acr,
            session.created_at.secs(),
            session.last_seen_at.secs(),
            session.idle_expires_at.secs(),
            session.expires_at.secs(),
            session.ended_at.map(Timestamp::secs),
        ],
        "login session",
    )?;
    Ok(())
}

pub(super) fn login_session_by_secret(
    conn: &Connection,
    secret_hash: &[u8],
) -> Result<Option<LoginSession>, StoreError> {
    let sql = concat!(
        "SELECT ",
        login_session_columns!(),
        " FROM login_sessions WHERE secret_hash = ?"
    );
    optional(
        conn,
        sql,
        [secret_hash],
        "login session",
        rows::login_session,
    )
}

pub(super) fn login_session_by_id(
    conn: &Connection,
    id: &LoginSessionId,
) -> Result<Option<LoginSession>, StoreError> {
    let sql = concat!(
        "SELECT ",
        login_session_columns!(),
        " FROM login_sessions WHERE id = ?"
    );
    optional(
        conn,
        sql,
        [id.as_str()],
        "login session",
        rows::login_session,
    )
}

pub(super) fn touch_login_session(
    conn: &Connection,
    id: &LoginSessionId,
    now: Timestamp,
    idle_expires_at: Timestamp,
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE login_sessions SET last_seen_at = ?1, idle_expires_at = MIN(?2, expires_at) \
         WHERE id = ?3 AND {LIVE}"
    );
    let params = params![now.secs(), idle_expires_at.secs(), id.as_str()];
    exec(conn, &sql, params, "login session")?;
    Ok(())
}

/// What a new interactive login in a live session changes.
pub(super) struct Reauthentication<'a> {
    pub(super) secret_hash: &'a [u8],
    pub(super) amr: &'a [String],
    pub(super) acr: Option<&'a str>,
    pub(super) now: Timestamp,
    pub(super) idle_expires_at: Timestamp,
}

pub(super) fn reauthenticate(
    conn: &Connection,
    id: &LoginSessionId,
    login: &Reauthentication<'_>,
) -> Result<bool, StoreError> {
    let sql = format!(
        "UPDATE login_sessions SET secret_hash = ?2, auth_time = ?1, amr = ?3, acr = ?4, \
         last_seen_at = ?1, idle_expires_at = MIN(?5, expires_at) WHERE id = ?6 AND {LIVE}"
    );
    let params = params![
        login.now.secs(),
        login.secret_hash,
        encode_list(login.amr)?,
        login.acr,
        login.idle_expires_at.secs(),
        id.as_str(),
    ];
    Ok(exec(conn, &sql, params, "login session")? > 0)
}

pub(super) fn login_sessions_of(
    conn: &Connection,
    user: &UserId,
    now: Timestamp,
) -> Result<Vec<LoginSession>, StoreError> {
    let sql = format!(
        "SELECT {} FROM login_sessions WHERE user_id = ?2 AND {LIVE} ORDER BY created_at, id",
        login_session_columns!()
    );
    let params = params![now.secs(), user.as_str()];
    many(conn, &sql, params, "login session", rows::login_session)
}

pub(super) fn note_login_client(
    conn: &Connection,
    id: &LoginSessionId,
    client: &ClientId,
    now: Timestamp,
) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO login_session_clients (login_session_id, client_id, created_at) \
         VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        params![id.as_str(), client.as_str(), now.secs()],
        "login session client",
    )?;
    Ok(())
}

pub(super) fn login_session_clients(
    conn: &Connection,
    id: &LoginSessionId,
) -> Result<Vec<ClientId>, StoreError> {
    let sql = "SELECT client_id FROM login_session_clients WHERE login_session_id = ? \
               ORDER BY created_at, client_id";
    let found = many(
        conn,
        sql,
        [id.as_str()],
        "login session client",
        rows::client_id,
    )?;
    Ok(found.into_iter().map(ClientId::from).collect())
}

pub(super) fn end_login_session(
    conn: &Connection,
    cache: &Cache,
    id: &LoginSessionId,
    now: Timestamp,
    notices: &[LogoutNotice],
) -> Result<bool, StoreError> {
    let sql = format!("UPDATE login_sessions SET ended_at = ?1 WHERE id = ?2 AND {LIVE}");
    if exec(
        conn,
        &sql,
        params![now.secs(), id.as_str()],
        "login session",
    )? == 0
    {
        return Ok(false);
    }
    cache.forget_sessions();
    exec(
        conn,
        "UPDATE sessions SET revoked_at = ? WHERE login_session_id = ? AND revoked_at IS NULL",
        params![now.secs(), id.as_str()],
        "session",
    )?;
    for notice in notices {
        queue_notice(conn, notice)?;
    }
    Ok(true)
}

fn queue_notice(conn: &Connection, notice: &LogoutNotice) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO logout_outbox (id, client_id, uri, login_session_id, user_id, jti, \
         created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            notice.id.as_str(),
            notice.client_id.as_str(),
            notice.uri,
            notice.login_session_id.as_str(),
            notice.user_id.as_str(),
            notice.jti.as_str(),
            notice.created_at.secs(),
            notice.attempts,
            notice.next_attempt_at.secs(),
        ],
        "logout notice",
    )?;
    Ok(())
}

pub(super) fn create_code(conn: &Connection, code: &AuthorizationCode) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO authorization_codes (hash, client_id, redirect_uri, code_challenge, \
         user_id, login_session_id, scope, nonce, auth_time, amr, acr, created_at, \
         expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            code.hash,
            code.client_id.as_str(),
            code.redirect_uri,
            code.code_challenge,
            code.user_id.as_str(),
            code.login_session_id.as_str(),
            code.scope.to_string(),
            code.nonce,
            code.auth_time.secs(),
            encode_list(&code.amr)?,
            code.acr,
            code.created_at.secs(),
            code.expires_at.secs(),
        ],
        "authorization code",
    )?;
    Ok(())
}

pub(super) fn code_by_hash(
    conn: &Connection,
    hash: &[u8],
    now: Timestamp,
) -> Result<Option<AuthorizationCode>, StoreError> {
    let sql = concat!(
        "SELECT ",
        code_columns!(),
        " FROM authorization_codes WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2"
    );
    optional(
        conn,
        sql,
        params![hash, now.secs()],
        "authorization code",
        rows::code,
    )
}

/// What a successful exchange stores along with the spent code.
pub(super) struct Exchange<'a> {
    pub(super) now: Timestamp,
    pub(super) session: &'a Session,
    pub(super) first: &'a RefreshRecord,
    pub(super) jti: &'a Jti,
    pub(super) exp: Timestamp,
}

/// Exchanges a code; atomic because it runs in the single writer's transaction.
pub(super) fn exchange_code(
    conn: &Connection,
    hash: &[u8],
    exchange: &Exchange<'_>,
) -> Result<CodeOutcome, StoreError> {
    if let Some(replayed) = replayed_code(conn, hash)? {
        return Ok(replayed);
    }
    let Some(code) = code_by_hash(conn, hash, exchange.now)? else {
        return Ok(CodeOutcome::Invalid);
    };
    exec(
        conn,
        "UPDATE authorization_codes SET used_at = ?, session_id = ?, access_jti = ?, \
         access_exp = ? WHERE hash = ? AND used_at IS NULL",
        params![
            exchange.now.secs(),
            exchange.session.id.as_str(),
            exchange.jti.as_str(),
            exchange.exp.secs(),
            hash,
        ],
        "authorization code",
    )?;
    sessions::create_session(conn, exchange.session, exchange.first)?;
    Ok(CodeOutcome::Exchanged(Box::new(code)))
}

/// [`CodeOutcome::Replayed`] when the code was exchanged before.
fn replayed_code(conn: &Connection, hash: &[u8]) -> Result<Option<CodeOutcome>, StoreError> {
    let sql = "SELECT session_id, access_jti, access_exp FROM authorization_codes \
               WHERE hash = ? AND used_at IS NOT NULL";
    optional(conn, sql, [hash], "authorization code", rows::replayed)
}

pub(super) fn consent_of(
    conn: &Connection,
    user: &UserId,
    client: &ClientId,
) -> Result<Option<Consent>, StoreError> {
    let sql = concat!(
        "SELECT ",
        consent_columns!(),
        " FROM consents WHERE user_id = ? AND client_id = ?"
    );
    let params = params![user.as_str(), client.as_str()];
    optional(conn, sql, params, "consent", rows::consent)
}

pub(super) fn save_consent(conn: &Connection, consent: &Consent) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (user_id, client_id) DO UPDATE \
         SET scope = excluded.scope, granted_at = excluded.granted_at",
        params![
            consent.user_id.as_str(),
            consent.client_id.as_str(),
            consent.scope.to_string(),
            consent.granted_at.secs(),
        ],
        "consent",
    )?;
    Ok(())
}

/// The SQL condition of a notice due at `?1`.
const DUE: &str = "delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ?1 \
                   AND (leased_until IS NULL OR leased_until <= ?1)";

pub(super) fn claim_logout_notices(
    conn: &Connection,
    now: Timestamp,
    lease: Duration,
    limit: u32,
) -> Result<Vec<LogoutNotice>, StoreError> {
    let sql = format!(
        "UPDATE logout_outbox SET leased_until = ?2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM logout_outbox WHERE {DUE} \
         ORDER BY next_attempt_at, created_at, id LIMIT ?3) \
         RETURNING {}",
        notice_columns!()
    );
    let params = params![now.secs(), now.plus(lease).secs(), limit];
    let mut claimed = many(conn, &sql, params, "logout notice", rows::notice)?;
    // RETURNING gives no order: oldest first, as promised.
    claimed.sort_by_key(|notice| (notice.next_attempt_at, notice.created_at));
    Ok(claimed)
}

pub(super) fn finish_logout_notice(
    conn: &Connection,
    id: &NoticeId,
    outcome: &NoticeOutcome,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (sql, next) = match outcome {
        NoticeOutcome::Delivered => (
            "UPDATE logout_outbox SET delivered_at = ?1, leased_until = NULL WHERE id = ?2",
            None,
        ),
        NoticeOutcome::RetryAt(at) => (
            "UPDATE logout_outbox SET next_attempt_at = ?3, leased_until = NULL WHERE id = ?2",
            Some(at.secs()),
        ),
        NoticeOutcome::GiveUp => (
            "UPDATE logout_outbox SET gave_up_at = ?1, leased_until = NULL WHERE id = ?2",
            None,
        ),
    };
    // A notice that is gone (its client deleted meanwhile) needs nothing more.
    match next {
        Some(at) => exec(
            conn,
            sql,
            params![now.secs(), id.as_str(), at],
            "logout notice",
        )?,
        None => exec(conn, sql, params![now.secs(), id.as_str()], "logout notice")?,
    };
    Ok(())
}

pub(super) fn pending_logout_notices(conn: &Connection) -> Result<Vec<LogoutNotice>, StoreError> {
    let sql = concat!(
        "SELECT ",
        notice_columns!(),
        " FROM logout_outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL \
         ORDER BY next_attempt_at, created_at, id"
    );
    many(conn, sql, [], "logout notice", rows::notice)
}
