//! Opening a deployment: the data dir, the master key, the database and the first signing key.
//!
//! [`Deployment::open`] is what `tessera serve` and the offline admin commands (`tessera
//! user …`, `client …`, `keys list|rotate|retire`) all start with. With SQLite in WAL mode
//! an admin command may open the same deployment while the server runs; with PostgreSQL any
//! number of servers and admin commands share the database. [`pending_migrations`] and
//! [`migrate`] are what `tessera migrate` runs.
//!
//! # Examples
//!
//! ```no_run
//! use tessera_server::config::Settings;
//! use tessera_server::deployment::Deployment;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = Settings::defaults("./tessera-data")?;
//! let deployment = Deployment::open(&settings).await?;
//! if deployment.first_start {
//!     println!("created a new deployment in {}", settings.data_dir.display());
//! }
//! let jwks = deployment.authority().jwks_json();
//! # let _ = jwks;
//! # Ok(())
//! # }
//! ```

pub mod backup;
mod master;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tessera_core::events::EventSink;
use tessera_core::keys::KeyRingError;
use tessera_core::seal::SealError;
use tessera_core::{Authority, InternalError, MasterKey, StartError, StoreError, SystemClock};
use tessera_store::AnyStore;

pub use tessera_store::Migration;

use crate::config::{DatabaseUrl, MasterKeySource, Settings};

/// The store behind a deployment: SQLite or PostgreSQL, as `database.url` says.
pub type AppStore = AnyStore;

/// The authority of a deployment, shared by the HTTP handlers and background tasks.
pub type AppAuthority = Authority<AppStore>;

/// A started deployment: settings, store and authority with a loaded key ring.
#[derive(Debug)]
pub struct Deployment {
    settings: Settings,
    authority: Arc<AppAuthority>,
    /// The authority's store, kept to close it (the authority shares it; nothing else here
    /// reads or writes through it).
    store: AppStore,
    /// True when this open created the deployment's first signing key (a new database).
    pub first_start: bool,
}

/// Why a deployment could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum DeploymentError {
    /// The settings cannot be used as they are. The CLI exits 2.
    Config(String),
    /// The data directory or a file in it cannot be created or read.
    Io {
        /// What was being done, with the path.
        what: String,
        /// The cause.
        source: io::Error,
    },
    /// The master key is missing, malformed, or not the one the stored keys were sealed with.
    MasterKey(String),
    /// The database cannot be opened or is not a Tessera database this version can use.
    Store(StoreError),
    /// The authority refused to start (bad settings, undecryptable keys).
    Authority(StartError),
    /// There is no store where the settings point, and this command may not create one: only
    /// `serve`, `init`, `migrate` and `import` create a store, so that an admin command run
    /// in the wrong directory does not quietly make an empty one.
    NoStore(PathBuf),
    /// Another server already serves from this data directory (its process id, when known).
    Busy {
        /// The data directory.
        data_dir: PathBuf,
        /// The other server's process id.
        pid: Option<u32>,
    },
}

impl fmt::Display for DeploymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(why) | Self::MasterKey(why) => f.write_str(why),
            Self::Io { what, source } => write!(f, "{what}: {source}"),
            Self::Store(err) => {
                write!(
                    f,
                    "cannot open the database: {}",
                    crate::http::error::chain(err)
                )
            }
            Self::Authority(err) => {
                write!(f, "cannot start: {}", crate::http::error::chain(err))
            }
            Self::NoStore(path) => write!(
                f,
                "no Tessera store at {}; run the command where the server runs, or pass \
                 --data-dir (tessera init creates a new one)",
                path.display()
            ),
            Self::Busy { data_dir, pid } => {
                write!(f, "another tessera serve ")?;
                if let Some(pid) = pid {
                    write!(f, "(process {pid}) ")?;
                }
                write!(
                    f,
                    "already serves from {}; stop it, or give this one its own --data-dir",
                    data_dir.display()
                )
            }
        }
    }
}

impl std::error::Error for DeploymentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Store(err) => Some(err),
            Self::Authority(err) => Some(err),
            _ => None,
        }
    }
}

impl From<StoreError> for DeploymentError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl Deployment {
    /// Opens the deployment the settings describe:
    /// 1. creates the data directory (mode 0700) if it is missing;
    /// 2. opens the store, creating the database and running migrations (SQLite: the
    ///    `database.url`, or `<data-dir>/tessera.db`; PostgreSQL: a `postgres://` URL, the
    ///    migrations run under an advisory lock);
    /// 3. loads the master key: `TESSERA_MASTER_KEY`, `TESSERA_MASTER_KEY_FILE`, or
    ///    `<data-dir>/master.key`, which is created (mode 0600) for a new database, and must
    ///    exist for one that already holds keys;
    /// 4. starts the [`Authority`], which applies any due key rotation and, on first start,
    ///    creates the first signing key.
    ///
    /// The master key is never logged or shown in an error.
    ///
    /// # Errors
    /// [`DeploymentError`] saying which step failed and what to do.
    pub async fn open(settings: &Settings) -> Result<Self, DeploymentError> {
        Self::start(settings, None).await
    }

    /// Opens a deployment that must exist already: as [`Deployment::open`], but a missing
    /// SQLite database file is [`DeploymentError::NoStore`] (with its absolute path) instead
    /// of a new, empty store. The admin commands open their deployment this way.
    ///
    /// # Errors
    /// As [`Deployment::open`], and [`DeploymentError::NoStore`].
    pub async fn open_existing(settings: &Settings) -> Result<Self, DeploymentError> {
        if let DatabaseUrl::SqliteFile(path) = &settings.database.url
            && !path.exists()
        {
            return Err(DeploymentError::NoStore(absolute(path)));
        }
        Self::start(settings, None).await
    }

