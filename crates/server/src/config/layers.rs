//! The layers of configuration merged into one TOML table, and a reader that takes typed
//! values out of it, naming the key in every error and refusing keys nobody reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::{Table, Value};

use super::duration;
use super::error::{ConfigError, shown};

/// Where the settings came from, to point at the source of an unknown key.
#[derive(Debug, Default)]
pub(super) struct Origins {
    /// The config file and its text.
    file: Option<(PathBuf, String)>,
    /// Dotted keys set by environment variables, with the variable's name.
    env: BTreeMap<String, String>,
}

/// The `TESSERA_` variables that are not `SECTION__KEY` settings.
const PLAIN_VARIABLES: [&str; 5] = [
    "TESSERA_CONFIG",
    "TESSERA_DATA_DIR",
    "TESSERA_DATABASE_URL",
    "TESSERA_MASTER_KEY",
    "TESSERA_MASTER_KEY_FILE",
];

/// Refuses a `TESSERA_` variable that is neither a plain variable nor a `SECTION__KEY`
/// setting (one underscore where two were meant, say), instead of ignoring it. Variables
/// under `TESSERA_TEST_` belong to the test suites.
pub(super) fn check_env_names(env: &[(String, String)]) -> Result<(), ConfigError> {
    for (name, _) in env {
        let Some(rest) = name.strip_prefix("TESSERA_") else {
            continue;
        };
        if rest.contains("__")
            || PLAIN_VARIABLES.contains(&name.as_str())
            || rest.starts_with("TEST_")
        {
            continue;
        }
        let hint = match nearest(name, PLAIN_VARIABLES.iter().copied()) {
            Some(near) => format!("did you mean {near}?"),
            None => "settings are TESSERA_SECTION__KEY, with two underscores \
                     (TESSERA_TOKENS__ACCESS_TTL)"
                .to_owned(),
        };
        return Err(ConfigError::other(format!(
            "the environment variable {} is not a Tessera setting; {hint}",
            shown_name(name)
        )));
    }
    Ok(())
}

/// A variable name made safe to echo.
fn shown_name(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_graphic)
        .take(80)
        .collect()
}

/// Reads and parses the TOML file at `path`, remembering its text in `origins`.
pub(super) fn read_file(path: &Path, origins: &mut Origins) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        ConfigError::other(format!(
            "cannot read the config file {}: {err}; check --config or TESSERA_CONFIG",
            path.display()
        ))
    })?;
    origins.file = Some((path.to_owned(), text.clone()));
    text.parse::<Table>().map_err(|err| {
        ConfigError::other(format!(
            "the config file {} is not valid TOML: {}",
            path.display(),
            err.to_string().lines().collect::<Vec<_>>().join(" ")
        ))
    })
}

/// Sets the value at a dotted `key`, creating tables on the way (a non-table in the way is
/// replaced: the later layer wins).
pub(super) fn set(table: &mut Table, key: &str, value: Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut here = table;
    for part in parts {
        let entry = here
            .entry(part.to_owned())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(next) = entry else { return };
        here = next;
    }
    here.insert(last.to_owned(), value);
}

/// Overlays the `TESSERA_SECTION__KEY` variables of `env` on `table` (as strings; the reader
/// converts them). Variables without `__` are not settings and are skipped.
pub(super) fn overlay_env(table: &mut Table, env: &[(String, String)], origins: &mut Origins) {
    for (name, value) in env {
        if let Some(key) = env_key(name) {
            set(table, &key, Value::String(value.clone()));
            origins.env.insert(key, name.clone());
        }
    }
}

/// `TESSERA_TOKENS__ACCESS_TTL` → `tokens.access_ttl`.
fn env_key(name: &str) -> Option<String> {
    let rest = name.strip_prefix("TESSERA_")?;
    if !rest.contains("__") {
        return None;
    }
    Some(
        rest.split("__")
            .collect::<Vec<_>>()
            .join(".")
            .to_ascii_lowercase(),
    )
}

/// Takes typed values out of the merged table and remembers which keys it read.
pub(super) struct Reader {
    table: Table,
    read: BTreeSet<String>,
}

impl Reader {
    pub(super) fn new(table: Table) -> Self {
        Self {
            table,
            read: BTreeSet::new(),
        }
    }

    fn get(&mut self, key: &str) -> Option<Value> {
        self.read.insert(key.to_owned());
        let mut parts = key.split('.');
        let mut value = self.table.get(parts.next()?)?;
        for part in parts {
            value = value.as_table()?.get(part)?;
        }
        Some(value.clone())
    }

