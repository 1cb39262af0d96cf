//! The `doctor` checks of this host: the configuration, the database and its migrations,
//! the data dir, the master key, and the signing key schedule.

use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use tessera_core::RotationPolicy;
use tessera_core::error::chain;
use tessera_core::keys::KeyInfo;
use tessera_core::model::{KeyState, Timestamp};
use tessera_server::config::{DatabaseUrl, MasterKeySource, Settings};
use tessera_server::deployment::{self, Deployment, DeploymentError, absolute};

use super::{Check, Status};
use crate::cli::GlobalArgs;
use crate::timefmt;

/// Where the settings are documented.
pub(super) const CONFIG_FIX: &str = "docs/configuration.md lists every key and its variable";

/// The settings are consistent as the authority sees them too.
pub(super) fn config_check(settings: &Settings, global: &GlobalArgs) -> Check {
    if let Err(err) = settings.to_authority_config().validate() {
        return Check::fail("config", err.to_string(), CONFIG_FIX);
    }
    let file = global.config.as_ref().map_or_else(
        || "no config file".to_owned(),
        |path| format!("config file {}", absolute(path).display()),
    );
    Check::ok(
        "config",
        format!(
            "valid ({file}); issuer {}, {}",
            settings.server.issuer,
            store_name(&settings.database.url)
        ),
    )
}

/// The store for people; a PostgreSQL URL may hold a password, so it is not shown.
fn store_name(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::SqliteFile(path) => format!("SQLite store {}", absolute(path).display()),
        DatabaseUrl::Sqlite(url) => format!("SQLite store {url}"),
        _ => "PostgreSQL store".to_owned(),
    }
}

/// True when the settings name a SQLite file that does not exist.
fn store_missing(settings: &Settings) -> bool {
    matches!(&settings.database.url, DatabaseUrl::SqliteFile(path) if !path.exists())
}

// ---------------------------------------------------------------------------------------
// The store, the data dir, the master key and the signing keys.

/// `database`, `data-dir`, `master-key` and `keys`: the store is opened only when it exists,
/// answers and has nothing pending (opening it would apply the migrations).
pub(super) async fn store_checks(settings: &Settings) -> Vec<Check> {
    let (database, ready) = database_check(settings).await;
    let data_dir = data_dir_check(&settings.data_dir);
    let mut master = master_key_check(settings);
    let keys = if ready {
        opened_checks(settings, &mut master).await
    } else {
        Check::skip(
            "keys",
            "needs a store that answers with no migration pending",
        )
    };
    vec![database, data_dir, master, keys]
}

/// The database answers and its schema is current; true when the store may be opened.
async fn database_check(settings: &Settings) -> (Check, bool) {
    let name = store_name(&settings.database.url);
    if store_missing(settings) {
        let check = Check::fail(
            "database",
            format!("no Tessera store: {name} does not exist"),
            "pass the --data-dir (or --database-url) the server uses; `tessera init` creates a \
             new store",
        );
        return (check, false);
    }
    match deployment::pending_migrations(settings).await {
        Ok(pending) if pending.is_empty() => (
            Check::ok(
                "database",
                format!("{name} answers; its schema is up to date"),
            ),
            true,
        ),
        Ok(pending) => {
            let names: Vec<String> = pending
                .iter()
                .map(|m| format!("{:04} {}", m.version, m.description))
                .collect();
            let message = format!(
                "{name} answers, but migrations are pending: {}",
                names.join(", ")
            );
            let fix = "run `tessera migrate` (the server also applies them when it starts)";
            (Check::warn("database", message, fix), false)
        }
        Err(err) => {
            let fix = "check --database-url, that the database runs, and the files' permissions";
            (Check::fail("database", err.to_string(), fix), false)
        }
    }
}

/// The data dir is not writable by others (who could swap the database or the key file).
fn data_dir_check(dir: &Path) -> Check {
    let shown = absolute(dir).display().to_string();
    let meta = match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => meta,
        Ok(_) => {
            return Check::fail(
                "data-dir",
                format!("{shown} is not a directory"),
                "pass the server's --data-dir",
            );
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Check::skip("data-dir", format!("{shown} does not exist"));
        }
        Err(err) => {
            return Check::fail(
                "data-dir",
                format!("cannot read {shown}: {err}"),
                "check its permissions",
            );
        }
    };
    let Some(mode) = mode(&meta) else {
        return Check::ok("data-dir", format!("{shown} (no Unix modes here)"));
    };
    let fix = format!("chmod 700 {shown}");
    if mode & 0o002 != 0 {
        let why = format!(
            "{shown} is writable by every user (mode {mode:04o}): anyone may replace the \
             database or the master key"
        );
        return Check::fail("data-dir", why, fix);
    }
    if mode & 0o020 != 0 {
        return Check::warn(
            "data-dir",
            format!("{shown} is writable by its group (mode {mode:04o})"),
            fix,
        );
    }
    Check::ok("data-dir", format!("{shown}, mode {mode:04o}"))
}

