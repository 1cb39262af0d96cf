//! The token file of `tessera login`: one JSON document with an entry per issuer and client,
//! private to its owner (directory 0700, file 0600 on Unix) and replaced atomically (a new
//! file beside it, synced, then renamed over it), so that a crash or a full disk never
//! leaves half a file and a reader never sees one. A lock file beside it keeps two `tessera
//! login` processes from refreshing with the same refresh token at once, which the server
//! would take for a replay and answer by ending the whole login (RFC 9700).

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::CliError;

/// The format of the file, for whoever reads it later.
const VERSION: u32 = 1;
/// A token file bigger than this is not one of ours.
const MAX_FILE: u64 = 4 << 20;
/// How long to wait for another `tessera login` to finish with the file.
const LOCK_WAIT: Duration = Duration::from_secs(20);
/// How often to look whether the lock is free.
const LOCK_RETRY: Duration = Duration::from_millis(50);

/// The token file's contents.
#[derive(Debug, Deserialize, Serialize)]
pub(super) struct TokenFile {
    /// The format version ([`VERSION`]).
    #[serde(default = "version")]
    version: u32,
    /// One entry per (issuer, client_id).
    #[serde(default)]
    logins: Vec<Login>,
}

impl Default for TokenFile {
    fn default() -> Self {
        Self {
            version: VERSION,
            logins: Vec::new(),
        }
    }
}

/// The version of a file that names none: the first.
fn version() -> u32 {
    VERSION
}

/// One login: the tokens one client got from one issuer.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub(super) struct Login {
    /// The issuer, as its metadata names it.
    pub(super) issuer: String,
    /// The client the tokens were issued to.
    pub(super) client_id: String,
    /// `Bearer` (or what the server said).
    pub(super) token_type: String,
    /// The access token.
    pub(super) access_token: String,
    /// When the access token expires, in seconds since the Unix epoch (from `expires_in`
    /// and this host's clock); unknown when the server did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) expires_at: Option<i64>,
    /// The refresh token, rotated on every use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) refresh_token: Option<String>,
    /// The scope granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) scope: Option<String>,
    /// The ID token, when `openid` was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) id_token: Option<String>,
}

impl TokenFile {
    /// The login for `client_id` at `issuer`, if there is one.
    pub(super) fn find(&self, issuer: &str, client_id: &str) -> Option<&Login> {
        self.logins
            .iter()
            .find(|login| same_issuer(&login.issuer, issuer) && login.client_id == client_id)
    }

    /// Puts `login` in place of the entry for its issuer and client, or adds it.
    pub(super) fn upsert(&mut self, login: Login) {
        match self
            .logins
            .iter_mut()
            .find(|old| same_issuer(&old.issuer, &login.issuer) && old.client_id == login.client_id)
        {
            Some(old) => *old = login,
            None => self.logins.push(login),
        }
    }
}