    /// Opens the deployment as [`Deployment::open`] does, with `events` receiving the
    /// authority's security events (failed logins, refresh-token replays…) from the start.
    /// `tessera serve` passes its logging, counting sink here.
    ///
    /// # Errors
    /// As [`Deployment::open`].
    pub async fn open_with_events(
        settings: &Settings,
        events: Arc<dyn EventSink>,
    ) -> Result<Self, DeploymentError> {
        Self::start(settings, Some(events)).await
    }

    async fn start(
        settings: &Settings,
        events: Option<Arc<dyn EventSink>>,
    ) -> Result<Self, DeploymentError> {
        create_private_dir(&settings.data_dir)?;
        let store = open_store(settings).await?;
        let first_start = AppAuthority::is_new_deployment(&store).await?;
        let master = load_master_key(&settings.master_key, first_start)?;
        let mut authority = Authority::start(
            settings.to_authority_config(),
            store.clone(),
            master,
            Arc::new(SystemClock),
        )
        .await
        .map_err(|err| start_error(err, &settings.master_key))?;
        if let Some(events) = events {
            authority = authority.with_events(events);
        }
        Ok(Self {
            settings: settings.clone(),
            authority: Arc::new(authority),
            store,
            first_start,
        })
    }

    /// The authority, to share with handlers and background tasks.
    pub fn authority(&self) -> &Arc<AppAuthority> {
        &self.authority
    }

    /// The settings the deployment was opened with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Closes the store's connections (waits for pending writes to commit). The authority
    /// must not be used afterwards.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// `path` made absolute against the working directory (for messages).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// Holds the data directory for one server: an exclusive lock on `<data-dir>/serve.lock`,
/// which holds the server's process id, released when the process ends (even by a crash).
/// Two servers on one SQLite file would each cache what the other changes.
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
}

impl DataDirLock {
    /// Takes the lock, creating the data directory (0700) when missing.
    ///
    /// # Errors
    /// [`DeploymentError::Busy`] naming the other server's process id;
    /// [`DeploymentError::Io`] when the lock file cannot be made.
    pub fn take(data_dir: &Path) -> Result<Self, DeploymentError> {
        use std::io::{Read as _, Seek as _, Write as _};
        create_private_dir(data_dir)?;
        let path = data_dir.join("serve.lock");
        let io = |what: &str, source| DeploymentError::Io {
            what: format!("{what} {}", path.display()),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io("cannot open", e))?;
        if file.try_lock().is_err() {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(DeploymentError::Busy {
                data_dir: absolute(data_dir),
                pid: text.trim().parse().ok(),
            });
        }
        file.set_len(0).map_err(|e| io("cannot write", e))?;
        file.rewind().map_err(|e| io("cannot write", e))?;
        writeln!(file, "{}", std::process::id()).map_err(|e| io("cannot write", e))?;
        Ok(Self { _file: file })
    }
}

/// Creates `dir` and its missing parents; a directory this creates is private (0700).
fn create_private_dir(dir: &Path) -> Result<(), DeploymentError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| DeploymentError::Io {
        what: format!(
            "cannot create the data directory {} (choose another with --data-dir)",
            dir.display()
        ),
        source,
    })
}

async fn open_store(settings: &Settings) -> Result<AppStore, DeploymentError> {
    let (location, options) = settings.database.store_location();
    Ok(AnyStore::open(&location, &options).await?)
}

/// The schema migrations the deployment's database lacks, oldest first. Nothing is
/// created or changed, not even a missing data dir or SQLite file.
///
/// # Errors
/// [`DeploymentError::Store`] when the database cannot be reached, or holds a schema this
/// version cannot bring up to date (for instance one migrated by a newer version).
pub async fn pending_migrations(settings: &Settings) -> Result<Vec<Migration>, DeploymentError> {
    let (location, options) = settings.database.store_location();
    Ok(AnyStore::pending_migrations(&location, &options).await?)
}

/// Applies the schema migrations the deployment's database lacks (creating the data dir and
/// the SQLite file if missing; on PostgreSQL under the advisory lock that instances starting
/// together also take), and answers which ones this call applied.
///
/// # Errors
/// As [`pending_migrations`], and [`DeploymentError::Io`] when the data dir cannot be made.
pub async fn migrate(settings: &Settings) -> Result<Vec<Migration>, DeploymentError> {
    if matches!(settings.database.url, DatabaseUrl::SqliteFile(_)) {
        create_private_dir(&settings.data_dir)?;
    }
    let (location, options) = settings.database.store_location();
    Ok(AnyStore::migrate(&location, &options).await?)
}

fn load_master_key(
    source: &MasterKeySource,
    first_start: bool,
) -> Result<MasterKey, DeploymentError> {
    match source {
        MasterKeySource::Given { key, .. } => master::copy(key),
        MasterKeySource::DataDirFile(path) => master::from_file(path, first_start),
    }
}

/// Explains a failed start; a key that does not open means the wrong master key.
fn start_error(err: StartError, source: &MasterKeySource) -> DeploymentError {
    let sealed = matches!(
        err,
        StartError::Internal(InternalError::Keys(KeyRingError::Seal(SealError::Open)))
    );
    if !sealed {
        return DeploymentError::Authority(err);
    }
    let origin: PathBuf = match source {
        MasterKeySource::Given { origin, .. } => PathBuf::from(origin),
        MasterKeySource::DataDirFile(path) => path.clone(),
    };
    DeploymentError::MasterKey(format!(
        "the stored signing keys do not open with the master key from {}; use the master key \
         this database was created with",
        origin.display()
    ))
}

#[cfg(all(test, unix))]
mod tests;
