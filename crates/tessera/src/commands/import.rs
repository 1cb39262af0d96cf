//! `tessera import`: loads a `tessera export` document into this deployment's store.
//!
//! All or nothing: the document is parsed and checked in full and every signing key is
//! unsealed with the target's master key before the deployment is opened; the authority
//! then looks for records that would clash and writes everything in one store transaction.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;
use tessera_core::keys::{KeyRing, parse_alg};
use tessera_core::model::{Client, KeyRecord, KeyState, Revocation, Timestamp, User};
use tessera_core::transfer::{ImportOptions, ImportReport, Snapshot};
use tessera_core::{AdminError, MasterKey};
use tessera_jose::{Jwk, b64};
use tessera_server::config::{MasterKeySource, Settings};

use crate::cli::GlobalArgs;
use crate::commands::export::{ClientEntry, Document, FORMAT, KeyEntry, UserEntry};
use crate::commands::{self, admin};
use crate::error::CliError;

/// Help text of `tessera import`.
pub(crate) const IMPORT_LONG: &str = "\
Load a document written by `tessera export` (users, clients, signing keys, live revocations)
into this deployment's store: a SQLite data dir or a PostgreSQL database (--database-url).

The signing keys in the document are sealed under the SOURCE deployment's master key, so this
deployment must use the same one: set TESSERA_MASTER_KEY (or TESSERA_MASTER_KEY_FILE) to it,
or copy the source's master.key into the data dir (mode 0600) before importing. A key that does
not open stops the import before anything is written.

Nothing is written unless everything can be: the whole document is checked first, and a user
(same id or username), client (same id) or key (same kid) that already exists stops the import
and is named, unless --skip-existing keeps the existing one and imports the rest. When the
import creates the deployment, the placeholder signing key made on its first start is retired,
so that the imported active key keeps signing. Sessions and refresh tokens are not part of an
export: users log in again.";

/// Examples of `tessera import`.
pub(crate) const IMPORT_EXAMPLES: &str = "\
Examples:
  TESSERA_MASTER_KEY_FILE=old-data/master.key \\
      tessera --database-url postgres://tessera@db/tessera import tessera-export.json
  tessera --data-dir new-data import --skip-existing tessera-export.json
  tessera export --data-dir old-data | tessera --data-dir new-data import -";

/// Arguments of `tessera import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The document from `tessera export`; `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    input: Option<PathBuf>,
    /// Keep records the target already has (same id, username or kid) and import the rest,
    /// instead of refusing the import.
    #[arg(long)]
    skip_existing: bool,
}

/// Runs `tessera import`.
///
/// # Errors
/// Exit 2 for a malformed document, a key that does not open with the target's master key,
/// or bad settings; exit 1 when the target already holds a record of the document (and
/// `--skip-existing` was not given). In every case nothing was written.
pub(crate) fn run(global: &GlobalArgs, args: &ImportArgs) -> Result<(), CliError> {
    let origin = args
        .input
        .as_ref()
        .filter(|p| p.as_os_str() != "-")
        .map_or_else(|| "stdin".to_owned(), |p| p.display().to_string());
    let document = read_document(args.input.as_deref(), &origin)?;
    let snapshot = records(document).map_err(|err| err.context(&origin))?;
    if !snapshot.keys.is_empty() {
        check_keys_open(&snapshot.keys, &target_master_key(global)?)?;
    }
    if snapshot.users.len() >= 10_000 {
        eprintln!(
            "import: writing {} users in one transaction",
            snapshot.users.len()
        );
    }
    let skip = args.skip_existing;
    // A restore may land on a new machine: the import creates the store when missing.
    let report = admin::creating_deployment(global, |d| async move {
        let options = ImportOptions::default()
            .with_skip_existing(skip)
            .with_replace_first_key(d.first_start);
        d.authority()
            .import(snapshot, options)
            .await
            .map_err(import_error)
    })?;
    print_report(&report)
}

/// An import refused or failed: nothing was written, whatever the reason.
fn import_error(err: AdminError) -> CliError {
    match err {
        AdminError::ImportConflict(_) => CliError::rejected(format!("{err}; nothing was imported"))
            .with_code("conflict")
            .with_hint(
                "import into a new deployment, or pass --skip-existing to keep the target's",
            ),
        other => CliError::from(other)
            .context("the import failed; nothing was imported")
            .with_hint("fix the cause and run the import again"),
    }
}