/// Issuers compare as RFC 8414 says, except for a trailing slash, which people add or leave
/// out when they type one.
pub(super) fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// `$XDG_CONFIG_HOME/tessera/tokens.json`, else `$HOME/.config/tessera/tokens.json`.
///
/// # Errors
/// Exit 2 when neither variable names a directory.
pub(super) fn default_path() -> Result<PathBuf, CliError> {
    config_dir(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
    .map(|dir| dir.join("tessera").join("tokens.json"))
    .ok_or_else(|| {
        CliError::usage("cannot tell where to store the tokens: HOME is not set")
            .with_hint("set XDG_CONFIG_HOME or HOME, or pass --token-file FILE")
    })
}

/// The user's configuration directory. The XDG Base Directory spec ignores a relative
/// `XDG_CONFIG_HOME`, and so do we.
fn config_dir(xdg: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let xdg = xdg.map(PathBuf::from).filter(|dir| dir.is_absolute());
    let home = home.filter(|home| !home.is_empty()).map(PathBuf::from);
    xdg.or_else(|| home.map(|home| home.join(".config")))
}

/// Creates the directory of `path` (mode 0700) when it does not exist yet, so that a login
/// never gets as far as the browser with nowhere to put its tokens. An existing directory
/// is left as its owner set it (the file in it is 0600 all the same).
///
/// # Errors
/// Exit 2 when it cannot be created.
pub(super) fn prepare_dir(path: &Path) -> Result<(), CliError> {
    let dir = parent(path);
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .and_then(|()| restrict(dir, 0o700))
        .map_err(|err| file_error(dir, "cannot create", &err))
}

/// Exactly `mode`, whatever the umask took away or added (Unix only).
#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// The directory a file is in (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Held while a process reads, refreshes and writes the token file; released when dropped
/// (closing the file releases the lock, a crash included).
#[derive(Debug)]
pub(super) struct Lock {
    _file: File,
}

/// Takes the lock beside `path` (`tokens.json.lock`, never removed: removing a lock file
/// races with whoever opens it next), waiting for another process to finish.
///
/// # Errors
/// Exit 2 when the lock file cannot be opened, or another process holds it too long.
pub(super) fn lock(path: &Path) -> Result<Lock, CliError> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let file = private_options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|err| file_error(&lock_path, "cannot open", &err))?;
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(LOCK_RETRY);
            }
            Err(TryLockError::WouldBlock) => {
                return Err(CliError::usage(format!(
                    "another tessera login has held {} for {} s",
                    lock_path.display(),
                    LOCK_WAIT.as_secs()
                ))
                .with_hint("wait for it to finish, then try again"));
            }
            // A file system without locks (some network mounts): go on without, as the
            // file is still replaced atomically.
            Err(TryLockError::Error(_)) => return Ok(Lock { _file: file }),
        }
    }
}

/// Reads the token file; an empty one when it does not exist yet. Warns when others may
/// read it (it is rewritten 0600 on the next save).
///
/// # Errors
/// Exit 2 when it cannot be read or is not a token file.
pub(super) fn load(path: &Path) -> Result<TokenFile, CliError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(TokenFile::default()),
        Err(err) => return Err(file_error(path, "cannot read", &err)),
    };
    warn_if_shared(path, &file);
    let mut text = String::new();
    file.take(MAX_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|err| file_error(path, "cannot read", &err))?;
    let not_ours = |why: String| {
        CliError::usage(format!(
            "{} is not a tessera token file: {why}",
            path.display()
        ))
        .with_hint("move it away (tessera login writes a new one), or pass --token-file")
    };
    if text.len() as u64 > MAX_FILE {
        return Err(not_ours(format!("over {} MiB", MAX_FILE >> 20)));
    }
    serde_json::from_str(&text).map_err(|err| not_ours(err.to_string()))
}

