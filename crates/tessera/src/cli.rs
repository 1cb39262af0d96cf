//! The command tree of `tessera`, as DESIGN.md fixes it, with its help texts.
//!
//! The global flags (`--data-dir`, `--database-url`, `--config`) are accepted by every
//! command, but the offline token tools' help leaves them out: those tools never read a store.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use tessera_jose::Algorithm;
use tessera_jose::jwe::{ContentEncryption, EcdhCurve, KeyAlgorithm};

use tessera_server::config::duration;

mod help;

/// `tessera`: the auth server and its token tools.
#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = help::TESSERA_ABOUT,
    long_about = help::TESSERA_LONG,
    after_help = help::TESSERA_EXAMPLES,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    /// Flags shared by every command.
    #[command(flatten, next_help_heading = "Global options")]
    pub(crate) global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// Parses the process's arguments (exits with clap's message and code 2 on bad usage).
    pub(crate) fn parse_args() -> Self {
        let matches = Self::command_with_help().get_matches();
        Self::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
    }

    /// The command tree as `--help` shows it: the store flags are hidden from the tools that
    /// never open a store (the token tools, `keys generate`, `login`), and accepted there all
    /// the same (scripts may pass them anywhere).
    pub(crate) fn command_with_help() -> clap::Command {
        let top = Self::command();
        let hidden: Vec<Arg> = top
            .get_arguments()
            .filter(|arg| arg.is_global_set())
            .map(|arg| arg.clone().hide(true))
            .collect();
        // clap copies a global flag into a subcommand only where the subcommand lacks one of
        // that name, so a hidden copy placed first is the one that subcommand (and its own
        // subcommands) show.
        let hide = |cmd: clap::Command| cmd.args(hidden.clone());
        top.mut_subcommand("token", hide)
            .mut_subcommand("jws", hide)
            .mut_subcommand("jwe", hide)
            .mut_subcommand("login", hide)
            .mut_subcommand("keys", |keys| keys.mut_subcommand("generate", hide))
    }
}

