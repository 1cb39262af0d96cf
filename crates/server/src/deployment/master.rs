//! The master key file in the data directory: created once (mode 0600), then reused.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use tessera_core::MasterKey;
use zeroize::Zeroizing;

use super::DeploymentError;

/// The longest key file read (a key is 44 characters of base64 or 64 hex digits).
const MAX_KEY_FILE: u64 = 1024;

/// A second handle on a key given in the settings (the authority takes its own).
pub(super) fn copy(key: &MasterKey) -> Result<MasterKey, DeploymentError> {
    MasterKey::parse(&key.to_base64())
        .map_err(|err| DeploymentError::MasterKey(format!("master key: {err}")))
}

/// Reads the key file at `path`; creates it with a new random key when it is missing and
/// the database is new. A missing file for a database that holds keys is an error: a new
/// key could not open them.
pub(super) fn from_file(path: &Path, first_start: bool) -> Result<MasterKey, DeploymentError> {
    match read(path) {
        Ok(text) => parse(path, &text),
        Err(err) if err.kind() == io::ErrorKind::NotFound && first_start => create(path),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            Err(DeploymentError::MasterKey(format!(
                "the master key file {} is missing, but the database holds keys sealed with \
                 it; restore the file, or set TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE",
                path.display()
            )))
        }
        Err(source) => Err(DeploymentError::Io {
            what: format!("cannot read the master key file {}", path.display()),
            source,
        }),
    }
}

fn read(path: &Path) -> io::Result<Zeroizing<String>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    check_private(path, &file)?;
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_KEY_FILE).read_to_string(&mut text)?;
    Ok(text)
}

/// Refuses a key file that others may read (as ssh does with private keys).
#[cfg(unix)]
fn check_private(path: &Path, file: &std::fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 == 0 {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "group or others may access it (mode {:o}); run: chmod 600 {}",
            mode & 0o777,
            path.display()
        ),
    ))
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _file: &std::fs::File) -> io::Result<()> {
    Ok(())
}

fn parse(path: &Path, text: &str) -> Result<MasterKey, DeploymentError> {
    MasterKey::parse(text).map_err(|_| {
        DeploymentError::MasterKey(format!(
            "the master key file {} does not hold a master key (32 bytes as base64 or 64 hex \
             digits); restore it from a backup",
            path.display()
        ))
    })
}

/// Writes a new random key to a new file (mode 0600). If another process created the file
/// first, its key is used.
fn create(path: &Path) -> Result<MasterKey, DeploymentError> {
    let key = MasterKey::generate()
        .map_err(|err| DeploymentError::MasterKey(format!("cannot make a master key: {err}")))?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let io_error = |source| DeploymentError::Io {
        what: format!("cannot write the master key file {}", path.display()),
        source,
    };
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            return from_file(path, false);
        }
        Err(err) => return Err(io_error(err)),
    };
    let mut text = key.to_base64();
    text.push('\n');
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_error)?;
    Ok(key)
}