/// A warning on stderr when group or others have any access to the file.
#[cfg(unix)]
fn warn_if_shared(path: &Path, file: &File) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = file.metadata() {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            eprintln!(
                "warning: {} holds tokens and is mode {mode:04o}: others on this host may read \
                 it; it is rewritten with mode 0600 at the next login or refresh \
                 (chmod 600 it now)",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path, _file: &File) {}

/// Writes `tokens` to `path` atomically with mode 0600: a new file in the same directory,
/// written and synced, then renamed over the old one (the directory synced too, so that the
/// rename survives a crash).
///
/// # Errors
/// Exit 2 when the file cannot be written; the old one is then left as it was.
pub(super) fn save(path: &Path, tokens: &TokenFile) -> Result<(), CliError> {
    prepare_dir(path)?;
    let dir = parent(path);
    let mut json = serde_json::to_vec_pretty(tokens)
        .map_err(|err| CliError::usage(format!("cannot encode the tokens: {err}")))?;
    json.push(b'\n');
    let name = path.file_name().map_or_else(
        || OsString::from("tokens.json"),
        std::ffi::OsStr::to_os_string,
    );
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut temp_name = OsString::from(".");
    temp_name.push(&name);
    temp_name.push(format!(".{}.{nanos}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    let written = write_new(&temp, &json).and_then(|()| fs::rename(&temp, path));
    if let Err(err) = written {
        let _ = fs::remove_file(&temp);
        return Err(file_error(path, "cannot write", &err));
    }
    sync_dir(dir);
    Ok(())
}

/// Creates `temp` (never an existing file: no symlink is followed), mode 0600, with `bytes`,
/// synced to disk.
fn write_new(temp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = private_options().write(true).create_new(true).open(temp)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// Open options that create files readable by their owner only (Unix).
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Syncs a directory's entries (Unix; elsewhere the rename is as durable as it gets). A
/// failure here loses nothing already written, so it is not reported.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A file that could not be used, exit 2.
fn file_error(path: &Path, what: &str, err: &io::Error) -> CliError {
    CliError::usage(format!("{what} {}: {err}", path.display()))
        .with_hint("check the path and its permissions, or pass --token-file FILE")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(issuer: &str, client_id: &str, access_token: &str) -> Login {
        Login {
            issuer: issuer.into(),
            client_id: client_id.into(),
            token_type: "Bearer".into(),
            access_token: access_token.into(),
            expires_at: Some(1_900_000_000),
            refresh_token: Some("r".into()),
            scope: Some("openid".into()),
            id_token: None,
        }
    }

    #[test]
    fn the_config_dir_follows_xdg_then_home() {
        let dir = |xdg: Option<&str>, home: Option<&str>| {
            config_dir(xdg.map(Into::into), home.map(Into::into))
        };
        assert_eq!(dir(Some("/x"), Some("/h")), Some(PathBuf::from("/x")));
        assert_eq!(dir(None, Some("/h")), Some(PathBuf::from("/h/.config")));
        assert_eq!(
            dir(Some("rel"), Some("/h")),
            Some(PathBuf::from("/h/.config"))
        );
        assert_eq!(dir(Some(""), Some("/h")), Some(PathBuf::from("/h/.config")));
        assert_eq!(dir(None, Some("")), None);
        assert_eq!(dir(None, None), None);
    }

    #[test]
    fn logins_are_kept_per_issuer_and_client() {
        let mut file = TokenFile::default();
        file.upsert(login("https://a.test", "c1", "t1"));
        file.upsert(login("https://a.test", "c2", "t2"));
        file.upsert(login("https://b.test/", "c1", "t3"));
        file.upsert(login("https://a.test/", "c1", "t4"));
        assert_eq!(file.logins.len(), 3);
        let found = |issuer, client| file.find(issuer, client).map(|l| l.access_token.as_str());
        assert_eq!(found("https://a.test", "c1"), Some("t4"));
        assert_eq!(found("https://a.test/", "c2"), Some("t2"));
        assert_eq!(found("https://b.test", "c1"), Some("t3"));
        assert_eq!(found("https://b.test", "c2"), None);
    }

    #[test]
    fn the_file_is_private_replaced_whole_and_read_back() {
        let root = tempfile::tempdir().expect("temp dir");
        let path = root.path().join("cfg/tessera/tokens.json");
        let mut file = TokenFile::default();
        file.upsert(login("https://a.test", "c1", "t1"));
        save(&path, &file).expect("saved");
        file.upsert(login("https://a.test", "c1", "t2"));
        save(&path, &file).expect("saved again");
        let back = load(&path).expect("loaded");
        assert_eq!(
            back.find("https://a.test", "c1"),
            file.find("https://a.test", "c1")
        );
        let names: Vec<_> = fs::read_dir(parent(&path))
            .expect("dir")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["tokens.json"], "no temporary file is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(parent(&path)), 0o700);
        }
        let _held = lock(&path).expect("lock");
        assert!(
            load(&root.path().join("none.json"))
                .expect("empty")
                .logins
                .is_empty()
        );
        fs::write(&path, "[1, 2]").expect("write");
        let err = load(&path).expect_err("not ours").to_string();
        assert!(err.contains("is not a tessera token file"), "{err}");
    }
}
