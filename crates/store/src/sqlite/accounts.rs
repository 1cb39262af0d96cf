//! Users and their passwords.

use rusqlite::{Connection, params};
use tessera_core::StoreError;
use tessera_core::model::{SessionId, Timestamp, User, UserId};

use super::cache::Cache;
use super::rows::{self, user_columns};
use super::{exec, found, many, optional};
use crate::codec::{UserRange, decode_list, encode_list, role_pattern, username_key};

pub(super) fn create_user(conn: &Connection, user: &User) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO users (id, username, username_key, email, roles, password_hash, disabled, \
         created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            user.id.as_str(),
            user.username,
            username_key(&user.username),
            user.email,
            encode_list(&user.roles)?,
            user.password_hash,
            user.disabled,
            user.created_at.secs(),
            user.password_changed_at.secs(),
        ],
        "user",
    )?;
    Ok(())
}

pub(super) fn user_by_name(conn: &Connection, username: &str) -> Result<Option<User>, StoreError> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE username_key = ?"
    );
    optional(conn, sql, [username_key(username)], "user", rows::user)
}

pub(super) fn user_by_id(conn: &Connection, id: &UserId) -> Result<Option<User>, StoreError> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = ?");
    optional(conn, sql, [id.as_str()], "user", rows::user)
}

pub(super) fn list_users(conn: &Connection) -> Result<Vec<User>, StoreError> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users ORDER BY username_key, username"
    );
    many(conn, sql, [], "user", rows::user)
}

/// Accounts read a page at a time while looking for another holder of a role.
const ROLE_SCAN_PAGE: i64 = 200;

pub(super) fn someone_else_has_role(
    conn: &Connection,
    role: &str,
    except: &UserId,
) -> Result<bool, StoreError> {
    let pattern = role_pattern(role)?;
    let mut after = String::new();
    loop {
        let page: Vec<(String, String)> = many(
            conn,
            "SELECT id, roles FROM users WHERE id > ? AND id <> ? AND disabled = 0 \
             AND roles LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
            params![after, except.as_str(), pattern, ROLE_SCAN_PAGE],
            "user",
            rows::id_and_roles,
        )?;
        for (_, roles) in &page {
            if decode_list::<String>(roles, "roles")?
                .iter()
                .any(|r| r == role)
            {
                return Ok(true);
            }
        }
        match page.last() {
            Some((id, _)) if page.len() as i64 == ROLE_SCAN_PAGE => after.clone_from(id),
            _ => return Ok(false),
        }
    }
}

/// The users of a username search (see [`UserRange`]), by folded username.
pub(super) fn search_users(conn: &Connection, range: &UserRange) -> Result<Vec<User>, StoreError> {
    let after = range.after.as_deref().unwrap_or("");
    let limit = i64::from(range.limit);
    match &range.to {
        Some(to) => {
            let sql = concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE username_key >= ? AND username_key < ? AND username_key > ? \
                 ORDER BY username_key LIMIT ?"
            );
            many(
                conn,
                sql,
                params![range.from, to, after, limit],
                "user",
                rows::user,
            )
        }
        None => {
            let sql = concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE username_key >= ? AND username_key > ? \
                 ORDER BY username_key LIMIT ?"
            );
            many(
                conn,
                sql,
                params![range.from, after, limit],
                "user",
                rows::user,
            )
        }
    }
}

pub(super) fn set_password(
    conn: &Connection,
    cache: &Cache,
    user_id: &UserId,
    hash: &str,
    now: Timestamp,
    keep_session: Option<&SessionId>,
) -> Result<(), StoreError> {
    cache.forget_user(user_id.as_str());
    cache.forget_sessions();
    let updated = exec(
        conn,
        "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
        params![hash, now.secs(), user_id.as_str()],
        "user",
    )?;
    found(updated)?;
    exec(
        conn,
        "UPDATE sessions SET revoked_at = ? \
         WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ?",
        params![
            now.secs(),
            user_id.as_str(),
            keep_session.map(SessionId::as_str)
        ],
        "session",
    )?;
    Ok(())
}

pub(super) fn rehash_password(
    conn: &Connection,
    cache: &Cache,
    user_id: &UserId,
    hash: &str,
) -> Result<(), StoreError> {
    cache.forget_user(user_id.as_str());
    let updated = exec(
        conn,
        "UPDATE users SET password_hash = ? WHERE id = ?",
        params![hash, user_id.as_str()],
        "user",
    )?;
    found(updated)
}

pub(super) fn set_disabled(
    conn: &Connection,
    cache: &Cache,
    user_id: &UserId,
    disabled: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    cache.forget_user(user_id.as_str());
    cache.forget_sessions();
    let updated = exec(
        conn,
        "UPDATE users SET disabled = ? WHERE id = ?",
        params![disabled, user_id.as_str()],
        "user",
    )?;
    found(updated)?;
    if disabled {
        exec(
            conn,
            "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            params![now.secs(), user_id.as_str()],
            "session",
        )?;
    }
    Ok(())
}

pub(super) fn set_roles(
    conn: &Connection,
    cache: &Cache,
    user_id: &UserId,
    roles: &[String],
) -> Result<(), StoreError> {
    cache.forget_user(user_id.as_str());
    let updated = exec(
        conn,
        "UPDATE users SET roles = ? WHERE id = ?",
        params![encode_list(roles)?, user_id.as_str()],
        "user",
    )?;
    found(updated)
}

/// Deletes the user; their sessions and refresh tokens go with them (`ON DELETE CASCADE`).
pub(super) fn delete_user(
    conn: &Connection,
    cache: &Cache,
    user_id: &UserId,
) -> Result<(), StoreError> {
    cache.forget_user(user_id.as_str());
    // Their sessions go too: none may still be served from the cache.
    cache.forget_sessions();
    found(exec(
        conn,
        "DELETE FROM users WHERE id = ?",
        [user_id.as_str()],
        "user",
    )?)
}
