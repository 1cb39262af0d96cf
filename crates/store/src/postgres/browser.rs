//! Browser sign-in: login sessions, the clients they authorized, authorization codes,
//! consents and the logout outbox. Shared by every instance on the database: the races
//! (two exchanges of one code, two deliverers claiming notices) are settled by row locks.

use std::time::Duration;

use sqlx::PgPool;
use tessera_core::StoreError;
use tessera_core::model::{
    AuthorizationCode, ClientId, CodeOutcome, Consent, Jti, LoginSession, LoginSessionId,
    LogoutNotice, NoticeId, NoticeOutcome, RefreshRecord, Session, Timestamp, UserId,
};

use super::rows::{self, code_columns, consent_columns, login_session_columns, notice_columns};
use super::{begin, commit, sessions, storable};
use crate::codec::encode_list;
use crate::error::StoreResultExt;

/// The SQL condition of a live login session, `$1` being now.
macro_rules! live {
    () => {
        "ended_at IS NULL AND idle_expires_at > $1 AND expires_at > $1"
    };
}

pub(super) async fn create_login_session(
    pool: &PgPool,
    session: &LoginSession,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO login_sessions (id, secret_hash, user_id, auth_time, amr, acr, \
         created_at, last_seen_at, idle_expires_at, expires_at, ended_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(session.id.as_str())
    .bind(&session.secret_hash)
    .bind(session.user_id.as_str())
    .bind(session.auth_time.secs())
    .bind(encode_list(&session.amr)?)
    .bind(&session.acr)
    .bind(session.created_at.secs())
    .bind(session.last_seen_at.secs())
    .bind(session.idle_expires_at.secs())
    .bind(session.expires_at.secs())
    .bind(session.ended_at.map(Timestamp::secs))
    .execute(pool)
    .await
    .or_store("login session")?;
    Ok(())
}

pub(super) async fn login_session_by_secret(
    pool: &PgPool,
    secret_hash: &[u8],
) -> Result<Option<LoginSession>, StoreError> {
    let sql = concat!(
        "SELECT ",
        login_session_columns!(),
        " FROM login_sessions WHERE secret_hash = $1"
    );
    let row = sqlx::query(sql)
        .bind(secret_hash)
        .fetch_optional(pool)
        .await
        .or_store("login session")?;
    row.as_ref().map(rows::login_session).transpose()
}

pub(super) async fn login_session_by_id(
    pool: &PgPool,
    id: &LoginSessionId,
) -> Result<Option<LoginSession>, StoreError> {
    if !storable(id.as_str()) {
        return Ok(None);
    }
    let sql = concat!(
        "SELECT ",
        login_session_columns!(),
        " FROM login_sessions WHERE id = $1"
    );
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .fetch_optional(pool)
        .await
        .or_store("login session")?;
    row.as_ref().map(rows::login_session).transpose()
}

pub(super) async fn touch_login_session(
    pool: &PgPool,
    id: &LoginSessionId,
    now: Timestamp,
    idle_expires_at: Timestamp,
) -> Result<(), StoreError> {
    if !storable(id.as_str()) {
        return Ok(());
    }
    sqlx::query(concat!(
        "UPDATE login_sessions SET last_seen_at = $1, \
         idle_expires_at = LEAST($2, expires_at) WHERE id = $3 AND ",
        live!()
    ))
    .bind(now.secs())
    .bind(idle_expires_at.secs())
    .bind(id.as_str())
    .execute(pool)
    .await
    .or_store("login session")?;
    Ok(())
}

pub(super) async fn reauthenticate(
    pool: &PgPool,
    id: &LoginSessionId,
    secret_hash: &[u8],
    amr: &[String],
    acr: Option<&str>,
    now: Timestamp,
    idle_expires_at: Timestamp,
) -> Result<bool, StoreError> {
    if !storable(id.as_str()) {
        return Ok(false);
    }
    let done = sqlx::query(concat!(
        "UPDATE login_sessions SET secret_hash = $2, auth_time = $1, amr = $3, acr = $4, \
         last_seen_at = $1, idle_expires_at = LEAST($5, expires_at) WHERE id = $6 AND ",
        live!()
    ))
    .bind(now.secs())
    .bind(secret_hash)
    .bind(encode_list(amr)?)
    .bind(acr)
    .bind(idle_expires_at.secs())
    .bind(id.as_str())
    .execute(pool)
    .await
    .or_store("login session")?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn login_sessions_of(
    pool: &PgPool,
    user: &UserId,
    now: Timestamp,
) -> Result<Vec<LoginSession>, StoreError> {
    if !storable(user.as_str()) {
        return Ok(Vec::new());
    }
    let sql = concat!(
        "SELECT ",
        login_session_columns!(),
        " FROM login_sessions WHERE user_id = $2 AND ",
        live!(),
        " ORDER BY created_at, id"
    );
    let found = sqlx::query(sql)
        .bind(now.secs())
        .bind(user.as_str())
        .fetch_all(pool)
        .await
        .or_store("login session")?;
    rows::all(&found, rows::login_session)
}

pub(super) async fn note_login_client(
    pool: &PgPool,
    id: &LoginSessionId,
    client: &ClientId,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO login_session_clients (login_session_id, client_id, created_at) \
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(id.as_str())
    .bind(client.as_str())
    .bind(now.secs())
    .execute(pool)
    .await
    .or_store("login session client")?;
    Ok(())
}

pub(super) async fn login_session_clients(
    pool: &PgPool,
    id: &LoginSessionId,
) -> Result<Vec<ClientId>, StoreError> {
    if !storable(id.as_str()) {
        return Ok(Vec::new());
    }
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT client_id FROM login_session_clients WHERE login_session_id = $1 \
         ORDER BY created_at, client_id",
    )
    .bind(id.as_str())
    .fetch_all(pool)
    .await
    .or_store("login session client")?;
    Ok(found.into_iter().map(ClientId::from).collect())
}

pub(super) async fn end_login_session(
    pool: &PgPool,
    id: &LoginSessionId,
    now: Timestamp,
    notices: &[LogoutNotice],
) -> Result<bool, StoreError> {
    if !storable(id.as_str()) {
        return Ok(false);
    }
    let mut tx = begin(pool).await?;
    let ended = sqlx::query(concat!(
        "UPDATE login_sessions SET ended_at = $1 WHERE id = $2 AND ",
        live!()
    ))
    .bind(now.secs())
    .bind(id.as_str())
    .execute(&mut *tx)
    .await
    .or_store("login session")?;
    if ended.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE login_session_id = $2 AND revoked_at IS NULL",
    )
    .bind(now.secs())
    .bind(id.as_str())
    .execute(&mut *tx)
    .await
    .or_store("session")?;
    for notice in notices {
        queue_notice(&mut tx, notice).await?;
    }
    commit(tx).await?;
    Ok(true)
}

