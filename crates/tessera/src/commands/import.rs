//! `tessera import`: loads a `tessera export` document into this deployment's store.
//!
//! All or nothing from the user's point of view: the document is parsed and checked in
//! full, every signing key is unsealed with the target's master key, and the target is
//! searched for records that would clash, all before the first write. The Store trait has
//! no transaction spanning tables, so a write that fails half-way (the database went away)
//! undoes the writes already made before reporting.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;
use tessera_core::keys::{KeyRing, parse_alg};
use tessera_core::model::{Client, KeyRecord, KeyState, User};
use tessera_core::{MasterKey, Store, StoreError};
use tessera_jose::{Jwk, b64};
use tessera_server::config::{MasterKeySource, Settings};

use crate::cli::GlobalArgs;
use crate::commands::export::{ClientEntry, Document, FORMAT, KeyEntry, UserEntry, now};
use crate::commands::{self, admin};
use crate::error::CliError;

/// How many clashing records an error names before "and N more".
const NAMED_CONFLICTS: usize = 5;

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

/// The document turned into store records, checked.
struct Records {
    users: Vec<User>,
    clients: Vec<Client>,
    keys: Vec<KeyRecord>,
    revocations: Vec<(String, i64)>,
}

/// What the import did.
#[derive(Default)]
struct Outcome {
    users: usize,
    clients: usize,
    keys: usize,
    revocations: usize,
    skipped: Vec<String>,
    retired_placeholders: Vec<String>,
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
    let records = records(document).map_err(|err| err.context(&origin))?;
    if !records.keys.is_empty() {
        check_keys_open(&records.keys, &target_master_key(global)?)?;
    }
    let skip = args.skip_existing;
    let outcome = admin::with_deployment(global, |d| async move {
        let records = without_existing(d.store(), records, skip).await?;
        let mut outcome = write_all(d.store(), &records.0).await?;
        outcome.skipped = records.1;
        if d.first_start && records.0.keys.iter().any(|k| k.state == KeyState::Active) {
            outcome.retired_placeholders = retire_others(d.store(), &records.0.keys).await?;
        }
        Ok(outcome)
    })?;
    report(&outcome)
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
fn records(document: Document) -> Result<Records, CliError> {
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
        revocations.push((entry.jti, entry.exp));
    }
    Ok(Records {
        users,
        clients,
        keys,
        revocations,
    })
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
    })
}

