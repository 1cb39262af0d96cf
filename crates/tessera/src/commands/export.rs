//! `tessera export`: users, clients, signing keys and live revocations as one versioned JSON
//! document, to move a deployment to another store (SQLite to PostgreSQL, or to a new host).
//!
//! The document holds no plaintext secret: passwords are Argon2id PHC strings, client
//! secrets SHA-256 digests, private keys sealed under the master key. It still holds
//! material an attacker could attack offline, so a file is written with mode 0600.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};
use tessera_core::model::{
    Client, ClientId, ClientWeb, Grant, Jti, KeyId, KeyRecord, KeyState, Timestamp, User, UserId,
};
use tessera_core::transfer::Snapshot;
use tessera_jose::b64;

use crate::cli::GlobalArgs;
use crate::commands::admin;
use crate::error::CliError;

/// The `format` of the documents this version writes and reads.
pub(crate) const FORMAT: &str = "tessera-export/1";

/// Progress is shown every this many records (so only for long lists).
const PROGRESS_EVERY: usize = 10_000;

/// Help text of `tessera export`.
pub(crate) const EXPORT_LONG: &str = "\
Write the deployment's users (with their Argon2id hashes, roles, disabled flag and ids),
clients (with hashed secrets, grants, scopes and audiences), signing keys and live access-token
revocations as one JSON document (\"format\": \"tessera-export/1\"), for `tessera import`.

No plaintext secret is written. The private signing keys stay sealed under this deployment's
master key, so the target must use the SAME master key: set TESSERA_MASTER_KEY (or
TESSERA_MASTER_KEY_FILE) there to the same value, or copy master.key from this data dir.
Sessions and refresh tokens are not exported: users log in again after the move.

The file is created with mode 0600 and never overwritten; without --output (or with `-`)
the document goes to stdout.";

/// Examples of `tessera export`.
pub(crate) const EXPORT_EXAMPLES: &str = "\
Examples:
  tessera export --output tessera-export.json
  tessera --data-dir /var/lib/tessera export > backup.json
  tessera export | TESSERA_MASTER_KEY_FILE=master.key \\
      tessera --database-url postgres://tessera@db/tessera import -";

/// Arguments of `tessera export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Where to write the document (created with mode 0600); `-` for stdout [default: stdout]
    #[arg(long, short, value_name = "FILE|-")]
    output: Option<PathBuf>,
}

/// The exported document.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Document {
    /// Always [`FORMAT`].
    pub(crate) format: String,
    /// When it was written.
    pub(crate) exported_at: Timestamp,
    /// Accounts.
    pub(crate) users: Vec<UserEntry>,
    /// OAuth clients.
    pub(crate) clients: Vec<ClientEntry>,
    /// Signing keys, every state, oldest first.
    pub(crate) keys: Vec<KeyEntry>,
    /// Access tokens revoked and not yet expired.
    #[serde(default)]
    pub(crate) revocations: Vec<RevocationEntry>,
}

/// One account.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserEntry {
    pub(crate) id: UserId,
    pub(crate) username: String,
    pub(crate) email: Option<String>,
    pub(crate) roles: Vec<String>,
    /// Argon2id PHC string (never the password).
    pub(crate) password_hash: String,
    pub(crate) disabled: bool,
    pub(crate) created_at: Timestamp,
    pub(crate) password_changed_at: Timestamp,
}

/// One client.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientEntry {
    pub(crate) id: ClientId,
    pub(crate) name: String,
    /// base64url of the secret's SHA-256 digest; absent for a public client.
    pub(crate) secret_sha256: Option<String>,
    pub(crate) grants: Vec<Grant>,
    pub(crate) scopes: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) created_at: Timestamp,
    /// Browser settings (redirect URIs, logout URIs, first party, origins); absent when the
    /// client has none, as in exports made before browser sign-in.
    #[serde(default, skip_serializing_if = "is_unset")]
    pub(crate) web: ClientWeb,
}

/// True for a client without browser settings.
fn is_unset(web: &ClientWeb) -> bool {
    *web == ClientWeb::default()
}

/// One signing key.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyEntry {
    pub(crate) kid: KeyId,
    pub(crate) alg: String,
    /// The public JWK as stored (JSON text).
    pub(crate) public_jwk: String,
    /// base64url of the private JWK sealed under the master key.
    pub(crate) private_sealed: String,
    pub(crate) state: KeyState,
    pub(crate) created_at: Timestamp,
    pub(crate) activates_at: Timestamp,
    pub(crate) retired_at: Option<Timestamp>,
}

