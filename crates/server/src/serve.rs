//! `tessera serve`: binds the listener, opens the deployment, serves the router over plain
//! HTTP (loopback, or when allowed) or HTTPS (rustls on aws-lc-rs, with HSTS), runs the
//! maintenance task (key rotation, purging expired records and throttle counters), and
//! shuts down gracefully on SIGTERM or Ctrl-C.

use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use tessera_core::{Authority, Store};

use crate::config::{DatabaseUrl, Settings, ThrottleSettings, TlsFiles};
use crate::connections::{ConnectionLimits, serve_plain};
use crate::deployment::{DataDirLock, Deployment, DeploymentError};
use crate::http::{AppState, app, with_hsts};
use crate::metrics::Metrics;
use crate::telemetry::TracingEvents;
use crate::throttle::{Throttle, ThrottleConfig};

/// How often the maintenance task runs unless `server.maintenance_interval` says otherwise.
pub const DEFAULT_MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);
/// How long open connections get to finish after a shutdown signal.
const GRACE: Duration = Duration::from_secs(10);

/// Where the server listens, told once it is bound.
#[derive(Clone, Debug)]
pub struct Listening {
    /// The real address (port 0 resolved).
    pub address: SocketAddr,
    /// The issuer in effect (derived from the address unless configured).
    pub issuer: String,
    /// True when serving HTTPS.
    pub tls: bool,
    /// True when this start created the database and its first signing key.
    pub first_start: bool,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The settings cannot be served as they are (exit 2).
    Config(String),
    /// The deployment could not be opened.
    Deployment(DeploymentError),
    /// Binding or serving failed.
    Io(String),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(why) | Self::Io(why) => f.write_str(why),
            Self::Deployment(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Serves until SIGTERM or Ctrl-C; `on_listening` is called once the socket is bound and
/// the deployment is open (the CLI prints the address from it).
///
/// # Errors
/// [`ServeError`]: bad settings, a deployment that does not open, a port in use.
pub async fn run(
    mut settings: Settings,
    on_listening: impl FnOnce(&Listening),
) -> Result<(), ServeError> {
    let server = &settings.server;
    if server.tls.is_none() && !server.listen.ip().is_loopback() && !server.allow_plain_http {
        return Err(ServeError::Config(format!(
            "refusing to serve plain HTTP on {}, which is not loopback: give --tls-cert and \
             --tls-key, or set server.allow_plain_http = true behind a TLS-terminating proxy",
            server.listen
        )));
    }
    let listener = bind(server.listen)?;
    let address = listener
        .local_addr()
        .map_err(|err| ServeError::Io(format!("cannot read the bound address: {err}")))?;
    if server.issuer_is_default {
        let scheme = if server.tls.is_some() {
            "https"
        } else {
            "http"
        };
        settings.server.issuer = format!("{scheme}://{address}");
    }
    // One server per SQLite data dir: a second would cache what the first changes. (Several
    // instances share a PostgreSQL database by design.)
    let _data_dir_lock = match settings.database.url {
        DatabaseUrl::Postgres(_) => None,
        _ => Some(DataDirLock::take(&settings.data_dir).map_err(ServeError::Deployment)?),
    };
    let metrics = Arc::new(Metrics::new());
    let events = Arc::new(TracingEvents::new(Arc::clone(&metrics)));
    let deployment = Deployment::open_with_events(&settings, events)
        .await
        .map_err(ServeError::Deployment)?;
    let first_start = deployment.first_start;
    let authority = Arc::clone(deployment.authority());
    let throttle = Arc::new(Throttle::new(throttle_config(&settings.throttle)));
    let ui = crate::ui::Ui::new(settings.ui.clone())
        .map_err(|err| ServeError::Config(format!("[ui]: {err}")))?;
    let state = AppState::new(Arc::clone(&authority), Arc::clone(&throttle), metrics)
        .with_ui(Arc::new(ui))
        .with_max_body(settings.server.max_body_bytes)
        .with_trusted_proxies(settings.server.trusted_proxies.clone())
        .with_limits(
            (settings.server.limits.request_limits())
                .with_metrics(settings.server.metrics.access()),
        );
    let metrics_listener = settings
        .server
        .metrics
        .start(
            state.clone(),
            settings.server.limits,
            settings.server.allow_plain_http,
        )
        .map_err(ServeError::Config)?;
    if let Some((address, _)) = &metrics_listener {
        tracing::info!(address = %address, "serving /metrics");
    }
    let backchannel = tokio::spawn(crate::backchannel::deliver(
        Arc::clone(&authority),
        Arc::clone(state.logout_notices()),
        Duration::from_secs(1),
    ));
    let webhooks = tokio::spawn(crate::webhooks::deliver(
        Arc::clone(&authority),
        Duration::from_secs(1),
    ));
    let maintenance = tokio::spawn(maintain(
        Arc::clone(&authority),
        throttle,
        settings.server.maintenance_interval,
    ));
    let listening = Listening {
        address,
        issuer: settings.server.issuer.clone(),
        tls: settings.server.tls.is_some(),
        first_start,
    };
    tracing::info!(
        address = %address,
        issuer = %listening.issuer,
        tls = listening.tls,
        "listening"
    );
    on_listening(&listening);
    let limits = settings.server.limits;
    let stopper = state.clone();
    let served = serve(
        listener,
        app(state),
        settings.server.tls.as_ref(),
        &limits,
        stopper,
    )
    .await;
    maintenance.abort();
    backchannel.abort();
    webhooks.abort();
    if let Some((_, task)) = metrics_listener {
        task.abort();
    }
    deployment.close().await;
    tracing::info!("stopped");
    served
}

fn bind(address: SocketAddr) -> Result<TcpListener, ServeError> {
    let listener = TcpListener::bind(address)
        .map_err(|err| ServeError::Io(format!("cannot listen on {address}: {err}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|err| ServeError::Io(format!("cannot configure the socket: {err}")))?;
    Ok(listener)
}

/// The address throttle's limits from the `[throttle.ip]` settings (the account limits,
/// `[throttle.account]`, go to the authority: see [`ThrottleSettings::account_policy`]).
pub fn throttle_config(settings: &ThrottleSettings) -> ThrottleConfig {
    ThrottleConfig {
        ip: settings.ip_policy(),
        ..ThrottleConfig::default()
    }
}

async fn serve(
    listener: TcpListener,
    router: axum::Router,
    tls: Option<&TlsFiles>,
    limits: &ConnectionLimits,
    stopper: AppState<crate::deployment::AppStore>,
) -> Result<(), ServeError> {
    let handle: Handle<SocketAddr> = Handle::new();
    tokio::spawn(shutdown_on_signal(handle.clone(), stopper));
    let io = |err: std::io::Error| ServeError::Io(format!("server error: {err}"));
    match tls {
        None => serve_plain(listener, router, limits, handle)
            .await
            .map_err(io),
        Some(files) => {
            let config = rustls_config(files)?;
            let service = limits.capped(with_hsts(router));
            limits
                .apply(axum_server::from_tcp_rustls(listener, config).map_err(io)?)
                .handle(handle)
                .serve(service)
                .await
                .map_err(io)
        }
    }
}

/// A rustls server configuration on aws-lc-rs from PEM files (HTTP/2 and HTTP/1.1 by ALPN).
fn rustls_config(files: &TlsFiles) -> Result<RustlsConfig, ServeError> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, path: &std::path::Path, err: &dyn fmt::Display| {
        ServeError::Config(format!("{what} {}: {err}", path.display()))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(Iterator::collect)
        .map_err(|err| bad("cannot read the certificate chain", &files.cert, &err))?;
    if certs.is_empty() {
        return Err(ServeError::Config(format!(
            "no certificate in {}",
            files.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|err| bad("cannot read the private key", &files.key, &err))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| ServeError::Config(format!("TLS: {err}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| bad("the key does not fit the certificate", &files.key, &err))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}

/// Waits for SIGTERM or Ctrl-C, then ends the revocation streams, stops accepting and lets
/// requests finish.
async fn shutdown_on_signal<S: Store>(handle: Handle<SocketAddr>, stopper: AppState<S>) {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
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
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
    stopper.begin_shutdown();
    handle.graceful_shutdown(Some(GRACE));
}

/// Every `every` (`server.maintenance_interval`): applies due key rotations and reloads the
/// key ring, purges expired refresh records and revocations, and forgets idle throttle
/// counters. The key rotation schedule counts on this interval (see
/// `RotationPolicy::reload_every`), so the two come from the same setting.
async fn maintain<S: Store>(
    authority: Arc<Authority<S>>,
    throttle: Arc<Throttle>,
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match authority.apply_rotation().await {
            Ok(changes) => {
                for change in changes {
                    tracing::info!(kid = %change.kid, alg = %change.alg, to = ?change.to, "signing key changed state");
                }
            }
            Err(err) => {
                tracing::warn!(cause = %crate::http::error::chain(&err), "key rotation failed")
            }
        }
        match authority.purge_expired().await {
            Ok(0) => {}
            Ok(rows) => tracing::debug!(rows, "purged expired records"),
            Err(err) => tracing::warn!(cause = %crate::http::error::chain(&err), "purge failed"),
        }
        throttle.purge(Instant::now());
    }
}