fn key(entry: KeyEntry) -> Result<KeyRecord, CliError> {
    let bad = |why: &str| malformed(format!("signing key {}: {why}", entry.kid));
    parse_alg(&entry.alg).map_err(|err| bad(&err.to_string()))?;
    Jwk::from_json(entry.public_jwk.as_bytes()).map_err(|_| bad("public_jwk is not a JWK"))?;
    let private_sealed = b64::decode(entry.private_sealed.as_bytes())
        .ok_or_else(|| bad("private_sealed is not base64url"))?;
    Ok(KeyRecord {
        kid: entry.kid,
        alg: entry.alg,
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
        alone.activates_at = 0;
        alone.retired_at = None;
        KeyRing::load(&[alone], master, 0).map_err(|err| {
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

/// Finds the records the target already has: refused, or with `skip` left out (their
/// names returned).
async fn without_existing<S: Store>(
    store: &S,
    mut records: Records,
    skip: bool,
) -> Result<(Records, Vec<String>), CliError> {
    let users = store.list_users().await.map_err(store_error)?;
    let ids: HashSet<String> = users.iter().map(|u| u.id.clone()).collect();
    let names: HashSet<String> = users.iter().map(|u| u.username.to_lowercase()).collect();
    let clients: HashSet<String> = (store.list_clients().await.map_err(store_error)?)
        .into_iter()
        .map(|c| c.id)
        .collect();
    let kids: HashSet<String> = (store.all_keys().await.map_err(store_error)?)
        .into_iter()
        .map(|k| k.kid)
        .collect();
    let mut clashes = Vec::new();
    records.users.retain(|u| {
        let clash = ids.contains(&u.id) || names.contains(&u.username.to_lowercase());
        if clash {
            clashes.push(format!("user {}", u.username));
        }
        !clash
    });
    records.clients.retain(|c| {
        let clash = clients.contains(&c.id);
        if clash {
            clashes.push(format!("client {} ({})", c.id, c.name));
        }
        !clash
    });
    records.keys.retain(|k| {
        let clash = kids.contains(&k.kid);
        if clash {
            clashes.push(format!("signing key {}", k.kid));
        }
        !clash
    });
    if clashes.is_empty() || skip {
        return Ok((records, clashes));
    }
    Err(CliError::rejected(format!(
        "the target already has {}; nothing was imported",
        named(&clashes)
    ))
    .with_code("conflict")
    .with_hint("import into a new deployment, or pass --skip-existing to keep the target's"))
}

/// "a, b, c and 4 more".
fn named(items: &[String]) -> String {
    let shown = items[..items.len().min(NAMED_CONFLICTS)].join(", ");
    match items.len().saturating_sub(NAMED_CONFLICTS) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn store_error(err: StoreError) -> CliError {
    CliError::usage(format!("the target store: {err}"))
        .with_hint("check --data-dir, --database-url and that the database answers")
}

/// Writes the records; on a failure, undoes what was written and reports it.
async fn write_all<S: Store>(store: &S, records: &Records) -> Result<Outcome, CliError> {
    let mut outcome = Outcome::default();
    let result = write(store, records, &mut outcome).await;
    let Err(err) = result else {
        return Ok(outcome);
    };
    let undone = undo(store, records, &outcome).await;
    let message = format!("the import failed while writing ({err})");
    Err(CliError::usage(if undone {
        format!("{message}; what it had written was removed")
    } else {
        format!("{message}; removing what it had written failed too, check the target")
    })
    .with_hint("fix the database and run the import again"))
}

async fn write<S: Store>(
    store: &S,
    records: &Records,
    outcome: &mut Outcome,
) -> Result<(), StoreError> {
    let total = records.users.len();
    for user in &records.users {
        store.create_user(user).await?;
        outcome.users += 1;
        if total >= 10_000 && outcome.users.is_multiple_of(10_000) {
            eprintln!("import: {} of {total} users", outcome.users);
        }
    }
    for client in &records.clients {
        store.create_client(client).await?;
        outcome.clients += 1;
    }
    for key in &records.keys {
        store.insert_key(key).await?;
        outcome.keys += 1;
    }
    for (jti, exp) in &records.revocations {
        store.revoke_jti(jti, *exp).await?;
        outcome.revocations += 1;
    }
    Ok(())
}

/// Removes the users and clients written, and retires the keys written (keys cannot be
/// deleted). Revocations are left: an extra revoked jti does no harm. True if all went.
async fn undo<S: Store>(store: &S, records: &Records, outcome: &Outcome) -> bool {
    let mut clean = true;
    for user in &records.users[..outcome.users] {
        clean &= store.delete_user(&user.id).await.is_ok();
    }
    for client in &records.clients[..outcome.clients] {
        clean &= store.delete_client(&client.id).await.is_ok();
    }
    for key in &records.keys[..outcome.keys] {
        clean &= (store
            .set_key_state(&key.kid, KeyState::Retired, now())
            .await)
            .is_ok();
    }
    clean
}

/// Retires the live keys that are not among `imported`: the placeholder a first start made.
async fn retire_others<S: Store>(
    store: &S,
    imported: &[KeyRecord],
) -> Result<Vec<String>, CliError> {
    let mut retired = Vec::new();
    for key in store.live_keys().await.map_err(store_error)? {
        if imported.iter().any(|k| k.kid == key.kid) {
            continue;
        }
        store
            .set_key_state(&key.kid, KeyState::Retired, now())
            .await
            .map_err(store_error)?;
        retired.push(key.kid);
    }
    Ok(retired)
}

fn report(outcome: &Outcome) -> Result<(), CliError> {
    let mut text = format!(
        "imported {} users, {} clients, {} signing keys and {} revocations",
        outcome.users, outcome.clients, outcome.keys, outcome.revocations
    );
    if !outcome.skipped.is_empty() {
        text.push_str(&format!(
            "; kept the target's {} ({} in all)",
            named(&outcome.skipped),
            outcome.skipped.len()
        ));
    }
    for kid in &outcome.retired_placeholders {
        text.push_str(&format!(
            "\nretired {kid}, the signing key this new deployment made on its first start"
        ));
    }
    commands::print(&text)
}
