//! Users and their passwords.

use sqlx::PgPool;
use tessera_core::StoreError;
use tessera_core::model::{SessionId, Timestamp, User, UserId};

use super::rows::{self, user_columns};
use super::{begin, commit, found, storable};
use crate::codec::{UserRange, decode_list, encode_list, role_pattern, username_key};
use crate::error::StoreResultExt;

pub(super) async fn create_user(pool: &PgPool, user: &User) -> Result<(), StoreError> {
    insert(pool, user).await
}

/// Inserts one user row.
pub(super) async fn insert<'c, E>(executor: E, user: &User) -> Result<(), StoreError>
where
    E: sqlx::PgExecutor<'c>,
{
    sqlx::query(
        "INSERT INTO users (id, username, username_key, email, roles, password_hash, disabled, \
         created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(user.id.as_str())
    .bind(&user.username)
    .bind(username_key(&user.username))
    .bind(&user.email)
    .bind(encode_list(&user.roles)?)
    .bind(&user.password_hash)
    .bind(user.disabled)
    .bind(user.created_at.secs())
    .bind(user.password_changed_at.secs())
    .execute(executor)
    .await
    .or_store("user")?;
    Ok(())
}

pub(super) async fn user_by_name(
    pool: &PgPool,
    username: &str,
) -> Result<Option<User>, StoreError> {
    if !storable(username) {
        return Ok(None);
    }
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE username_key = $1"
    );
    let row = sqlx::query(sql)
        .bind(username_key(username))
        .fetch_optional(pool)
        .await
        .or_store("user")?;
    row.as_ref().map(rows::user).transpose()
}

pub(super) async fn user_by_id(pool: &PgPool, id: &UserId) -> Result<Option<User>, StoreError> {
    if !storable(id.as_str()) {
        return Ok(None);
    }
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .fetch_optional(pool)
        .await
        .or_store("user")?;
    row.as_ref().map(rows::user).transpose()
}

pub(super) async fn list_users(pool: &PgPool) -> Result<Vec<User>, StoreError> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users ORDER BY username_key, username"
    );
    let found = sqlx::query(sql).fetch_all(pool).await.or_store("user")?;
    rows::all(&found, rows::user)
}

/// Accounts read a page at a time while looking for another holder of a role.
const ROLE_SCAN_PAGE: i64 = 200;

pub(super) async fn someone_else_has_role(
    pool: &PgPool,
    role: &str,
    except: &UserId,
) -> Result<bool, StoreError> {
    if !storable(role) {
        return Ok(false);
    }
    let pattern = role_pattern(role)?;
    let except = if storable(except.as_str()) {
        except.as_str()
    } else {
        ""
    };
    let mut after = String::new();
    loop {
        let page: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, roles FROM users WHERE id > $1 AND id <> $2 AND NOT disabled \
             AND roles LIKE $3 ESCAPE '\\' ORDER BY id LIMIT $4",
        )
        .bind(&after)
        .bind(except)
        .bind(&pattern)
        .bind(ROLE_SCAN_PAGE)
        .fetch_all(pool)
        .await
        .or_store("user")?;
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

/// The users of a username search (see [`UserRange`]), by folded username (the column
/// sorts in the "C" collation: code point order, as the range is computed).
pub(super) async fn search_users(pool: &PgPool, range: UserRange) -> Result<Vec<User>, StoreError> {
    let after = range.after.clone().unwrap_or_default();
    if !storable(&range.from) || !storable(&after) {
        return Ok(Vec::new());
    }
    // Two statements rather than one with `($3 IS NULL OR username_key < $3)`: a generic
    // plan of that one (PostgreSQL may choose one after five runs of a prepared statement)
    // keeps the upper bound as a filter, and a prefix that matches little reads the index
    // to its end (0.6 s at a million users); here every bound is an index condition.
    let query = match range.to.as_deref() {
        Some(to) => sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE username_key >= $1 AND username_key > $2 \
             AND username_key < $3 ORDER BY username_key LIMIT $4"
        ))
        .bind(&range.from)
        .bind(after)
        .bind(to)
        .bind(i64::from(range.limit)),
        None => sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE username_key >= $1 AND username_key > $2 \
             ORDER BY username_key LIMIT $3"
        ))
        .bind(&range.from)
        .bind(after)
        .bind(i64::from(range.limit)),
    };
    let found = query.fetch_all(pool).await.or_store("user")?;
    rows::all(&found, rows::user)
}

pub(super) async fn set_password(
    pool: &PgPool,
    user_id: &UserId,
    hash: &str,
    now: Timestamp,
    keep_session: Option<&SessionId>,
) -> Result<(), StoreError> {
    if !storable(user_id.as_str()) {
        return Err(StoreError::NotFound);
    }
    // No session id holds a NUL, so such a `keep_session` keeps nothing.
    let keep_session = keep_session
        .map(SessionId::as_str)
        .filter(|id| storable(id));
    let mut tx = begin(pool).await?;
    let updated =
        sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now.secs())
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .or_store("user")?;
    found(updated.rows_affected())?;
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE user_id = $2 AND revoked_at IS NULL AND id IS DISTINCT FROM $3",
    )
    .bind(now.secs())
    .bind(user_id.as_str())
    .bind(keep_session)
    .execute(&mut *tx)
    .await
    .or_store("session")?;
    commit(tx).await
}

pub(super) async fn rehash_password(
    pool: &PgPool,
    user_id: &UserId,
    hash: &str,
) -> Result<(), StoreError> {
    if !storable(user_id.as_str()) {
        return Err(StoreError::NotFound);
    }
    let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id.as_str())
        .execute(pool)
        .await
        .or_store("user")?;
    found(updated.rows_affected())
}

pub(super) async fn set_disabled(
    pool: &PgPool,
    user_id: &UserId,
    disabled: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    if !storable(user_id.as_str()) {
        return Err(StoreError::NotFound);
    }
    let mut tx = begin(pool).await?;
    let updated = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(disabled)
        .bind(user_id.as_str())
        .execute(&mut *tx)
        .await
        .or_store("user")?;
    found(updated.rows_affected())?;
    if disabled {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now.secs())
        .bind(user_id.as_str())
        .execute(&mut *tx)
        .await
        .or_store("session")?;
    }
    commit(tx).await
}

pub(super) async fn set_roles(
    pool: &PgPool,
    user_id: &UserId,
    roles: &[String],
) -> Result<(), StoreError> {
    if !storable(user_id.as_str()) {
        return Err(StoreError::NotFound);
    }
    let updated = sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
        .bind(encode_list(roles)?)
        .bind(user_id.as_str())
        .execute(pool)
        .await
        .or_store("user")?;
    found(updated.rows_affected())
}

/// Deletes the user; their sessions and refresh tokens go with them (`ON DELETE CASCADE`).
pub(super) async fn delete_user(pool: &PgPool, user_id: &UserId) -> Result<(), StoreError> {
    if !storable(user_id.as_str()) {
        return Err(StoreError::NotFound);
    }
    let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user_id.as_str())
        .execute(pool)
        .await
        .or_store("user")?;
    found(deleted.rows_affected())
}
