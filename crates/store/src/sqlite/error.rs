//! Translation of [`rusqlite::Error`] into [`StoreError`], as `crate::error` does for sqlx.

use rusqlite::ErrorCode;
use rusqlite::ffi;
use tessera_core::StoreError;
use tessera_core::error::Cause;

/// Adds [`SqlResultExt::or_store`] to rusqlite results.
pub(super) trait SqlResultExt<T> {
    /// Maps the error into domain words; `what` names the record for a conflict message.
    fn or_store(self, what: &'static str) -> Result<T, StoreError>;
}

impl<T> SqlResultExt<T> for rusqlite::Result<T> {
    fn or_store(self, what: &'static str) -> Result<T, StoreError> {
        self.map_err(|err| from_rusqlite(err, what))
    }
}

/// Maps a rusqlite error: unique violation to `Conflict`, a missing referenced record to
/// `NotFound`, data that does not decode and a damaged file to `Corrupt`, and anything
/// about reaching the database (I/O, busy, locked, full) to `Unavailable`.
pub(super) fn from_rusqlite(err: rusqlite::Error, what: &'static str) -> StoreError {
    match &err {
        rusqlite::Error::SqliteFailure(failure, _) => from_failure(*failure, err, what),
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::InvalidColumnIndex(_)
        | rusqlite::Error::InvalidColumnName(_)
        | rusqlite::Error::Utf8Error(..) => StoreError::Corrupt(Cause::new(err)),
        _ => StoreError::Unavailable(Cause::new(err)),
    }
}

fn from_failure(failure: ffi::Error, err: rusqlite::Error, what: &'static str) -> StoreError {
    match failure.code {
        ErrorCode::ConstraintViolation => match failure.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                StoreError::Conflict(what.to_owned())
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::NotFound,
            _ => StoreError::Corrupt(Cause::new(err)),
        },
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
            StoreError::Corrupt(Cause::new(err))
        }
        _ => StoreError::Unavailable(Cause::new(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(extended_code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(extended_code), None)
    }

    #[test]
    fn sqlite_failures_map_to_domain_words() {
        let unique = from_rusqlite(failure(ffi::SQLITE_CONSTRAINT_UNIQUE), "user");
        assert_eq!(unique, StoreError::Conflict("user".into()));
        let foreign = from_rusqlite(failure(ffi::SQLITE_CONSTRAINT_FOREIGNKEY), "user");
        assert_eq!(foreign, StoreError::NotFound);
        let check = from_rusqlite(failure(ffi::SQLITE_CONSTRAINT_CHECK), "user");
        assert!(matches!(check, StoreError::Corrupt(_)));
        let corrupt = from_rusqlite(failure(ffi::SQLITE_CORRUPT), "user");
        assert!(matches!(corrupt, StoreError::Corrupt(_)));
        let busy = from_rusqlite(failure(ffi::SQLITE_BUSY), "user");
        assert!(matches!(busy, StoreError::Unavailable(_)));
        let cause = std::error::Error::source(&busy).expect("the cause is the source");
        assert!(cause.to_string().contains("locked"), "{cause}");
        let full = from_rusqlite(failure(ffi::SQLITE_FULL), "user");
        assert!(matches!(full, StoreError::Unavailable(_)));
    }

    #[test]
    fn row_errors_map_to_domain_words() {
        let none = from_rusqlite(rusqlite::Error::QueryReturnedNoRows, "user");
        assert_eq!(none, StoreError::NotFound);
        let column =
            rusqlite::Error::InvalidColumnType(0, "id".into(), rusqlite::types::Type::Integer);
        assert!(matches!(
            from_rusqlite(column, "user"),
            StoreError::Corrupt(_)
        ));
    }
}