/// Reads and parses the document; any failure is one line, exit 2.
fn read_document(input: Option<&Path>, origin: &str) -> Result<Document, CliError> {
    let mut bytes = Vec::new();
    let read = match input.filter(|p| p.as_os_str() != "-") {
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)),
        None => io::stdin().lock().read_to_end(&mut bytes),
    };
    read.map_err(|err| CliError::usage(format!("cannot read {origin}: {err}")))?;
    let not_export = |why: String| {
        CliError::usage(format!("{origin} is not a Tessera export: {why}"))
            .with_code("import_malformed")
            .with_hint("give the file `tessera export` wrote, unchanged")
    };
    /// Only the version, read first so that a newer format gets a clear message.
    #[derive(Deserialize)]
    struct Header {
        format: Option<String>,
    }
    let header: Header =
        serde_json::from_slice(&bytes).map_err(|err| not_export(err.to_string()))?;
    match header.format.as_deref() {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(not_export(format!(
                "its format is {other:?}, this version reads {FORMAT:?}"
            )));
        }
        None => return Err(not_export("it has no \"format\" member".to_owned())),
    }
    serde_json::from_slice(&bytes).map_err(|err| not_export(err.to_string()))
}

/// Checks every entry and turns it into a store record.
fn records(document: Document) -> Result<Snapshot, CliError> {
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    let mut users = Vec::with_capacity(document.users.len());
    for entry in document.users {
        let user = user(entry)?;
        if !ids.insert(user.id.clone()) || !names.insert(user.username.to_lowercase()) {
            return Err(malformed(format!("user {} appears twice", user.username)));
        }
        users.push(user);
    }
    let mut client_ids = HashSet::new();
    let mut clients = Vec::with_capacity(document.clients.len());
    for entry in document.clients {
        let client = client(entry)?;
        if !client_ids.insert(client.id.clone()) {
            return Err(malformed(format!("client {} appears twice", client.id)));
        }
        clients.push(client);
    }
    let mut kids = HashSet::new();
    let mut keys = Vec::with_capacity(document.keys.len());
    for entry in document.keys {
        let key = key(entry)?;
        if !kids.insert(key.kid.clone()) {
            return Err(malformed(format!("signing key {} appears twice", key.kid)));
        }
        keys.push(key);
    }
    let mut revocations = Vec::with_capacity(document.revocations.len());
    for entry in document.revocations {
        if entry.jti.is_empty() {
            return Err(malformed("a revocation has an empty jti".to_owned()));
        }
        revocations.push(Revocation {
            cursor: 0,
            jti: entry.jti,
            exp: entry.exp,
        });
    }
    Ok(Snapshot::new(
        document.exported_at,
        users,
        clients,
        keys,
        revocations,
    ))
}

fn malformed(message: String) -> CliError {
    CliError::usage(message)
        .with_code("import_malformed")
        .with_hint("give the file `tessera export` wrote, unchanged")
}

fn user(entry: UserEntry) -> Result<User, CliError> {
    let name = entry.username.chars().take(64).collect::<String>();
    if entry.id.is_empty() || entry.username.is_empty() || entry.username.len() > 128 {
        return Err(malformed(format!(
            "user {name:?}: empty id, or a username not of 1 to 128 bytes"
        )));
    }
    // Only hashes move; anything else here could be a plaintext password.
    if !entry.password_hash.starts_with("$argon2") {
        return Err(malformed(format!(
            "user {name}: password_hash is not an Argon2 PHC string"
        )));
    }
    Ok(User {
        id: entry.id,
        username: entry.username,
        email: entry.email,
        roles: entry.roles,
        password_hash: entry.password_hash,
        disabled: entry.disabled,
        created_at: entry.created_at,
        password_changed_at: entry.password_changed_at,
    })
}

fn client(entry: ClientEntry) -> Result<Client, CliError> {
    if entry.id.is_empty() {
        return Err(malformed(format!(
            "client {:?} has an empty id",
            entry.name
        )));
    }
    let secret_hash = match entry.secret_sha256 {
        None => None,
        Some(text) => Some(
            b64::decode(text.as_bytes())
                .filter(|digest| digest.len() == 32)
                .ok_or_else(|| {
                    malformed(format!(
                        "client {}: secret_sha256 is not a base64url SHA-256 digest",
                        entry.id
                    ))
                })?,
        ),
    };
    Ok(Client {
        id: entry.id,
        name: entry.name,
        secret_hash,
        grants: entry.grants,
        scopes: entry.scopes,
        audiences: entry.audiences,
        created_at: entry.created_at,
        web: entry.web,
    })
}

