//! Fetching a JWKS by URL: https only (plain http only to loopback hosts, for local servers
//! and tests), a 10 s deadline, a 1 MiB cap on the body, and redirects followed by hand so
//! that each hop passes the same rules before anything connects to it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::{StatusCode, Uri};
use ureq::tls::{TlsConfig, TlsProvider};
use ureq::{Agent, Body};

use crate::error::CliError;

/// The deadline for one request, from connecting to the last byte of the body.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest JWKS accepted.
const MAX_BODY: u64 = 1024 * 1024;

/// How many redirects are followed.
const MAX_REDIRECTS: usize = 3;

/// True when a `--jwks` value names a URL rather than a file.
pub(crate) fn is_url(source: &str) -> bool {
    source.contains("://")
}

/// Fetches `url` and returns the body.
///
/// # Errors
/// Exit 2 when the URL is refused by policy (checked before connecting), the server cannot
/// be reached in time, answers other than 2xx, or sends more than 1 MiB.
pub(crate) fn get(url: &str) -> Result<Vec<u8>, CliError> {
    let mut target = Target::parse(url, false)?;
    for _ in 0..=MAX_REDIRECTS {
        match request(&target)? {
            Reply::Body(bytes) => return Ok(bytes),
            Reply::Redirect(location) => {
                let next = resolve(&target.uri, &location);
                target = Target::parse(&next, target.https)
                    .map_err(|err| err.context(&format!("{url} redirects to {next}")))?;
            }
        }
    }
    Err(
        CliError::usage(format!("{url} redirects more than {MAX_REDIRECTS} times"))
            .with_hint("give the final JWKS URL directly"),
    )
}

/// A URL that passed the policy checks.
#[derive(Debug)]
struct Target {
    uri: Uri,
    https: bool,
    loopback: bool,
}

impl Target {
    /// Checks `text` against the policy; `after_https` is set when a https URL redirected here.
    fn parse(text: &str, after_https: bool) -> Result<Self, CliError> {
        let uri: Uri = text.parse().map_err(|err| {
            CliError::usage(format!("{text:?} is not a valid URL: {err}"))
                .with_hint("use a full URL such as https://auth.example.com/.well-known/jwks.json")
        })?;
        let host = uri.host().unwrap_or_default();
        if host.is_empty() {
            return Err(CliError::usage(format!("URL {text:?} has no host")));
        }
        let loopback = is_loopback(host);
        let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
        match scheme.as_str() {
            "https" => Ok(Self {
                uri,
                https: true,
                loopback,
            }),
            "http" if after_https => Err(CliError::usage(
                "a redirect from https to plain http is refused",
            )),
            "http" if loopback => Ok(Self {
                uri,
                https: false,
                loopback,
            }),
            "http" => Err(CliError::usage(format!(
                "refusing plain http for {host}: keys fetched without TLS can be swapped in transit"
            ))
            .with_hint(
                "use an https:// URL (plain http is allowed only for 127.0.0.1, ::1 and localhost)",
            )),
            other => Err(
                CliError::usage(format!("unsupported URL scheme {other:?} in --jwks"))
                    .with_hint("use an https:// URL, or a path to a JWKS file"),
            ),
        }
    }
}

/// True for `localhost` and loopback IP addresses (brackets of IPv6 literals allowed).
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

enum Reply {
    Body(Vec<u8>),
    Redirect(String),
}

fn request(target: &Target) -> Result<Reply, CliError> {
    let url = target.uri.to_string();
    let response = agent(target.loopback)
        .get(target.uri.clone())
        .header("accept", "application/jwk-set+json, application/json")
        .call()
        .map_err(|err| transport_error(&url, &err))?;
    let status = response.status();
    if status.is_redirection() {
        return redirect(&url, status, response.headers());
    }
    if !status.is_success() {
        return Err(CliError::usage(format!("{url} answered HTTP {status}"))
            .with_hint("check the URL; a JWKS is usually at /.well-known/jwks.json"));
    }
    read_body(&url, response.into_body()).map(Reply::Body)
}

fn redirect(
    url: &str,
    status: StatusCode,
    headers: &ureq::http::HeaderMap,
) -> Result<Reply, CliError> {
    headers
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(|location| Reply::Redirect(location.to_owned()))
        .ok_or_else(|| {
            CliError::usage(format!(
                "{url} answered HTTP {status} without a usable Location"
            ))
        })
}

fn read_body(url: &str, body: Body) -> Result<Vec<u8>, CliError> {
    body.into_with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|err| transport_error(url, &err))
}

fn agent(loopback: bool) -> Agent {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(provider)
        .build();
    let mut config = Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls);
    if loopback {
        // A proxy from the environment must not see (or break) requests to this machine.
        config = config.proxy(None);
    }
    config.build().new_agent()
}

fn transport_error(url: &str, err: &ureq::Error) -> CliError {
    match err {
        ureq::Error::Timeout(_) => CliError::usage(format!(
            "fetching {url} timed out after {} s",
            TIMEOUT.as_secs()
        ))
        .with_hint("check that the server is up and reachable from here"),
        ureq::Error::BodyExceedsLimit(_) => CliError::usage(format!(
            "{url} sent more than {} KiB; that is not a JWKS",
            MAX_BODY / 1024
        )),
        other => CliError::usage(format!("cannot fetch {url}: {other}"))
            .with_hint("check the URL, the network, and the server's TLS certificate"),
    }
}

/// Resolves a `Location` header against the URL that sent it.
fn resolve(base: &Uri, location: &str) -> String {
    if location.contains("://") {
        return location.to_owned();
    }
    let scheme = base.scheme_str().unwrap_or("https");
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}");
    }
    let path = base.path();
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    format!("{scheme}://{authority}{dir}{location}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(url: &str) -> Result<bool, String> {
        Target::parse(url, false)
            .map(|t| t.https)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn policy_allows_https_and_loopback_http_only() {
        assert_eq!(code_of("https://auth.example.com/jwks"), Ok(true));
        for url in [
            "http://127.0.0.1:8080/jwks",
            "http://[::1]:9/jwks",
            "http://localhost/jwks",
            "http://LOCALHOST:1/x",
        ] {
            assert_eq!(code_of(url), Ok(false), "{url}");
        }
        for url in [
            "http://example.com/jwks.json",
            "http://127.0.0.1.example.com/",
            "http://127.0.0.1@example.com/",
            "ftp://127.0.0.1/jwks",
            "http:///nohost",
        ] {
            assert!(code_of(url).is_err(), "{url}");
        }
        assert!(Target::parse("http://127.0.0.1/", true).is_err());
    }

    #[test]
    fn resolves_locations() {
        let base: Uri = "http://127.0.0.1:8/a/b/jwks".parse().expect("uri");
        assert_eq!(resolve(&base, "https://x.test/k"), "https://x.test/k");
        assert_eq!(resolve(&base, "//x.test/k"), "http://x.test/k");
        assert_eq!(resolve(&base, "/k"), "http://127.0.0.1:8/k");
        assert_eq!(resolve(&base, "k2"), "http://127.0.0.1:8/a/b/k2");
    }
}
