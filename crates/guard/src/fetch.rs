//! The HTTP side: a client that fetches only URLs the application configured (or that the
//! configured issuer's discovery names), never follows redirects, and caps every body.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{CACHE_CONTROL, HeaderMap, HeaderValue};
use reqwest::{Client, Response, Url, redirect};

use crate::error::{BuildError, FetchError};

/// The most bytes a discovery document, JWKS or feed page may have.
pub(crate) const MAX_BODY: usize = 1 << 20;
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole request/response for a document may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the revocation stream may stay silent (the server sends keep-alives every 15 s).
const STREAM_IDLE: Duration = Duration::from_secs(45);

/// Checks that `url` is absolute `https://`, or `http://` to a loopback host (or anywhere
/// when `allow_plain_http`).
///
/// # Errors
/// [`BuildError::Url`].
pub(crate) fn parse_url(url: &str, allow_plain_http: bool) -> Result<Url, BuildError> {
    let parsed = Url::parse(url).map_err(|err| BuildError::Url(format!("{url:?}: {err}")))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if allow_plain_http || is_loopback(&parsed) => Ok(parsed),
        "http" => Err(BuildError::Url(format!(
            "{url:?}: plain http is allowed only to loopback hosts"
        ))),
        other => Err(BuildError::Url(format!(
            "{url:?}: scheme {other} is not http(s)"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// The two clients a guard uses: one for documents (short timeouts) and one for the
/// long-lived revocation stream (no total timeout, an idle timeout instead).
#[derive(Clone, Debug)]
pub(crate) struct Fetcher {
    documents: Client,
    stream: Client,
}

/// A fetched document and the freshness its `Cache-Control` asks for.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) body: Vec<u8>,
    pub(crate) cache_control: Option<String>,
}

impl Fetcher {
    /// Builds both clients.
    ///
    /// # Errors
    /// [`BuildError::Client`] when the TLS stack cannot be set up.
    pub(crate) fn new() -> Result<Self, BuildError> {
        let documents = base()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|err| BuildError::Client(err.to_string()))?;
        let stream = base()
            .read_timeout(STREAM_IDLE)
            .build()
            .map_err(|err| BuildError::Client(err.to_string()))?;
        Ok(Self { documents, stream })
    }

    /// GETs a JSON document, capped at [`MAX_BODY`].
    ///
    /// # Errors
    /// [`FetchError`] for transport failures, a status other than 200, or an oversize body.
    pub(crate) async fn document(&self, url: &Url) -> Result<Document, FetchError> {
        let response = self
            .documents
            .get(url.clone())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(transport)?;
        let response = ok(response)?;
        let cache_control = response
            .headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_capped(response, MAX_BODY).await?;
        Ok(Document {
            body,
            cache_control,
        })
    }

    /// Opens an event stream, resuming after `last_event_id`.
    ///
    /// # Errors
    /// [`FetchError`] when it cannot be opened or answers other than 200.
    pub(crate) async fn event_stream(
        &self,
        url: &Url,
        last_event_id: i64,
    ) -> Result<Response, FetchError> {
        let response = self
            .stream
            .get(url.clone())
            .header("accept", "text/event-stream")
            .header("last-event-id", last_event_id.to_string())
            .send()
            .await
            .map_err(transport)?;
        ok(response)
    }
}

fn base() -> reqwest::ClientBuilder {
    let mut headers = HeaderMap::new();
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    Client::builder()
        // A redirect would let whoever controls the first URL pick the next one.
        .redirect(redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .default_headers(headers)
        .user_agent(concat!("tessera-guard/", env!("CARGO_PKG_VERSION")))
}

fn ok(response: Response) -> Result<Response, FetchError> {
    match response.status().as_u16() {
        200 => Ok(response),
        other => Err(FetchError::Status(other)),
    }
}

fn transport(err: reqwest::Error) -> FetchError {
    // The URL is configuration, not a secret, but keep messages short and without queries.
    FetchError::Transport(err.without_url().to_string())
}

/// Reads a body chunk by chunk, refusing it as soon as it passes `max` bytes.
async fn read_capped(mut response: Response, max: usize) -> Result<Vec<u8>, FetchError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > max {
            return Err(FetchError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        assert!(parse_url("https://auth.example.com/jwks", false).is_ok());
        assert!(parse_url("http://127.0.0.1:8080", false).is_ok());
        assert!(parse_url("http://[::1]:8080", false).is_ok());
        assert!(parse_url("http://localhost:8080", false).is_ok());
        let remote = parse_url("http://auth.example.com", false);
        assert_eq!(remote.map_err(|e| e.code()).err(), Some("url_invalid"));
        assert!(parse_url("http://auth.example.com", true).is_ok());
        assert!(parse_url("file:///etc/passwd", true).is_err());
        assert!(parse_url("not a url", false).is_err());
    }
}
