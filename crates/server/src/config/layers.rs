//! The layers of configuration merged into one TOML table, and a reader that takes typed
//! values out of it, naming the key in every error and refusing keys nobody reads.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use toml::{Table, Value};

use super::duration;
use super::error::{ConfigError, shown};

/// Reads and parses the TOML file at `path`.
pub(super) fn read_file(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        ConfigError::other(format!(
            "cannot read the config file {}: {err}; check --config or TESSERA_CONFIG",
            path.display()
        ))
    })?;
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
pub(super) fn overlay_env(table: &mut Table, env: &[(String, String)]) {
    for (name, value) in env {
        if let Some(key) = env_key(name) {
            set(table, &key, Value::String(value.clone()));
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
    /// version.
    pub(super) fn finish(self) -> Result<(), ConfigError> {
        let mut leaves = Vec::new();
        collect_leaves(&self.table, "", &mut leaves);
        match leaves.into_iter().find(|key| !self.read.contains(key)) {
            None => Ok(()),
            Some(key) => Err(ConfigError::key(
                &key,
                "unknown setting; check its spelling against docs/configuration.md",
            )),
        }
    }
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
        let err = reader.finish().expect_err("typo");
        assert_eq!(err.key_name(), Some("tokens.typo"));
    }
}