/// Flags shared by every command; the server commands read them.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Directory for the database, the master key file and other state.
    #[arg(
        long,
        env = "TESSERA_DATA_DIR",
        default_value = "./tessera-data",
        global = true,
        value_name = "DIR",
        hide_env_values = true
    )]
    pub(crate) data_dir: PathBuf,
    /// Database URL, sqlite://… or postgres://… [default: a SQLite file in the data dir]
    #[arg(
        long,
        env = "TESSERA_DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) database_url: Option<String>,
    /// Configuration file (TOML).
    #[arg(
        long,
        env = "TESSERA_CONFIG",
        global = true,
        value_name = "FILE",
        hide_env_values = true
    )]
    pub(crate) config: Option<PathBuf>,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate keys; list, rotate and retire the deployment's signing keys.
    #[command(long_about = help::KEYS_LONG, after_help = help::KEYS_EXAMPLES)]
    Keys {
        /// The keys command to run.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Decode, verify and sign JWTs.
    #[command(long_about = help::TOKEN_LONG, after_help = help::TOKEN_EXAMPLES)]
    Token {
        /// The token command to run.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Verify raw JWS objects (signature only).
    #[command(long_about = help::JWS_LONG, after_help = help::JWS_EXAMPLES)]
    Jws {
        /// The jws command to run.
        #[command(subcommand)]
        command: JwsCommand,
    },
    /// Encrypt and decrypt JWE objects (RFC 7516 compact).
    #[command(long_about = help::JWE_LONG, after_help = help::JWE_EXAMPLES)]
    Jwe {
        /// The jwe command to run.
        #[command(subcommand)]
        command: JweCommand,
    },
    /// Run the auth server (HTTP API, sign-in pages, JWKS, revocation feed).
    #[command(
        long_about = crate::commands::serve::SERVE_LONG,
        after_help = crate::commands::serve::SERVE_EXAMPLES
    )]
    Serve(crate::commands::serve::ServeArgs),
    /// Create the deployment's store without serving (serve does it on first start).
    #[command(
        long_about = crate::commands::init::INIT_LONG,
        after_help = crate::commands::init::INIT_EXAMPLES
    )]
    Init(crate::commands::init::InitArgs),
    /// Manage accounts in the deployment's store (the running server sees changes at once).
    #[command(
        long_about = crate::commands::user::USER_LONG,
        after_help = crate::commands::user::USER_EXAMPLES
    )]
    User {
        /// The user command to run.
        #[command(subcommand)]
        command: crate::commands::user::UserCommand,
    },
    /// Apply the database's pending schema migrations (--check: only list them).
    #[command(
        long_about = crate::commands::migrate::MIGRATE_LONG,
        after_help = crate::commands::migrate::MIGRATE_EXAMPLES
    )]
    Migrate(crate::commands::migrate::MigrateArgs),
    /// Manage OAuth clients in the deployment's store (the running server sees them at once).
    #[command(
        long_about = crate::commands::client::CLIENT_LONG,
        after_help = crate::commands::client::CLIENT_EXAMPLES
    )]
    Client {
        /// The client command to run.
        #[command(subcommand)]
        command: crate::commands::client::ClientCommand,
    },
    /// Write users, clients and signing keys to a JSON document (to move to another store).
    #[command(
        long_about = crate::commands::export::EXPORT_LONG,
        after_help = crate::commands::export::EXPORT_EXAMPLES
    )]
    Export(crate::commands::export::ExportArgs),
    /// Load a `tessera export` document into this deployment's store.
    #[command(
        long_about = crate::commands::import::IMPORT_LONG,
        after_help = crate::commands::import::IMPORT_EXAMPLES
    )]
    Import(crate::commands::import::ImportArgs),
    /// Print the audit trail: sign-ins, lock-outs, logouts, replays and admin changes.
    #[command(
        long_about = crate::commands::events::EVENTS_LONG,
        after_help = crate::commands::events::EVENTS_EXAMPLES
    )]
    Events(crate::commands::events::EventsArgs),
    /// Manage the receivers of security events (signed SETs pushed to webhooks).
    #[command(
        long_about = crate::commands::webhook::WEBHOOK_LONG,
        after_help = crate::commands::webhook::WEBHOOK_EXAMPLES
    )]
    Webhook {
        /// The webhook command to run.
        #[command(subcommand)]
        command: crate::commands::webhook::WebhookCommand,
    },
    /// Copy the SQLite store into a new file while the server runs (a consistent snapshot).
    #[command(
        long_about = crate::commands::backup::BACKUP_LONG,
        after_help = crate::commands::backup::BACKUP_EXAMPLES
    )]
    Backup(crate::commands::backup::BackupArgs),
    /// Put a `tessera backup` file in place of the SQLite store (the server stopped).
    #[command(
        long_about = crate::commands::backup::RESTORE_LONG,
        after_help = crate::commands::backup::RESTORE_EXAMPLES
    )]
    Restore(crate::commands::backup::RestoreArgs),
    /// Check a deployment: settings, database, master key, signing keys, issuer, TLS, clock.
    #[command(
        long_about = crate::commands::doctor::DOCTOR_LONG,
        after_help = crate::commands::doctor::DOCTOR_EXAMPLES
    )]
    Doctor(crate::commands::doctor::DoctorArgs),
    /// Sign in from a terminal with the device grant (a code to approve in a browser); with
    /// --print-token, print a fresh access token.
    #[command(
        long_about = crate::commands::login::LOGIN_LONG,
        after_help = crate::commands::login::LOGIN_EXAMPLES
    )]
    Login(crate::commands::login::LoginArgs),
}

/// `tessera keys …`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Print a new key as a JWK (offline; nothing is stored).
    #[command(long_about = help::GENERATE_LONG, after_help = help::GENERATE_EXAMPLES)]
    Generate(GenerateArgs),
    /// List the signing keys in the deployment's store (kid, alg, state, times).
    #[command(after_help = "Examples:\n  tessera keys list\n  tessera keys list --json")]
    List(crate::commands::keys::ListArgs),
    /// Rotate now: a new key signs at once, the previous one starts retiring.
    #[command(after_help = "Examples:\n  tessera keys rotate\n  tessera keys rotate --alg ES256")]
    Rotate(crate::commands::keys::RotateArgs),
    /// Retire a key at once: it leaves the JWKS and its tokens stop verifying.
    #[command(after_help = "Example:\n  tessera keys retire 3J9xZ…")]
    Retire(crate::commands::keys::RetireArgs),
}

