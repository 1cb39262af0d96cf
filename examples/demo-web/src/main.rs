//! `demo-web`: a small web application that signs users in with Tessera.
//!
//! ```sh
//! tessera client add demo --grant authorization_code --scope 'openid orders:read' \
//!   --audience orders-api --redirect-uri http://127.0.0.1:8082/callback \
//!   --post-logout-redirect-uri http://127.0.0.1:8082/ \
//!   --backchannel-logout-uri http://127.0.0.1:8082/backchannel-logout
//! DEMO_CLIENT_SECRET=… cargo run -p demo-web -- --issuer http://127.0.0.1:8080 \
//!   --client-id c_… --api http://127.0.0.1:8081/orders
//! ```

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use demo_web::oidc::Provider;
use demo_web::{Config, router};
use tracing_subscriber::EnvFilter;

/// A small web application that signs its users in with Tessera.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The Tessera issuer URL; everything else comes from its discovery document.
    #[arg(long, env = "DEMO_ISSUER")]
    issuer: String,
    /// The client_id from `tessera client add`.
    #[arg(long, env = "DEMO_CLIENT_ID")]
    client_id: String,
    /// The client_secret (from the environment, so that it stays out of process lists).
    #[arg(long, env = "DEMO_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// The address to listen on.
    #[arg(long, env = "DEMO_LISTEN", default_value = "127.0.0.1:8082")]
    listen: SocketAddr,
    /// How browsers reach this application (default: http://LISTEN).
    #[arg(long, env = "DEMO_BASE")]
    base: Option<String>,
    /// The scopes to ask for.
    #[arg(long, default_value = "openid orders:read")]
    scope: String,
    /// The orders URL of `protected-api`, called with the user's access token.
    #[arg(long, env = "DEMO_API")]
    api: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let provider = Provider::discover(&args.issuer, &args.client_id, &args.client_secret)
        .await
        .map_err(|err| format!("cannot use issuer {}: {err}", args.issuer))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", args.listen))?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("no local address: {err}"))?;
    let base = args
        .base
        .unwrap_or_else(|| format!("http://{address}"))
        .trim_end_matches('/')
        .to_owned();
    let config = Config {
        base,
        scope: args.scope,
        api: args.api,
    };
    // One line on stdout with the real address, so that scripts can use port 0.
    println!("demo-web listening on http://{address}");
    axum::serve(listener, router(config, provider))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|err| format!("server failed: {err}"))
}