/// A file's or directory's permission bits.
#[cfg(unix)]
fn mode(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    Some(meta.permissions().mode() & 0o7777)
}

/// A file's or directory's permission bits (none outside Unix).
#[cfg(not(unix))]
fn mode(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

/// Where the master key comes from, and its file's mode (before anything opens it).
fn master_key_check(settings: &Settings) -> Check {
    match &settings.master_key {
        MasterKeySource::DataDirFile(path) if store_missing(settings) => Check::skip(
            "master-key",
            format!(
                "no store yet; the server creates {} on first start",
                absolute(path).display()
            ),
        ),
        MasterKeySource::DataDirFile(path) => key_file_check(path, Status::Fail),
        MasterKeySource::Given { origin, .. } if *origin == "TESSERA_MASTER_KEY_FILE" => {
            match std::env::var_os("TESSERA_MASTER_KEY_FILE") {
                // The server reads such a file whatever its mode (a mounted secret may be
                // group-readable): a loose mode is a warning here.
                Some(path) => key_file_check(Path::new(&path), Status::Warn),
                None => Check::ok("master-key", format!("given in {origin}")),
            }
        }
        MasterKeySource::Given { origin, .. } => {
            Check::ok("master-key", format!("given in {origin}"))
        }
        _ => Check::ok("master-key", "given"),
    }
}

/// The key file exists and only its owner may read it; `loose` is the status otherwise.
fn key_file_check(path: &Path, loose: Status) -> Check {
    let shown = absolute(path).display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) => {
            let fix = "restore the master key file from your backup, or set \
                       TESSERA_MASTER_KEY_FILE to where it is";
            return Check::fail("master-key", format!("cannot read {shown}: {err}"), fix);
        }
    };
    match mode(&meta) {
        Some(mode) if mode & 0o077 != 0 => {
            let refused = if loose == Status::Fail {
                ", and the server refuses it"
            } else {
                ""
            };
            let message =
                format!("{shown} has mode {mode:04o}: group or others may read it{refused}");
            Check::new("master-key", loose, message).with_fix(format!("chmod 600 {shown}"))
        }
        Some(mode) => Check::ok("master-key", format!("{shown}, mode {mode:04o}")),
        None => Check::ok("master-key", shown),
    }
}

/// Opens the deployment (the master key must open its signing keys) and checks the keys.
async fn opened_checks(settings: &Settings, master: &mut Check) -> Check {
    match Deployment::open_existing(settings).await {
        Ok(deployment) => {
            if master.status == Status::Ok {
                master
                    .message
                    .push_str("; it opens the stored signing keys");
            }
            let keys = deployment.authority().list_keys().await;
            deployment.close().await;
            let policy = settings.to_authority_config().effective_rotation();
            match keys {
                Ok(keys) => key_schedule(&keys, &policy, now_secs()),
                Err(err) => Check::fail("keys", chain(&err), "check that the database answers"),
            }
        }
        Err(DeploymentError::MasterKey(why)) => {
            let fix = "use the master key this database was made with: its master.key, \
                       TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE";
            *master = Check::fail("master-key", why, fix);
            Check::skip("keys", "needs the master key")
        }
        // The master key file's mode was reported above; opening failed for that reason.
        Err(_) if master.status == Status::Fail => Check::skip("keys", "needs the master key"),
        Err(err) => Check::fail(
            "keys",
            format!("the store did not open: {err}"),
            "check --data-dir, --database-url and the files' permissions",
        ),
    }
}

/// What the schedule says run the server's maintenance (or `keys rotate`).
const ROTATION_FIX: &str = "check that `tessera serve` runs (its maintenance rotates keys every \
                            server.maintenance_interval), or run `tessera keys rotate`";

/// A key signs, is not older than `rotate_every`, has a published successor when one is
/// due, and no step of the life cycle is overdue. The server takes each step at its first
/// maintenance run after the step is due, so a step is late only a maintenance interval on.
fn key_schedule(keys: &[KeyInfo], policy: &RotationPolicy, now: i64) -> Check {
    let now_at = Timestamp::from_secs(now);
    let Some(signer) = keys
        .iter()
        .filter(|k| k.state == KeyState::Active && k.activates_at <= now_at)
        .max_by_key(|k| (k.activates_at, k.created_at))
    else {
        return Check::fail("keys", "no key signs now", ROTATION_FIX);
    };
    let age = now_at.secs_since(signer.activates_at).max(0).unsigned_abs();
    let every = policy.rotate_every.as_secs();
    let next = keys
        .iter()
        .filter(|k| k.state == KeyState::Published)
        .max_by_key(|k| k.created_at);
    let signing = format!(
        "{} ({}) has signed for {} of keys.rotate_every {}",
        signer.kid,
        signer.alg,
        timefmt::span(age),
        timefmt::span(every)
    );
    let overdue = overdue_steps(keys, policy, now_at);
    if !overdue.is_empty() {
        return Check::warn(
            "keys",
            format!("overdue: {}", overdue.join("; ")),
            ROTATION_FIX,
        );
    }
    let slack = policy.reload_every.as_secs();
    if age > every.saturating_add(slack) {
        return Check::warn(
            "keys",
            format!("{signing}: its rotation is overdue"),
            ROTATION_FIX,
        );
    }
    let window = policy.publish_window().as_secs();
    match next {
        Some(next) => Check::ok(
            "keys",
            format!(
                "{signing}; the next key {} is published and signs from {}",
                next.kid,
                timefmt::utc(next.activates_at.secs())
            ),
        ),
        None if age.saturating_add(window) >= every.saturating_add(slack) => Check::warn(
            "keys",
            format!("{signing}, and no next key is published before it takes over"),
            ROTATION_FIX,
        ),
        None => Check::ok(
            "keys",
            format!(
                "{signing}; the next key is published in {}",
                timefmt::span(every.saturating_sub(window).saturating_sub(age))
            ),
        ),
    }
}