/// `tessera token …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Show a token's header and claims, UNVERIFIED, with warnings.
    #[command(long_about = help::DECODE_LONG, after_help = help::DECODE_EXAMPLES)]
    Decode(DecodeArgs),
    /// Verify a token's signature and claims; print the claims.
    #[command(long_about = help::VERIFY_LONG, after_help = help::VERIFY_EXAMPLES)]
    Verify(VerifyArgs),
    /// Sign claims into a compact JWT.
    #[command(long_about = help::SIGN_LONG, after_help = help::SIGN_EXAMPLES)]
    Sign(SignArgs),
}

/// `tessera jws …`.
#[derive(Debug, Subcommand)]
pub(crate) enum JwsCommand {
    /// Verify a compact JWS and print its payload bytes.
    #[command(long_about = help::JWS_VERIFY_LONG, after_help = help::JWS_VERIFY_EXAMPLES)]
    Verify(JwsVerifyArgs),
}

/// `tessera jwe …`.
#[derive(Debug, Subcommand)]
pub(crate) enum JweCommand {
    /// Encrypt a payload to a recipient's public key (or a shared secret).
    #[command(long_about = help::JWE_ENCRYPT_LONG, after_help = help::JWE_ENCRYPT_EXAMPLES)]
    Encrypt(JweEncryptArgs),
    /// Decrypt a compact JWE and print its plaintext bytes.
    #[command(long_about = help::JWE_DECRYPT_LONG, after_help = help::JWE_DECRYPT_EXAMPLES)]
    Decrypt(JweDecryptArgs),
    /// Print a new encryption key as a JWK (offline; nothing is stored).
    #[command(long_about = help::JWE_GENERATE_LONG, after_help = help::JWE_GENERATE_EXAMPLES)]
    Generate(JweGenerateArgs),
}

/// Arguments of `tessera jwe generate`.
#[derive(Debug, Args)]
pub(crate) struct JweGenerateArgs {
    /// The key management algorithm the key is for.
    #[arg(long, value_name = "ALG", value_parser = parse_jwe_alg)]
    pub(crate) alg: KeyAlgorithm,
    /// The curve of an ECDH-ES key: P-256, P-384 or X25519.
    #[arg(long, value_name = "CURVE", value_parser = parse_curve, default_value = "P-256")]
    pub(crate) curve: EcdhCurve,
    /// The content encryption a dir key serves (its length follows from it).
    #[arg(long, value_name = "ENC", value_parser = parse_enc)]
    pub(crate) enc: Option<ContentEncryption>,
    /// Print only the public half (not possible for shared secrets).
    #[arg(long)]
    pub(crate) public: bool,
}

/// Arguments of `tessera jwe encrypt`.
#[derive(Debug, Args)]
pub(crate) struct JweEncryptArgs {
    /// The payload; `-` or nothing reads it from stdin (bytes, unchanged).
    #[arg(value_name = "PAYLOAD")]
    pub(crate) payload: Option<String>,
    /// The recipient's key.
    #[command(flatten)]
    pub(crate) key: JweKeyArgs,
    /// Key management: RSA-OAEP-256, RSA-OAEP, ECDH-ES, ECDH-ES+A128KW, ECDH-ES+A256KW,
    /// A128KW, A256KW or dir.
    #[arg(long, value_name = "ALG", value_parser = parse_jwe_alg)]
    pub(crate) alg: KeyAlgorithm,
    /// Content encryption: A128GCM, A256GCM, A128CBC-HS256 or A256CBC-HS512.
    #[arg(long, value_name = "ENC", value_parser = parse_enc)]
    pub(crate) enc: ContentEncryption,
    /// The header cty (JWT for a signed token inside).
    #[arg(long, value_name = "CTY")]
    pub(crate) cty: Option<String>,
}

