//! Where a SQLite store lives, from a `sqlite:` URL or a file path. URLs are read as sqlx's
//! `SqliteConnectOptions::from_str` read them when earlier versions opened the store with it,
//! so the same ones are accepted (`sqlite:PATH`, `sqlite://PATH`, `sqlite::memory:`, the
//! query parameters `mode`, `cache`, `immutable` and `vfs`) and refused, with the same
//! messages. Only the file and whether the database is in memory are used: the store's own
//! connection is always read-write, and the file is created when missing.

use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;
use tessera_core::StoreError;

/// A database to open.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(super) enum Target {
    /// A private in-memory database, made afresh by each open.
    Memory,
    /// A database file.
    File(PathBuf),
}

impl Target {
    /// Reads a `sqlite:` URL or a file path; any other `scheme://…` is refused.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] for a URL that is not SQLite's or that SQLite's rules
    /// refuse: an unknown query parameter or value, a path that is not UTF-8 once decoded.
    pub(super) fn parse(url_or_path: &str) -> Result<Self, StoreError> {
        if url_or_path.starts_with("sqlite:") {
            return from_url(url_or_path);
        }
        if has_url_scheme(url_or_path) {
            return Err(StoreError::Unavailable("not a sqlite: URL".into()));
        }
        Ok(Self::from_path(Path::new(url_or_path)))
    }

    /// A file path, or `:memory:` for an in-memory database.
    pub(super) fn from_path(path: &Path) -> Self {
        if path == Path::new(":memory:") {
            Self::Memory
        } else {
            Self::File(path.to_path_buf())
        }
    }
}

/// True for `scheme://…`: a URL, not a path, and (not starting with `sqlite:`) not ours.
fn has_url_scheme(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// `sqlite:PATH[?QUERY]` or `sqlite://PATH[?QUERY]`, in sqlx's order: the path is decoded
/// (`%3F` for a `?` in a file name) unless it is `:memory:`, then each parameter is checked.
fn from_url(url: &str) -> Result<Target, StoreError> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut memory = database == ":memory:";
    let path = if memory {
        PathBuf::new()
    } else {
        let decoded = percent_decode_str(database)
            .decode_utf8()
            .map_err(configuration)?;
        PathBuf::from(decoded.as_ref())
    };
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        memory |= asks_for_memory(&key, &value)?;
    }
    Ok(if memory {
        Target::Memory
    } else {
        Target::File(path)
    })
}

/// Checks one query parameter; true for `mode=memory`.
fn asks_for_memory(key: &str, value: &str) -> Result<bool, StoreError> {
    let known = match key {
        "mode" => ["ro", "rw", "rwc", "memory"].contains(&value),
        "cache" => ["private", "shared"].contains(&value),
        "immutable" => ["true", "1", "false", "0"].contains(&value),
        "vfs" => true,
        _ => {
            return Err(configuration(format!(
                "unknown query parameter `{key}` while parsing connection URL"
            )));
        }
    };
    if !known {
        return Err(configuration(format!(
            "unknown value {value:?} for `{key}`"
        )));
    }
    Ok(key == "mode" && value == "memory")
}

/// A URL refused, worded as sqlx words it.
fn configuration(why: impl std::fmt::Display) -> StoreError {
    StoreError::unavailable(format!("error with configuration: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Result<Target, StoreError> {
        Ok(Target::File(PathBuf::from(path)))
    }

    #[test]
    fn urls_and_paths_name_files() {
        assert_eq!(Target::parse("sqlite://data/t.db"), file("data/t.db"));
        assert_eq!(Target::parse("sqlite:///var/t.db"), file("/var/t.db"));
        assert_eq!(Target::parse("sqlite:t.db"), file("t.db"));
        assert_eq!(Target::parse("sqlite://a%3Fb%20c.db"), file("a?b c.db"));
        assert_eq!(Target::parse("data/t.db"), file("data/t.db"));
        assert_eq!(Target::parse("C:\\t.db"), file("C:\\t.db"));
        let params = "sqlite://t.db?mode=rwc&cache=shared&immutable=0&vfs=unix-none";
        assert_eq!(Target::parse(params), file("t.db"));
        assert_eq!(Target::parse("sqlite://t.db?mode=ro"), file("t.db"));
    }

    #[test]
    fn memory_forms_name_a_private_database() {
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite://t.db?mode=memory&cache=private",
            ":memory:",
        ] {
            assert_eq!(Target::parse(url), Ok(Target::Memory), "{url}");
        }
    }

    #[test]
    fn bad_urls_are_unavailable_with_sqlx_words() {
        let cases = [
            (
                "sqlite://x.db?mode=sideways",
                "error with configuration: unknown value \"sideways\" for `mode`",
            ),
            (
                "sqlite://x.db?cache=none",
                "error with configuration: unknown value \"none\" for `cache`",
            ),
            (
                "sqlite://x.db?immutable=yes",
                "error with configuration: unknown value \"yes\" for `immutable`",
            ),
            (
                "sqlite://x.db?journal=wal",
                "error with configuration: unknown query parameter `journal` while parsing \
                 connection URL",
            ),
            (
                "sqlite://%FF.db",
                "error with configuration: invalid utf-8 sequence of 1 bytes from index 0",
            ),
            ("postgres://localhost/tessera", "not a sqlite: URL"),
        ];
        for (url, why) in cases {
            assert_eq!(
                Target::parse(url),
                Err(StoreError::Unavailable(why.into())),
                "{url}"
            );
        }
    }
}
