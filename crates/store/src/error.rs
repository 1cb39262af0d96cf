//! Translation of [`sqlx::Error`] into [`StoreError`]: no sqlx type leaves this crate.

use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::MigrateError;
use tessera_core::StoreError;

/// Adds [`StoreResultExt::or_store`] to sqlx results.
pub(crate) trait StoreResultExt<T> {
    /// Maps the error into domain words; `what` names the record for a conflict message.
    fn or_store(self, what: &'static str) -> Result<T, StoreError>;
}

impl<T> StoreResultExt<T> for Result<T, sqlx::Error> {
    fn or_store(self, what: &'static str) -> Result<T, StoreError> {
        self.map_err(|err| from_sqlx(err, what))
    }
}

/// Maps a migration failure: trouble reaching the database stays `Unavailable`; a schema
/// this version does not know (newer, or changed after it was applied) is `Corrupt`.
pub(crate) fn from_migrate(err: MigrateError) -> StoreError {
    match err {
        MigrateError::Execute(err) | MigrateError::ExecuteMigration(err, _) => {
            match from_sqlx(err, "schema") {
                StoreError::Unavailable(why) => StoreError::Unavailable(why),
                other => StoreError::Corrupt(format!("migration failed: {other}")),
            }
        }
        other => StoreError::Corrupt(format!("migration failed: {other}")),
    }
}

/// Maps a sqlx error: unique violation to `Conflict`, a missing referenced record to
/// `NotFound`, data that does not decode to `Corrupt`, and anything about reaching the
/// database (pool timeout, I/O, busy or locked) to `Unavailable`.
pub(crate) fn from_sqlx(err: sqlx::Error, what: &'static str) -> StoreError {
    match err {
        sqlx::Error::Database(db) => from_database(db.as_ref(), what),
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::Decode(_)
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(err.to_string()),
        sqlx::Error::Migrate(err) => StoreError::Corrupt(format!("migration failed: {err}")),
        other => StoreError::Unavailable(other.to_string()),
    }
}

fn from_database(db: &dyn DatabaseError, what: &'static str) -> StoreError {
    match db.kind() {
        ErrorKind::UniqueViolation => StoreError::Conflict(what.to_owned()),
        ErrorKind::ForeignKeyViolation => StoreError::NotFound,
        ErrorKind::NotNullViolation | ErrorKind::CheckViolation => {
            StoreError::Corrupt(db.message().to_owned())
        }
        _ if is_corruption(db) => StoreError::Corrupt(db.message().to_owned()),
        _ => StoreError::Unavailable(db.message().to_owned()),
    }
}

/// SQLite's `SQLITE_CORRUPT` (11) and `SQLITE_NOTADB` (26), whatever their extended code;
/// PostgreSQL's `data_corrupted` and `index_corrupted` (class XX).
fn is_corruption(db: &dyn DatabaseError) -> bool {
    let Some(code) = db.code() else {
        return false;
    };
    match code.parse::<i32>() {
        Ok(extended) => matches!(extended & 0xff, 11 | 26),
        Err(_) => matches!(&*code, "XX001" | "XX002"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_row_errors_map_to_domain_words() {
        assert!(matches!(
            from_sqlx(sqlx::Error::PoolTimedOut, "user"),
            StoreError::Unavailable(_)
        ));
        assert_eq!(
            from_sqlx(sqlx::Error::RowNotFound, "user"),
            StoreError::NotFound
        );
        let io = std::io::Error::other("disk gone");
        assert!(matches!(
            from_sqlx(io.into(), "user"),
            StoreError::Unavailable(_)
        ));
        let decode = sqlx::Error::Decode("bad".into());
        assert!(matches!(from_sqlx(decode, "user"), StoreError::Corrupt(_)));
    }
}
