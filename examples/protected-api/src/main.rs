//! `protected-api`: a small orders service whose routes are guarded by `tessera-guard`.
//!
//! ```sh
//! cargo run -p protected-api -- --issuer http://127.0.0.1:8080 --audience orders-api \
//!     --public-url http://127.0.0.1:8081
//! ```
//!
//! `GET /orders` needs scope `orders:read`, `POST /orders` needs `orders:write`, and
//! `GET /healthz` is open. Keys come from the issuer's discovery document and revoked tokens
//! from its revocation feed. DPoP-bound tokens are accepted with proofs for the public URL
//! (by default the loopback address it listens on).

#![forbid(unsafe_code)]

mod app;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tessera_guard::{Guard, MetricsHook};
use tracing_subscriber::EnvFilter;

/// A small orders service protected by Tessera access tokens.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The Tessera issuer URL; discovery, keys and the revocation feed come from there.
    #[arg(long, env = "PROTECTED_API_ISSUER")]
    issuer: String,
    /// The audience this service accepts (a client registered with `--audience`).
    #[arg(long, env = "PROTECTED_API_AUDIENCE", default_value = "orders-api")]
    audience: String,
    /// The address to listen on.
    #[arg(long, env = "PROTECTED_API_LISTEN", default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// The URL clients use to reach this service, which DPoP proofs name (`htu`). Default:
    /// `http://<listen address>` when that is a loopback address; otherwise DPoP-bound
    /// tokens are refused until it is set.
    #[arg(long, env = "PROTECTED_API_PUBLIC_URL")]
    public_url: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Logs every refused request's reason code at INFO (never the token), so that an operator
/// sees why a client gets 401 or 403: `audience_mismatch`, `expired`, `insufficient_scope`…
#[derive(Debug)]
struct RefusalLog;

impl MetricsHook for RefusalLog {
    fn rejected(&self, reason: &'static str) {
        tracing::info!(reason, "refused a request");
    }
}

async fn run(args: Args) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", args.listen))?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("no local address: {err}"))?;
    let mut builder = Guard::builder()
        .issuer(&args.issuer)
        .audience(&args.audience)
        .metrics(Arc::new(RefusalLog));
    // From the configuration or the bound loopback address, never from a request's Host.
    let public_url = args.public_url.clone().or_else(|| {
        address
            .ip()
            .is_loopback()
            .then(|| format!("http://{address}"))
    });
    match &public_url {
        Some(url) => builder = builder.public_url(url),
        None => tracing::warn!("no --public-url: DPoP-bound tokens will be refused"),
    }
    let guard = builder.build().await.map_err(|err| {
        format!(
            "cannot trust issuer {}: {err} ({})",
            args.issuer,
            err.code()
        )
    })?;
    // One line on stdout with the real address, so that scripts can use port 0.
    println!("protected-api listening on http://{address}");
    tracing::info!(
        %address,
        issuer = %args.issuer,
        audience = %args.audience,
        public_url = public_url.as_deref().unwrap_or("none"),
        "listening"
    );
    axum::serve(listener, app::router(&guard))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|err| format!("server failed: {err}"))
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