    /// A string, if set.
    pub(super) fn string(&mut self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(ConfigError::key(
                key,
                format!("expected a string, found {}; quote it", other.type_str()),
            )),
        }
    }

    /// A list of strings: a TOML array, or one comma-separated string (as an environment
    /// variable gives it). Empty entries are dropped.
    pub(super) fn string_list(&mut self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        let split = |text: &str| -> Vec<String> {
            text.split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
                .collect()
        };
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(split(&text))),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.trim().to_owned()),
                    other => Err(ConfigError::key(
                        key,
                        format!(
                            "expected strings, found {}; quote each entry",
                            other.type_str()
                        ),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|list| Some(list.into_iter().filter(|s| !s.is_empty()).collect())),
            Some(other) => Err(ConfigError::key(
                key,
                format!("expected a list of strings, found {}", other.type_str()),
            )),
        }
    }

    /// A duration such as `"15m"` (or a number of seconds).
    pub(super) fn duration(
        &mut self,
        key: &str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::String(text)) => {
                duration::parse(&text).map_err(|why| ConfigError::key(key, why))
            }
            Some(Value::Integer(secs)) => u64::try_from(secs)
                .map(Duration::from_secs)
                .map_err(|_| ConfigError::key(key, "a duration cannot be negative")),
            Some(other) => Err(ConfigError::key(
                key,
                format!(
                    "expected a duration such as \"15m\", found {}",
                    other.type_str()
                ),
            )),
        }
    }

    /// A whole number in `min..=max`.
    pub(super) fn number(
        &mut self,
        key: &str,
        default: u64,
        (min, max): (u64, u64),
    ) -> Result<u64, ConfigError> {
        let out_of_range =
            || ConfigError::key(key, format!("must be a whole number from {min} to {max}"));
        let value = match self.get(key) {
            None => return Ok(default),
            Some(Value::Integer(n)) => u64::try_from(n).map_err(|_| out_of_range())?,
            Some(Value::String(text)) => text.trim().parse::<u64>().map_err(|_| {
                ConfigError::key(
                    key,
                    format!(
                        "{} is not a whole number; use one from {min} to {max}",
                        shown(&text)
                    ),
                )
            })?,
            Some(other) => {
                return Err(ConfigError::key(
                    key,
                    format!("expected a number, found {}", other.type_str()),
                ));
            }
        };
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(out_of_range())
        }
    }

    /// A boolean (`true`/`false`; from the environment also `1`/`0`).
    pub(super) fn boolean(&mut self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(b),
            Some(Value::String(text)) => match text.trim() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(ConfigError::key(
                    key,
                    format!("{} is not a boolean; use true or false", shown(&text)),
                )),
            },
            Some(other) => Err(ConfigError::key(
                key,
                format!("expected true or false, found {}", other.type_str()),
            )),
        }
    }

    /// Fails on the first key that was set but never read: a typo, or a setting of another
    /// version. The error says where it was set (the file and line, or the variable) and
    /// suggests the nearest known key.
    pub(super) fn finish(self, origins: &Origins) -> Result<(), ConfigError> {
        let mut leaves = Vec::new();
        collect_leaves(&self.table, "", &mut leaves);
        let Some(key) = leaves.into_iter().find(|key| !self.read.contains(key)) else {
            return Ok(());
        };
        let near = nearest(&key, self.read.iter().map(String::as_str));
        let message = match origins.env.get(&key) {
            Some(variable) => {
                let hint = near.map_or(String::new(), |k| {
                    format!("; did you mean {}?", super::error::env_name(k))
                });
                format!("{} sets an unknown setting{hint}", shown_name(variable))
            }
            None => {
                let place = origins
                    .file
                    .as_ref()
                    .map(|(path, text)| match line_of(text, &key) {
                        Some(line) => format!(" in {} line {line}", path.display()),
                        None => format!(" in {}", path.display()),
                    })
                    .unwrap_or_default();
                let hint = near.map_or(String::new(), |k| format!("; did you mean `{k}`?"));
                format!("unknown setting{place}{hint} (see docs/configuration.md)")
            }
        };
        Err(ConfigError::key(&key, message))
    }
}