fn key(entry: KeyEntry) -> Result<KeyRecord, CliError> {
    let bad = |why: &str| malformed(format!("signing key {}: {why}", entry.kid));
    let alg = parse_alg(&entry.alg).map_err(|err| bad(&err.to_string()))?;
    Jwk::from_json(entry.public_jwk.as_bytes()).map_err(|_| bad("public_jwk is not a JWK"))?;
    let private_sealed = b64::decode(entry.private_sealed.as_bytes())
        .ok_or_else(|| bad("private_sealed is not base64url"))?;
    Ok(KeyRecord {
        kid: entry.kid,
        alg,
        public_jwk: entry.public_jwk,
        private_sealed,
        state: entry.state,
        created_at: entry.created_at,
        activates_at: entry.activates_at,
        retired_at: entry.retired_at,
    })
}

/// The master key the target deployment will use, read without creating anything: a
/// missing key file means a new random key, which cannot open the document's keys.
fn target_master_key(global: &GlobalArgs) -> Result<MasterKey, CliError> {
    let settings = Settings::load(&admin::flags(global)).map_err(|e| admin::config_error(&e))?;
    let path = match &settings.master_key {
        MasterKeySource::Given { key, .. } => return Ok(copy(key)),
        MasterKeySource::DataDirFile(path) => path.clone(),
        _ => {
            return Err(CliError::usage(
                "this version cannot read the configured kind of master key before an import",
            )
            .with_hint("set TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE"));
        }
    };
    let missing = |why: String| {
        CliError::usage(format!(
            "the target's master key file {}: {why}",
            path.display()
        ))
        .with_code("master_key_mismatch")
        .with_hint(
            "set TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE to the source's master key, \
                 or copy the source's master.key there (mode 0600)",
        )
    };
    let text = std::fs::read_to_string(&path).map_err(|err| {
        missing(if err.kind() == io::ErrorKind::NotFound {
            "it does not exist, and a new random key could not open the imported keys".to_owned()
        } else {
            err.to_string()
        })
    })?;
    let text = zeroize::Zeroizing::new(text);
    MasterKey::parse(&text).map_err(|err| missing(err.to_string()))
}

fn copy(key: &MasterKey) -> MasterKey {
    // Invariant: the base64 of a valid master key always parses back.
    MasterKey::parse(&key.to_base64()).expect("a master key's base64 parses")
}

/// Opens every key's private half with `master`, as the server will at start.
fn check_keys_open(keys: &[KeyRecord], master: &MasterKey) -> Result<(), CliError> {
    for key in keys {
        // A ring of this key alone, made active, makes the ring open and check it.
        let mut alone = key.clone();
        alone.state = KeyState::Active;
        alone.activates_at = Timestamp::EPOCH;
        alone.retired_at = None;
        KeyRing::load(&[alone], master, Timestamp::EPOCH).map_err(|err| {
            CliError::usage(format!(
                "signing key {} does not open with the target's master key ({err}); nothing \
                 was imported",
                key.kid
            ))
            .with_code("master_key_mismatch")
            .with_hint(
                "the target must use the source's master key: TESSERA_MASTER_KEY, \
                 TESSERA_MASTER_KEY_FILE or its master.key file",
            )
        })?;
    }
    Ok(())
}

fn print_report(report: &ImportReport) -> Result<(), CliError> {
    let mut text = format!(
        "imported {} users, {} clients, {} signing keys and {} revocations",
        report.users, report.clients, report.keys, report.revocations
    );
    if !report.skipped.is_empty() {
        let names: Vec<String> = report
            .skipped
            .iter()
            .take(5)
            .map(ToString::to_string)
            .collect();
        let more = report.skipped.len().saturating_sub(5);
        let named = if more > 0 {
            format!("{} and {more} more", names.join(", "))
        } else {
            names.join(", ")
        };
        text.push_str(&format!(
            "; kept the target's {named} ({} in all)",
            report.skipped.len()
        ));
    }
    for kid in &report.retired {
        text.push_str(&format!(
            "\nretired {kid}, the signing key this new deployment made on its first start"
        ));
    }
    commands::print(&text)
}