/// Exactly one source of the recipient's key.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct JweKeyArgs {
    /// One key: a JWK file (public, or private: only its public half is used).
    #[arg(long, value_name = "FILE")]
    pub(crate) jwk: Option<PathBuf>,
    /// A JWK Set file (a client's jwks): the first encryption key that fits --alg.
    #[arg(long, value_name = "FILE")]
    pub(crate) jwks: Option<PathBuf>,
}

/// Arguments of `tessera jwe decrypt`.
#[derive(Debug, Args)]
pub(crate) struct JweDecryptArgs {
    /// The compact JWE; `-` or nothing reads it from stdin.
    #[arg(value_name = "JWE")]
    pub(crate) jwe: Option<String>,
    /// The private key (or shared secret) as a JWK file.
    #[arg(long, value_name = "FILE")]
    pub(crate) jwk: PathBuf,
}

/// Arguments of `tessera token decode`.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The token; `-` or nothing reads it from stdin.
    #[arg(value_name = "TOKEN")]
    pub(crate) token: Option<String>,
    /// Print one JSON object (header, claims, warnings) instead of the report.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Arguments of `tessera token verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The token; `-` or nothing reads it from stdin.
    #[arg(value_name = "TOKEN")]
    pub(crate) token: Option<String>,
    /// Where the trusted keys come from.
    #[command(flatten)]
    pub(crate) source: KeySourceArgs,
    /// Require this issuer (`iss`).
    #[arg(long, value_name = "ISSUER")]
    pub(crate) iss: Option<String>,
    /// Require this audience in `aud`.
    #[arg(long, value_name = "AUDIENCE")]
    pub(crate) aud: Option<String>,
    /// Allow this algorithm (repeat to allow several); the key's own algorithm by default.
    #[arg(long, value_name = "ALG", value_parser = parse_alg)]
    pub(crate) alg: Vec<Algorithm>,
    /// Clock-skew allowance for exp, nbf and iat: seconds, or 30s, 2m… (at most 1d).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse_leeway)]
    pub(crate) leeway: Option<Duration>,
    /// Require this header `typ` (for example at+jwt for RFC 9068 access tokens).
    #[arg(long, value_name = "TYP")]
    pub(crate) typ: Option<String>,
    /// The token is a nested JWT (a JWE around the signed token): decrypt it first with this
    /// private key (a JWK file).
    #[arg(long, value_name = "FILE")]
    pub(crate) jwe_key: Option<PathBuf>,
}

/// Exactly one source of verification keys.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct KeySourceArgs {
    /// A JWK Set file, or its https URL (plain http only for loopback hosts).
    #[arg(long, value_name = "FILE|URL")]
    pub(crate) jwks: Option<String>,
    /// One key: a PEM (public or private) or a JWK file.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// A file holding a raw HMAC secret (HS256 unless --alg HS384 or HS512).
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
}

/// Arguments of `tessera token sign`.
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The private key: a PEM or JWK file.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// The algorithm, when not the key's own (PS256 with an RSA key, for example).
    #[arg(long, value_name = "ALG", value_parser = parse_alg)]
    pub(crate) alg: Option<Algorithm>,
    /// The header kid [default: the JWK's kid, else the key's RFC 7638 thumbprint]
    #[arg(long, value_name = "KID")]
    pub(crate) kid: Option<String>,
    /// The claims: a JSON object, or @FILE to read it from a file (@- for stdin).
    #[arg(long, value_name = "JSON|@FILE")]
    pub(crate) claims: String,
    /// Lifetime, used for exp when the claims have none: 30s, 15m, 2h, 7d…
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = duration::parse)]
    pub(crate) ttl: Duration,
    /// Encrypt the signed token to this recipient key (a JWK file, public or private): a
    /// nested JWT with cty JWT. The key decides the alg (its JWK alg, else RSA-OAEP-256 for
    /// RSA, ECDH-ES for EC and X25519, A128KW/A256KW for secrets).
    #[arg(long, value_name = "FILE")]
    pub(crate) jwe_key: Option<PathBuf>,
    /// Content encryption of the nested JWT.
    #[arg(long, value_name = "ENC", value_parser = parse_enc, default_value = "A256GCM", requires = "jwe_key")]
    pub(crate) jwe_enc: ContentEncryption,
}