/// One revoked access token.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevocationEntry {
    pub(crate) jti: Jti,
    pub(crate) exp: Timestamp,
}

/// Runs `tessera export`.
///
/// # Errors
/// Exit 2 for bad settings, a store that cannot be read, or an output that cannot be
/// written (an existing file is never overwritten).
pub(crate) fn run(global: &GlobalArgs, args: &ExportArgs) -> Result<(), CliError> {
    let target = args.output.as_ref().filter(|path| path.as_os_str() != "-");
    // Create the file first: a bad path should fail before a long read of the store.
    let sink: Box<dyn Write> = match target {
        Some(path) => Box::new(create_private(path)?),
        None => Box::new(io::stdout().lock()),
    };
    // Leave no empty or partial file behind to be mistaken for an export.
    let discard = || {
        if let Some(path) = target {
            let _ = std::fs::remove_file(path);
        }
    };
    let snapshot = admin::with_deployment(global, |d| async move {
        d.authority().export().await.map_err(CliError::from)
    })
    .inspect_err(|_| discard())?;
    let document = document(&snapshot);
    let mut out = BufWriter::new(sink);
    serde_json::to_writer_pretty(&mut out, &document)
        .map_err(io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|err| {
            discard();
            CliError::usage(format!("cannot write the export: {err}"))
        })?;
    eprintln!(
        "exported {} users, {} clients, {} signing keys and {} revocations{}; sessions and \
         refresh tokens are not exported (users log in again)",
        document.users.len(),
        document.clients.len(),
        document.keys.len(),
        document.revocations.len(),
        target.map_or(String::new(), |p| format!(" to {}", p.display())),
    );
    Ok(())
}

/// Creates `path` for writing, mode 0600, refusing to replace an existing file.
fn create_private(path: &std::path::Path) -> Result<std::fs::File, CliError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|err| {
        let error = CliError::usage(format!("cannot create {}: {err}", path.display()));
        if err.kind() == io::ErrorKind::AlreadyExists {
            error.with_hint("an export never replaces a file; remove it or choose another name")
        } else {
            error.with_hint("choose a writable path with --output")
        }
    })
}

/// The document of a snapshot.
fn document(snapshot: &Snapshot) -> Document {
    Document {
        format: FORMAT.to_owned(),
        exported_at: snapshot.taken_at,
        users: with_progress("users", &snapshot.users, user_entry),
        clients: with_progress("clients", &snapshot.clients, client_entry),
        keys: snapshot.keys.iter().map(key_entry).collect(),
        revocations: snapshot
            .revocations
            .iter()
            .map(|r| RevocationEntry {
                jti: r.jti.clone(),
                exp: r.exp,
            })
            .collect(),
    }
}

/// Converts `items`, reporting progress on stderr for long lists.
fn with_progress<T, E>(what: &str, items: &[T], convert: impl Fn(&T) -> E) -> Vec<E> {
    let show = items.len() >= PROGRESS_EVERY;
    let mut out = Vec::with_capacity(items.len());
    for (done, item) in items.iter().enumerate() {
        out.push(convert(item));
        if show && (done + 1).is_multiple_of(PROGRESS_EVERY) {
            eprintln!("export: {} of {} {what}", done + 1, items.len());
        }
    }
    out
}

fn user_entry(user: &User) -> UserEntry {
    UserEntry {
        id: user.id.clone(),
        username: user.username.clone(),
        email: user.email.clone(),
        roles: user.roles.clone(),
        password_hash: user.password_hash.clone(),
        disabled: user.disabled,
        created_at: user.created_at,
        password_changed_at: user.password_changed_at,
    }
}

fn client_entry(client: &Client) -> ClientEntry {
    ClientEntry {
        id: client.id.clone(),
        name: client.name.clone(),
        secret_sha256: client.secret_hash.as_deref().map(b64::encode),
        grants: client.grants.clone(),
        scopes: client.scopes.clone(),
        audiences: client.audiences.clone(),
        created_at: client.created_at,
        web: client.web.clone(),
    }
}

fn key_entry(key: &KeyRecord) -> KeyEntry {
    KeyEntry {
        kid: key.kid.clone(),
        alg: key.alg.as_str().to_owned(),
        public_jwk: key.public_jwk.clone(),
        private_sealed: b64::encode(&key.private_sealed),
        state: key.state,
        created_at: key.created_at,
        activates_at: key.activates_at,
        retired_at: key.retired_at,
    }
}