/// Life-cycle steps past their time: a published key that should sign, a retiring key that
/// should have left the JWKS.
fn overdue_steps(keys: &[KeyInfo], policy: &RotationPolicy, now: Timestamp) -> Vec<String> {
    let late = |due: Timestamp| {
        (due.plus(policy.reload_every) < now)
            .then(|| timefmt::span(now.secs_since(due).unsigned_abs()))
    };
    let mut steps = Vec::new();
    for key in keys {
        let step = match key.state {
            KeyState::Published => {
                let due = key
                    .activates_at
                    .max(key.created_at.plus(policy.publish_window()));
                late(due).map(|by| format!("{} should have started signing {by} ago", key.kid))
            }
            KeyState::Retiring => key
                .retired_at
                .and_then(|at| late(at.plus(policy.retire_after())))
                .map(|by| format!("{} should have left the JWKS {by} ago", key.kid)),
            _ => None,
        };
        steps.extend(step);
    }
    steps
}

/// Seconds since the epoch on this host's clock.
fn now_secs() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use tessera_core::model::{KeyId, KeyRecord};
    use tessera_jose::Algorithm;

    use super::*;

    const DAY: i64 = 86_400;
    const NOW: i64 = 1_800_000_000;

    fn key(kid: &str, state: KeyState, created: i64, activates: i64) -> KeyRecord {
        KeyRecord {
            kid: KeyId::new(kid),
            alg: Algorithm::ES256,
            public_jwk: String::new(),
            private_sealed: Vec::new(),
            state,
            created_at: Timestamp::from_secs(created),
            activates_at: Timestamp::from_secs(activates),
            retired_at: None,
        }
    }

    fn schedule(records: &[KeyRecord]) -> Check {
        let keys: Vec<KeyInfo> = records.iter().map(KeyInfo::from).collect();
        key_schedule(&keys, &RotationPolicy::default(), NOW)
    }

    #[test]
    fn a_young_signer_is_ok_and_says_when_the_next_key_comes() {
        let check = schedule(&[key("a", KeyState::Active, NOW - DAY, NOW - DAY)]);
        assert_eq!(check.status, Status::Ok, "{}", check.line());
        assert!(
            check
                .message
                .contains("has signed for 24 h of keys.rotate_every 30 days")
        );
        assert!(
            check.message.contains("the next key is published in"),
            "{}",
            check.message
        );
    }

    #[test]
    fn a_signer_due_for_rotation_needs_a_published_successor() {
        let old = NOW - 30 * DAY + 600;
        let alone = schedule(&[key("a", KeyState::Active, old, old)]);
        assert_eq!(alone.status, Status::Warn, "{}", alone.line());
        assert!(alone.message.contains("no next key is published"));
        let next = key("b", KeyState::Published, NOW - 60, NOW + 3_540);
        let ready = schedule(&[key("a", KeyState::Active, old, old), next]);
        assert_eq!(ready.status, Status::Ok, "{}", ready.line());
        assert!(ready.message.contains("the next key b is published"));
    }

    #[test]
    fn overdue_and_missing_keys_are_reported() {
        let ancient = NOW - 40 * DAY;
        let late = schedule(&[key("a", KeyState::Active, ancient, ancient)]);
        assert_eq!(late.status, Status::Warn);
        assert!(
            late.message.contains("its rotation is overdue"),
            "{}",
            late.message
        );
        let mut retiring = key("r", KeyState::Retiring, ancient, ancient);
        retiring.retired_at = Some(Timestamp::from_secs(NOW - DAY));
        let stale = schedule(&[key("a", KeyState::Active, NOW, NOW), retiring]);
        assert_eq!(stale.status, Status::Warn);
        assert!(
            stale.message.contains("r should have left the JWKS"),
            "{}",
            stale.message
        );
        let none = schedule(&[key("p", KeyState::Published, NOW, NOW + 3_600)]);
        assert_eq!(none.status, Status::Fail);
        assert_eq!(none.fix.as_deref(), Some(ROTATION_FIX));
    }
}