async fn queue_notice(
    conn: &mut sqlx::PgConnection,
    notice: &LogoutNotice,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO logout_outbox (id, client_id, uri, login_session_id, user_id, jti, \
         created_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(notice.id.as_str())
    .bind(notice.client_id.as_str())
    .bind(&notice.uri)
    .bind(notice.login_session_id.as_str())
    .bind(notice.user_id.as_str())
    .bind(notice.jti.as_str())
    .bind(notice.created_at.secs())
    .bind(i64::from(notice.attempts))
    .bind(notice.next_attempt_at.secs())
    .execute(conn)
    .await
    .or_store("logout notice")?;
    Ok(())
}

pub(super) async fn create_code(pool: &PgPool, code: &AuthorizationCode) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO authorization_codes (hash, client_id, redirect_uri, code_challenge, \
         user_id, login_session_id, scope, nonce, auth_time, amr, acr, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&code.hash)
    .bind(code.client_id.as_str())
    .bind(&code.redirect_uri)
    .bind(&code.code_challenge)
    .bind(code.user_id.as_str())
    .bind(code.login_session_id.as_str())
    .bind(code.scope.to_string())
    .bind(&code.nonce)
    .bind(code.auth_time.secs())
    .bind(encode_list(&code.amr)?)
    .bind(&code.acr)
    .bind(code.created_at.secs())
    .bind(code.expires_at.secs())
    .execute(pool)
    .await
    .or_store("authorization code")?;
    Ok(())
}

pub(super) async fn code_by_hash(
    pool: &PgPool,
    hash: &[u8],
    now: Timestamp,
) -> Result<Option<AuthorizationCode>, StoreError> {
    let sql = concat!(
        "SELECT ",
        code_columns!(),
        " FROM authorization_codes WHERE hash = $1 AND used_at IS NULL AND expires_at > $2"
    );
    let row = sqlx::query(sql)
        .bind(hash)
        .bind(now.secs())
        .fetch_optional(pool)
        .await
        .or_store("authorization code")?;
    row.as_ref().map(rows::code).transpose()
}