/// The known key closest to `key` in spelling, if one is close (a typo, not another word).
fn nearest<'a>(key: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|candidate| (distance(key, candidate), candidate))
        .filter(|(d, candidate)| *d > 0 && *d <= 2.max(candidate.len() / 5))
        .min()
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, by characters (keys are short).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The 1-based line of the config file that sets the dotted `key`: `name = …` under its
/// `[section]` header, or the dotted key itself.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let (section, name) = key.rsplit_once('.').unwrap_or(("", key));
    let mut current = String::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            current = header.trim().to_owned();
            continue;
        }
        let Some((left, _)) = trimmed.split_once('=') else {
            continue;
        };
        let left = left.trim().trim_matches('"');
        let full = if current.is_empty() {
            left.to_owned()
        } else {
            format!("{current}.{left}")
        };
        if full == key || (current == section && left == name) {
            return Some(index + 1);
        }
    }
    None
}

fn collect_leaves(table: &Table, prefix: &str, out: &mut Vec<String>) {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            Value::Table(inner) => collect_leaves(inner, &key, out),
            _ => out.push(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_map_to_dotted_keys() {
        assert_eq!(
            env_key("TESSERA_TOKENS__ACCESS_TTL").as_deref(),
            Some("tokens.access_ttl")
        );
        assert_eq!(
            env_key("TESSERA_THROTTLE__ACCOUNT__MAX_FAILURES").as_deref(),
            Some("throttle.account.max_failures")
        );
        assert_eq!(env_key("TESSERA_DATA_DIR"), None);
        assert_eq!(env_key("HOME"), None);
    }

    #[test]
    fn reads_typed_values_and_flags_unknown_keys() {
        let mut table: Table = "[tokens]\naccess_ttl = \"10m\"\ntypo = 1\n"
            .parse()
            .expect("toml");
        set(
            &mut table,
            "passwords.iterations",
            Value::String("3".into()),
        );
        let mut reader = Reader::new(table);
        assert_eq!(
            reader.duration("tokens.access_ttl", Duration::ZERO),
            Ok(Duration::from_secs(600))
        );
        assert_eq!(reader.number("passwords.iterations", 2, (1, 10)), Ok(3));
        assert_eq!(reader.boolean("server.allow_plain_http", false), Ok(false));
        let err = reader.finish(&Origins::default()).expect_err("typo");
        assert_eq!(err.key_name(), Some("tokens.typo"));
    }

    #[test]
    fn a_typo_is_placed_and_the_nearest_key_suggested() {
        let text = "# settings\n[tokens]\naccess_ttl = \"10m\"\nacess_ttl = \"5m\"\n";
        let origins = Origins {
            file: Some((PathBuf::from("/etc/tessera.toml"), text.to_owned())),
            env: BTreeMap::new(),
        };
        let mut reader = Reader::new(text.parse().expect("toml"));
        let _ = reader.duration("tokens.access_ttl", Duration::ZERO);
        let _ = reader.duration("tokens.refresh_grace", Duration::ZERO);
        let err = reader.finish(&origins).expect_err("typo");
        let message = err.to_string();
        assert!(message.contains("/etc/tessera.toml line 4"), "{message}");
        assert!(
            message.contains("did you mean `tokens.access_ttl`?"),
            "{message}"
        );
        assert_eq!(
            line_of("tokens.access_ttl = 1\n", "tokens.access_ttl"),
            Some(1)
        );
        assert_eq!(
            nearest("tokens.zzz", ["tokens.access_ttl"].into_iter()),
            None
        );
    }

    #[test]
    fn an_unknown_variable_is_named_with_the_nearest_one() {
        let env = |name: &str| vec![(name.to_owned(), "x".to_owned())];
        let err = check_env_names(&env("TESSERA_DATADIR")).expect_err("typo");
        assert!(
            err.to_string().contains("did you mean TESSERA_DATA_DIR?"),
            "{err}"
        );
        let err = check_env_names(&env("TESSERA_TOKENS_ACCESS_TTL")).expect_err("one underscore");
        assert!(err.to_string().contains("two underscores"), "{err}");
        for fine in [
            "TESSERA_DATA_DIR",
            "TESSERA_TOKENS__ACCESS_TTL",
            "TESSERA_TEST_DATABASE_URL",
            "HOME",
        ] {
            assert!(check_env_names(&env(fine)).is_ok(), "{fine}");
        }
        let mut table = Table::new();
        let mut origins = Origins::default();
        overlay_env(&mut table, &env("TESSERA_TOKENS__ACESS_TTL"), &mut origins);
        let mut reader = Reader::new(table);
        let _ = reader.duration("tokens.access_ttl", Duration::ZERO);
        let err = reader.finish(&origins).expect_err("typo");
        assert!(
            err.to_string().contains("TESSERA_TOKENS__ACESS_TTL sets an unknown setting; did you mean TESSERA_TOKENS__ACCESS_TTL?"),
            "{err}"
        );
    }
}
