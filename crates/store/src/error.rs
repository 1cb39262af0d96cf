//! Translation of [`sqlx::Error`] into [`StoreError`]: no sqlx type leaves this crate.

use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::MigrateError;
use tessera_core::StoreError;
use tessera_core::error::Cause;

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

/// Names the record behind a conflict (`user alice`, `signing key k1`), as an import reports
/// it; other errors pass unchanged.
pub(crate) fn named_conflict<'a>(
    kind: &'static str,
    name: &'a str,
) -> impl FnOnce(StoreError) -> StoreError + 'a {
    move |err| match err {
        StoreError::Conflict(_) => StoreError::Conflict(format!("{kind} {name}")),
        other => other,
    }
}

/// Maps a migration failure: trouble reaching the database stays `Unavailable`; a schema
/// this version does not know (newer, or changed after it was applied) is `Corrupt`.
pub(crate) fn from_migrate(err: MigrateError) -> StoreError {
    match err {
        MigrateError::Execute(err) | MigrateError::ExecuteMigration(err, _) => {
            match from_sqlx(err, "schema") {
                StoreError::Unavailable(why) => StoreError::Unavailable(why),
                StoreError::Corrupt(why) => StoreError::Corrupt(why),
                other => StoreError::corrupt(format!("migration failed: {other}")),
            }
        }
        other => StoreError::Corrupt(Cause::new(other)),
    }
}

/// Maps a sqlx error: unique violation to `Conflict`, a missing referenced record to
/// `NotFound`, data that does not decode to `Corrupt`, and anything about reaching the
/// database (pool timeout, I/O, busy or locked) to `Unavailable`.
pub(crate) fn from_sqlx(err: sqlx::Error, what: &'static str) -> StoreError {
    match err {
        sqlx::Error::Database(db) => from_database(db, what),
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::Decode(_)
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::Migrate(_) => StoreError::Corrupt(Cause::new(err)),
        other => StoreError::Unavailable(Cause::new(other)),
    }
}

fn from_database(db: Box<dyn DatabaseError>, what: &'static str) -> StoreError {
    let corrupt = match db.kind() {
        ErrorKind::UniqueViolation => return StoreError::Conflict(what.to_owned()),
        ErrorKind::ForeignKeyViolation => return StoreError::NotFound,
        ErrorKind::NotNullViolation | ErrorKind::CheckViolation => true,
        _ => is_corruption(db.as_ref()),
    };
    let cause = Cause::new(sqlx::Error::Database(db));
    if corrupt {
        StoreError::Corrupt(cause)
    } else {
        StoreError::Unavailable(cause)
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
        match from_sqlx(io.into(), "user") {
            StoreError::Unavailable(cause) => assert!(cause.to_string().contains("disk gone")),
            other => panic!("{other:?}"),
        }
        let decode = sqlx::Error::Decode("bad".into());
        let corrupt = from_sqlx(decode, "user");
        assert!(matches!(corrupt, StoreError::Corrupt(_)));
        let source = std::error::Error::source(&corrupt).expect("the cause is the source");
        assert!(source.to_string().contains("bad"), "{source}");
    }
}
