//! Errors in domain words. Storage errors arrive here already translated.

use std::fmt;

/// A storage failure, in domain words.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum StoreError {
    /// The record does not exist.
    NotFound,
    /// A unique value (username, id) is already taken.
    Conflict(String),
    /// The database cannot be reached or is overloaded; the caller may retry later.
    Unavailable(String),
    /// Stored data is not what this version expects (a bug or a bad migration).
    Corrupt(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => write!(f, "not found"),
            Self::Conflict(what) => write!(f, "{what} already exists"),
            Self::Unavailable(why) => write!(f, "database unavailable: {why}"),
            Self::Corrupt(why) => write!(f, "stored data is corrupt: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}