/// Arguments of `tessera jws verify`.
#[derive(Debug, Args)]
pub(crate) struct JwsVerifyArgs {
    /// The compact JWS; `-` or nothing reads it from stdin.
    #[arg(value_name = "JWS")]
    pub(crate) jws: Option<String>,
    /// The verification key: a JWK file (PEM also accepted).
    #[arg(long, value_name = "FILE")]
    pub(crate) jwk: PathBuf,
    /// The algorithm, when not the key's own.
    #[arg(long, value_name = "ALG", value_parser = parse_alg)]
    pub(crate) alg: Option<Algorithm>,
}

/// Arguments of `tessera keys generate`.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// The algorithm the key is for.
    #[arg(long, value_name = "ALG", value_parser = parse_alg)]
    pub(crate) alg: Algorithm,
    /// Print only the public half (not possible for HS* secrets).
    #[arg(long)]
    pub(crate) public: bool,
    /// Output format; pem is for RSA, EC and Ed25519 keys.
    #[arg(long, value_enum, default_value_t = KeyFormat::Jwk)]
    pub(crate) format: KeyFormat,
    /// The kid [default: the RFC 7638 thumbprint]
    #[arg(long, value_name = "KID")]
    pub(crate) kid: Option<String>,
    /// RSA modulus size: 2048, 3072 or 4096 (RS* and PS* only) [default: 2048]
    #[arg(long, value_name = "BITS")]
    pub(crate) bits: Option<usize>,
}

/// How `keys generate` prints a key.
#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum KeyFormat {
    /// A JSON Web Key.
    Jwk,
    /// PKCS#8 (private) or SPKI (public) PEM.
    Pem,
}

/// Parses a JWE `alg` name exactly as RFC 7518 spells it.
fn parse_jwe_alg(name: &str) -> Result<KeyAlgorithm, String> {
    name.parse().map_err(|err: tessera_jose::Error| {
        let names: Vec<&str> = KeyAlgorithm::ALL.iter().map(|alg| alg.as_str()).collect();
        let why = if err.code() == "alg_insecure" {
            "RSA1_5 is refused: it allows padding-oracle attacks"
        } else {
            "unknown JWE algorithm"
        };
        format!(
            "{why} {name:?}; use one of {} (case matters)",
            names.join(", ")
        )
    })
}

/// Parses an ECDH curve name.
fn parse_curve(name: &str) -> Result<EcdhCurve, String> {
    [EcdhCurve::P256, EcdhCurve::P384, EcdhCurve::X25519]
        .into_iter()
        .find(|curve| curve.name() == name)
        .ok_or_else(|| format!("unknown curve {name:?}; use P-256, P-384 or X25519"))
}

/// Parses a JWE `enc` name.
fn parse_enc(name: &str) -> Result<ContentEncryption, String> {
    name.parse().map_err(|_| {
        let names: Vec<&str> = ContentEncryption::ALL
            .iter()
            .map(|enc| enc.as_str())
            .collect();
        format!(
            "unknown content encryption {name:?}; use one of {}",
            names.join(", ")
        )
    })
}

/// Parses an `alg` name exactly as RFC 7518 spells it.
fn parse_alg(name: &str) -> Result<Algorithm, String> {
    name.parse().map_err(|_| {
        let names: Vec<&str> = Algorithm::ALL.iter().map(|alg| alg.as_str()).collect();
        format!(
            "unknown algorithm {name:?}; use one of {} (case matters; `none` is never accepted)",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
        Cli::command_with_help().debug_assert();
    }

    #[test]
    fn algorithm_names_are_exact() {
        assert_eq!(parse_alg("ES256"), Ok(Algorithm::ES256));
        assert!(parse_alg("es256").is_err());
        assert!(parse_alg("none").is_err());
    }
}
