//! `tessera serve`: loads the settings, opens the deployment and serves the HTTP API until
//! SIGTERM or Ctrl-C. Prints where it listens (and, on first start, how to create the first
//! user and client) on stdout; logs go to stderr.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tessera_server::config::{self, Settings};
use tessera_server::serve::{Listening, ServeError};
use tessera_server::telemetry::{self, LogFormat};

use crate::cli::GlobalArgs;
use crate::commands::admin;
use crate::error::CliError;

/// Help text of `tessera serve`.
pub(crate) const SERVE_LONG: &str = "\
Run the auth server: the OAuth/OpenID Connect endpoints, the sign-in pages, the JWKS, the
revocation feed, health and metrics. Settings come from flags, TESSERA_* variables and the
--config file, in that order (docs/configuration.md).

On first start (no store where the settings point) it creates the data dir (readable only by
you), a SQLite database, a master key file and a signing key, and prints the commands that
create the first user and client. One server serves a SQLite data dir; several share a
PostgreSQL database (--database-url postgres://…, the same master key).

Plain HTTP is served only on a loopback address; elsewhere give --tls-cert and --tls-key, or
set server.allow_plain_http behind a TLS-terminating proxy. Stop with Ctrl-C or SIGTERM.";

/// Examples of `tessera serve`.
pub(crate) const SERVE_EXAMPLES: &str = "\
Examples:
  tessera serve
  tessera serve --listen 127.0.0.1:0
  tessera --data-dir /var/lib/tessera serve --listen 0.0.0.0:8443 \\
      --issuer https://auth.example.com --tls-cert fullchain.pem --tls-key key.pem
  TESSERA_DATABASE_URL=postgres://tessera@db.internal/tessera TESSERA_MASTER_KEY=… \\
      tessera serve --issuer https://auth.example.com";

/// Arguments of `tessera serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// The issuer URL (`iss`, and the base of the metadata URLs) [default: http://LISTEN]
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: Option<String>,
    /// PEM certificate chain to serve HTTPS with (needs --tls-key).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Log line format [default: server.log_format, else text]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) log_format: Option<LogFormatArg>,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum LogFormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Runs the server.
///
/// # Errors
/// Exit 2 for bad settings, a deployment that does not open, or an address in use.
pub(crate) fn run(global: &GlobalArgs, args: &ServeArgs) -> Result<(), CliError> {
    let mut flags = admin::flags(global);
    flags.listen = args.listen.clone();
    flags.issuer = args.issuer.clone();
    flags.tls_cert = args.tls_cert.clone();
    flags.tls_key = args.tls_key.clone();
    let settings =
        Settings::load(&flags).map_err(|err| CliError::usage(format!("configuration: {err}")))?;
    let format = match (args.log_format, settings.server.log_format) {
        (Some(LogFormatArg::Json), _) | (None, config::LogFormat::Json) => LogFormat::Json,
        _ => LogFormat::Text,
    };
    telemetry::init(format, "info").map_err(CliError::usage)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::usage(format!("cannot start the runtime: {err}")))?;
    let data_dir = global.data_dir.clone();
    let served = runtime.block_on(tessera_server::serve::run(settings, |listening| {
        announce(listening, &data_dir);
    }));
    served.map_err(|err| match err {
        ServeError::Deployment(err) => CliError::usage(err.to_string())
            .with_hint("check --data-dir, --database-url and the master key"),
        other => CliError::usage(other.to_string()),
    })
}

/// Prints the address, and on first start the commands that create a user and a client.
fn announce(listening: &Listening, data_dir: &std::path::Path) {
    let scheme = if listening.tls { "https" } else { "http" };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "tessera listening on {scheme}://{} (issuer {})",
        listening.address, listening.issuer
    );
    if listening.first_start {
        let dir = tessera_server::deployment::absolute(data_dir);
        let dir = dir.display();
        let _ = writeln!(
            out,
            "First start: a new database and signing key were created in {dir}.\n\
             Create the first user and client (in another terminal):\n  \
             tessera --data-dir {dir} user add alice --role admin --password-stdin\n  \
             tessera --data-dir {dir} client add my-app --grant password --grant refresh_token \
             --scope orders:read"
        );
    }
    let _ = out.flush();
}
