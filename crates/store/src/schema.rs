//! Schema migrations, as `tessera migrate` reports them: which ones this build ships, and
//! which ones a database still lacks. Both backends keep sqlx's bookkeeping table
//! (`_sqlx_migrations`, written by sqlx on PostgreSQL and by [`crate::sqlite`] on SQLite);
//! the rules for reading it are the same on each.

use std::collections::HashMap;

use sqlx::migrate::Migrator;
use tessera_core::StoreError;

/// One schema migration shipped in this build (`migrations/<backend>/NNNN_description.sql`).
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Migration {
    /// Its number, the same on every backend.
    pub version: i64,
    /// What it does, from its file name.
    pub description: String,
}

/// A row of the bookkeeping table.
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    version: i64,
    success: bool,
    checksum: Vec<u8>,
}

impl From<(i64, bool, Vec<u8>)> for Applied {
    fn from((version, success, checksum): (i64, bool, Vec<u8>)) -> Self {
        Self {
            version,
            success,
            checksum,
        }
    }
}

/// One migration a build ships, as the bookkeeping knows it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shipped<'a> {
    /// Its number, from its file name.
    pub(crate) version: i64,
    /// What it does, from its file name.
    pub(crate) description: &'a str,
    /// sqlx's checksum of it: the SHA-384 of its SQL.
    pub(crate) checksum: &'a [u8],
}

/// The migrations a build ships for one backend.
pub(crate) trait Migrations {
    /// Every migration that brings the schema forward, oldest first.
    fn shipped(&self) -> Vec<Shipped<'_>>;
}

/// PostgreSQL's, embedded by `sqlx::migrate!`.
impl Migrations for Migrator {
    fn shipped(&self) -> Vec<Shipped<'_>> {
        self.iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| Shipped {
                version: m.version,
                description: &m.description,
                checksum: &m.checksum,
            })
            .collect()
    }
}

/// The migrations of `migrations` that `applied` lacks, oldest first.
///
/// # Errors
///
/// [`StoreError::Corrupt`] when the database cannot be brought up to date by this build: a
/// migration failed part-way, one was applied that this build does not know (a newer
/// version migrated it), or one was changed after it was applied.
pub(crate) fn pending(
    migrations: &(impl Migrations + ?Sized),
    applied: &[Applied],
) -> Result<Vec<Migration>, StoreError> {
    let shipped = migrations.shipped();
    let ours: HashMap<i64, &[u8]> = shipped.iter().map(|m| (m.version, m.checksum)).collect();
    for row in applied {
        check_applied(row, ours.get(&row.version).copied())?;
    }
    let done: Vec<i64> = applied.iter().map(|row| row.version).collect();
    Ok(shipped
        .iter()
        .filter(|m| !done.contains(&m.version))
        .map(|m| Migration {
            version: m.version,
            description: m.description.to_owned(),
        })
        .collect())
}

fn check_applied(row: &Applied, ours: Option<&[u8]>) -> Result<(), StoreError> {
    let version = row.version;
    if !row.success {
        return Err(StoreError::corrupt(format!(
            "migration {version} failed part-way; restore the database from a backup"
        )));
    }
    match ours {
        None => Err(StoreError::corrupt(format!(
            "migration {version} is unknown to this version: a newer Tessera migrated this \
             database"
        ))),
        Some(checksum) if checksum != row.checksum.as_slice() => Err(StoreError::corrupt(format!(
            "migration {version} was changed after it was applied"
        ))),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration as SqlxMigration, MigrationType};

    use super::*;

    fn migrator() -> Migrator {
        let migration = |version, sql: &'static str| {
            SqlxMigration::new(
                version,
                Cow::Owned(format!("step {version}")),
                MigrationType::Simple,
                sqlx::AssertSqlSafe(sql).into_sql_str(),
                false,
            )
        };
        Migrator::with_migrations(vec![migration(1, "SELECT 1"), migration(2, "SELECT 2")])
    }

    fn applied(migrator: &Migrator, version: i64) -> Applied {
        let found = migrator
            .iter()
            .find(|m| m.version == version)
            .expect("known");
        Applied::from((version, true, found.checksum.to_vec()))
    }

    #[test]
    fn lists_what_is_not_applied() {
        let migrator = migrator();
        let all = pending(&migrator, &[]).expect("all pending");
        assert_eq!(all.iter().map(|m| m.version).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(all[0].description, "step 1");
        let one = pending(&migrator, &[applied(&migrator, 1)]).expect("one pending");
        assert_eq!(one.iter().map(|m| m.version).collect::<Vec<_>>(), [2]);
        let none = [applied(&migrator, 1), applied(&migrator, 2)];
        assert!(pending(&migrator, &none).expect("none").is_empty());
    }

    #[test]
    fn refuses_failed_unknown_or_changed_migrations() {
        let migrator = migrator();
        let failed = Applied::from((1, false, applied(&migrator, 1).checksum));
        let newer = Applied::from((3, true, vec![0]));
        let changed = Applied::from((2, true, vec![0]));
        for (row, needle) in [
            (failed, "failed part-way"),
            (newer, "newer Tessera"),
            (changed, "changed after"),
        ] {
            match pending(&migrator, &[row]) {
                Err(StoreError::Corrupt(why)) => {
                    assert!(why.to_string().contains(needle), "{why}");
                }
                other => panic!("{needle}: {other:?}"),
            }
        }
    }
}
