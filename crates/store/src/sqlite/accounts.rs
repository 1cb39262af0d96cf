//! Users and their passwords.

use tessera_core::StoreError;
use tessera_core::model::{Timestamp, User};

use super::rows::{self, user_columns};
use super::{Db, begin_immediate, commit, found};
use crate::codec::{encode_list, username_key};
use crate::error::StoreResultExt;

pub(super) async fn create_user(db: &Db, user: &User) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO users (id, username, username_key, email, roles, password_hash, disabled, \
         created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(username_key(&user.username))
    .bind(&user.email)
    .bind(encode_list(&user.roles)?)
    .bind(&user.password_hash)
    .bind(user.disabled)
    .bind(user.created_at)
    .bind(user.password_changed_at)
    .execute(&db.writer)
    .await
    .or_store("user")?;
    Ok(())
}

pub(super) async fn user_by_name(db: &Db, username: &str) -> Result<Option<User>, StoreError> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE username_key = ?"
    );
    let row = sqlx::query(sql)
        .bind(username_key(username))
        .fetch_optional(&db.reader)
        .await
        .or_store("user")?;
    row.as_ref().map(rows::user).transpose()
}

pub(super) async fn user_by_id(db: &Db, id: &str) -> Result<Option<User>, StoreError> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = ?");
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(&db.reader)
        .await
        .or_store("user")?;
    row.as_ref().map(rows::user).transpose()
}

pub(super) async fn list_users(db: &Db) -> Result<Vec<User>, StoreError> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users ORDER BY username_key, username"
    );
    let found = sqlx::query(sql)
        .fetch_all(&db.reader)
        .await
        .or_store("user")?;
    rows::all(&found, rows::user)
}

pub(super) async fn set_password(
    db: &Db,
    user_id: &str,
    hash: &str,
    now: Timestamp,
    keep_session: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = begin_immediate(db).await?;
    let updated =
        sqlx::query("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?")
            .bind(hash)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .or_store("user")?;
    found(updated.rows_affected())?;
    sqlx::query(
        "UPDATE sessions SET revoked_at = ? \
         WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ?",
    )
    .bind(now)
    .bind(user_id)
    .bind(keep_session)
    .execute(&mut *tx)
    .await
    .or_store("session")?;
    commit(tx).await
}

pub(super) async fn rehash_password(db: &Db, user_id: &str, hash: &str) -> Result<(), StoreError> {
    let updated = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(hash)
        .bind(user_id)
        .execute(&db.writer)
        .await
        .or_store("user")?;
    found(updated.rows_affected())
}

pub(super) async fn set_disabled(
    db: &Db,
    user_id: &str,
    disabled: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = begin_immediate(db).await?;
    let updated = sqlx::query("UPDATE users SET disabled = ? WHERE id = ?")
        .bind(disabled)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .or_store("user")?;
    found(updated.rows_affected())?;
    if disabled {
        sqlx::query("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .or_store("session")?;
    }
    commit(tx).await
}

/// Deletes the user; their sessions and refresh tokens go with them (`ON DELETE CASCADE`).
pub(super) async fn delete_user(db: &Db, user_id: &str) -> Result<(), StoreError> {
    let deleted = sqlx::query("DELETE FROM users WHERE id = ?")
        .bind(user_id)
        .execute(&db.writer)
        .await
        .or_store("user")?;
    found(deleted.rows_affected())
}