/// Exchanges a code. The conditional `UPDATE` takes the row lock: a concurrent exchange of
/// the same code waits for this transaction, then finds the code used and answers a replay.
pub(super) async fn exchange_code(
    pool: &PgPool,
    hash: &[u8],
    now: Timestamp,
    session: &Session,
    first: &RefreshRecord,
    jti: &Jti,
    exp: Timestamp,
) -> Result<CodeOutcome, StoreError> {
    let mut tx = begin(pool).await?;
    let spent = sqlx::query(concat!(
        "UPDATE authorization_codes SET used_at = $2, session_id = $3, access_jti = $4, \
         access_exp = $5 WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING ",
        code_columns!()
    ))
    .bind(hash)
    .bind(now.secs())
    .bind(session.id.as_str())
    .bind(jti.as_str())
    .bind(exp.secs())
    .fetch_optional(&mut *tx)
    .await
    .or_store("authorization code")?;
    let Some(spent) = spent else {
        let replay = sqlx::query(
            "SELECT session_id, access_jti, access_exp FROM authorization_codes \
             WHERE hash = $1 AND used_at IS NOT NULL",
        )
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await
        .or_store("authorization code")?;
        return Ok(match replay {
            Some(row) => rows::replayed(&row)?,
            None => CodeOutcome::Invalid,
        });
    };
    let code = rows::code(&spent)?;
    sessions::insert_session(&mut tx, session, first).await?;
    commit(tx).await?;
    Ok(CodeOutcome::Exchanged(Box::new(code)))
}

pub(super) async fn consent_of(
    pool: &PgPool,
    user: &UserId,
    client: &ClientId,
) -> Result<Option<Consent>, StoreError> {
    if !storable(user.as_str()) || !storable(client.as_str()) {
        return Ok(None);
    }
    let sql = concat!(
        "SELECT ",
        consent_columns!(),
        " FROM consents WHERE user_id = $1 AND client_id = $2"
    );
    let row = sqlx::query(sql)
        .bind(user.as_str())
        .bind(client.as_str())
        .fetch_optional(pool)
        .await
        .or_store("consent")?;
    row.as_ref().map(rows::consent).transpose()
}

pub(super) async fn save_consent(pool: &PgPool, consent: &Consent) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, client_id) DO UPDATE \
         SET scope = excluded.scope, granted_at = excluded.granted_at",
    )
    .bind(consent.user_id.as_str())
    .bind(consent.client_id.as_str())
    .bind(consent.scope.to_string())
    .bind(consent.granted_at.secs())
    .execute(pool)
    .await
    .or_store("consent")?;
    Ok(())
}

/// Claims due notices. `FOR UPDATE SKIP LOCKED` gives two concurrent deliverers disjoint
/// sets; the lease keeps a claimed notice from being claimed again until it runs out.
pub(super) async fn claim_logout_notices(
    pool: &PgPool,
    now: Timestamp,
    lease: Duration,
    limit: u32,
) -> Result<Vec<LogoutNotice>, StoreError> {
    let found = sqlx::query(concat!(
        "UPDATE logout_outbox SET leased_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM logout_outbox WHERE delivered_at IS NULL \
         AND gave_up_at IS NULL AND next_attempt_at <= $1 \
         AND (leased_until IS NULL OR leased_until <= $1) \
         ORDER BY next_attempt_at, created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING ",
        notice_columns!()
    ))
    .bind(now.secs())
    .bind(now.plus(lease).secs())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .or_store("logout notice")?;
    let mut claimed = rows::all(&found, rows::notice)?;
    // RETURNING gives no order: oldest first, as promised.
    claimed.sort_by_key(|notice| (notice.next_attempt_at, notice.created_at));
    Ok(claimed)
}

pub(super) async fn finish_logout_notice(
    pool: &PgPool,
    id: &NoticeId,
    outcome: &NoticeOutcome,
    now: Timestamp,
) -> Result<(), StoreError> {
    let query = match outcome {
        NoticeOutcome::Delivered => sqlx::query(
            "UPDATE logout_outbox SET delivered_at = $1, leased_until = NULL WHERE id = $2",
        )
        .bind(now.secs()),
        NoticeOutcome::RetryAt(at) => sqlx::query(
            "UPDATE logout_outbox SET next_attempt_at = $1, leased_until = NULL WHERE id = $2",
        )
        .bind(at.secs()),
        NoticeOutcome::GiveUp => sqlx::query(
            "UPDATE logout_outbox SET gave_up_at = $1, leased_until = NULL WHERE id = $2",
        )
        .bind(now.secs()),
    };
    // A notice that is gone (its client deleted meanwhile) needs nothing more.
    query
        .bind(id.as_str())
        .execute(pool)
        .await
        .or_store("logout notice")?;
    Ok(())
}

pub(super) async fn pending_logout_notices(pool: &PgPool) -> Result<Vec<LogoutNotice>, StoreError> {
    let found = sqlx::query(concat!(
        "SELECT ",
        notice_columns!(),
        " FROM logout_outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL \
         ORDER BY next_attempt_at, created_at, id"
    ))
    .fetch_all(pool)
    .await
    .or_store("logout notice")?;
    rows::all(&found, rows::notice)
}
