//! The one HTTP fetch policy of Tessera's clients: the guard's discovery, JWKS and revocation
//! feed, and the command line's `tessera token verify --jwks URL`.
//!
//! Only `https://` is fetched, and plain `http://` only to a loopback host (local servers
//! and tests) unless the application allows it; each URL is checked before anything
//! connects to it. A request has 5 s to connect and 10 s to finish, and a body over 1 MiB
//! is refused as soon as it passes the cap. Redirects are not followed by default (the
//! guard: whoever controls a URL it was given should not pick the next one); a policy that
//! follows them ([`FetchPolicy::follow_redirects`], the command line) checks each hop with
//! the same rules, and never from `https://` down to plain `http://`. Requests to loopback
//! hosts bypass any proxy named in the environment, which could not reach them.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{CACHE_CONTROL, HeaderMap, HeaderValue, LOCATION};
use reqwest::{Client, ClientBuilder, Response, Url, redirect};

use crate::error::{BuildError, FetchError, UrlError};

/// The most bytes a fetched document (discovery, JWKS, feed page) may have.
const MAX_BODY: usize = 1 << 20;
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole request/response for a document may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the revocation stream may stay silent (the server sends keep-alives every 15 s).
const STREAM_IDLE: Duration = Duration::from_secs(45);
/// How long an idle pooled connection is kept for reuse: less than servers keep one (`tessera
/// serve` closes an idle HTTP/1.1 connection after its 10 s header-read timeout), so that a
/// fetch never reuses a connection the server is closing at that moment (the fetch would
/// fail as the first bytes go out, and a JWKS refetch for a new key with it).
const POOL_IDLE: Duration = Duration::from_secs(4);

/// What may be fetched, and whether redirects are followed.
///
/// ```
/// use tessera_guard::FetchPolicy;
///
/// // The command line's policy for `--jwks URL`: up to 3 redirects, each hop checked.
/// let policy = FetchPolicy::new().follow_redirects(3);
/// assert_eq!(policy.max_body(), 1024 * 1024);
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct FetchPolicy {
    allow_plain_http: bool,
    max_redirects: usize,
}

impl FetchPolicy {
    /// `https://` anywhere, plain `http://` only to loopback hosts, no redirect followed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows plain `http://` to hosts other than loopback (a private network without TLS).
    /// Whatever is fetched then crosses the network in the clear: avoid it.
    pub fn allow_plain_http(mut self) -> Self {
        self.allow_plain_http = true;
        self
    }

    /// Follows up to `max` redirects, each to a URL this policy allows (0: none, the
    /// default; a redirect is then answered as [`FetchError::Status`]).
    pub fn follow_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }

    /// The largest body accepted, in bytes.
    pub fn max_body(&self) -> usize {
        MAX_BODY
    }

    /// How long a request may take, from connecting to the last byte of the body.
    pub fn timeout(&self) -> Duration {
        REQUEST_TIMEOUT
    }

    /// Checks `url` against the policy, as [`Fetcher::get`] does before it connects.
    ///
    /// # Errors
    /// [`UrlError`] when it is not an absolute URL or the policy refuses it.
    pub fn check(&self, url: &str) -> Result<(), UrlError> {
        self.parse(url).map(drop)
    }

    /// Parses `url` and checks it against the policy.
    ///
    /// # Errors
    /// [`UrlError`] when it is not an absolute URL or the policy refuses it.
    pub(crate) fn parse(&self, url: &str) -> Result<Url, UrlError> {
        let parsed = Url::parse(url).map_err(|err| UrlError::Invalid(err.to_string()))?;
        self.allows(&parsed)?;
        Ok(parsed)
    }

    /// `https://` anywhere; `http://` to a loopback host, or anywhere when allowed.
    fn allows(&self, url: &Url) -> Result<(), UrlError> {
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.allow_plain_http || is_loopback(url) => Ok(()),
            "http" => Err(UrlError::PlainHttp {
                host: url.host_str().unwrap_or_default().to_owned(),
            }),
            other => Err(UrlError::Scheme(other.to_owned())),
        }
    }

    /// Where a redirect from `from` (answered with `status` and `location`) leads, when the
    /// policy follows it: the one place that decides. `followed` redirects led here.
    ///
    /// # Errors
    /// [`FetchError::Status`] when redirects are not followed or the answer names no
    /// usable `Location`; [`FetchError::TooManyRedirects`]; [`FetchError::Redirect`] when
    /// the target breaks the policy or goes from `https://` down to plain `http://`.
    fn redirect(
        &self,
        from: &Url,
        status: u16,
        location: Option<&str>,
        followed: usize,
    ) -> Result<Url, FetchError> {
        if self.max_redirects == 0 {
            return Err(FetchError::Status(status));
        }
        if followed >= self.max_redirects {
            return Err(FetchError::TooManyRedirects(self.max_redirects));
        }
        let location = location.ok_or(FetchError::Status(status))?;
        let refused = |to: String, refused| FetchError::Redirect { to, refused };
        let next = from
            .join(location)
            .map_err(|err| refused(location.to_owned(), UrlError::Invalid(err.to_string())))?;
        if from.scheme() == "https" && next.scheme() != "https" {
            return Err(refused(next.into(), UrlError::Downgrade));
        }
        match self.allows(&next) {
            Ok(()) => Ok(next),
            Err(why) => Err(refused(next.into(), why)),
        }
    }
}

/// `localhost`, and the loopback addresses of IPv4 and IPv6.
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

/// Fetches documents under a [`FetchPolicy`]. Must be used inside a tokio runtime; cheap to
/// clone (clones share their connections).
///
/// ```no_run
/// use tessera_guard::{FetchPolicy, Fetcher};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let fetcher = Fetcher::new(FetchPolicy::new())?;
/// let jwks = fetcher
///     .get("https://auth.example.com/.well-known/jwks.json", "application/json")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Fetcher {
    policy: FetchPolicy,
    clients: Clients,
    timeout: Duration,
}

/// A fetched document and the freshness its `Cache-Control` asks for.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) body: Vec<u8>,
    pub(crate) cache_control: Option<String>,
}

impl Fetcher {
    /// A fetcher that follows `policy`.
    ///
    /// # Errors
    /// [`BuildError::Client`] when the TLS stack cannot be set up (no usable root
    /// certificates on the system, for one).
    pub fn new(policy: FetchPolicy) -> Result<Self, BuildError> {
        Self::with_timeout(policy, REQUEST_TIMEOUT)
    }

    fn with_timeout(policy: FetchPolicy, timeout: Duration) -> Result<Self, BuildError> {
        let clients = Clients::new(|builder| builder.timeout(timeout))?;
        Ok(Self {
            policy,
            clients,
            timeout,
        })
    }

    /// GETs `url` (checked against the policy before anything connects) with `accept` as
    /// its `Accept` header, and returns the body of its 200 answer.
    ///
    /// # Errors
    /// [`FetchError::Refused`] for a URL the policy refuses; otherwise as the fetch fails
    /// (transport, status other than 200, body over the cap, redirects, time limit).
    pub async fn get(&self, url: &str, accept: &str) -> Result<Vec<u8>, FetchError> {
        let url = self.policy.parse(url).map_err(FetchError::Refused)?;
        let document = self.fetch(url, accept).await?;
        Ok(document.body)
    }

    /// GETs a JSON document from a URL that passed the policy.
    ///
    /// # Errors
    /// As [`Self::get`].
    pub(crate) async fn document(&self, url: &Url) -> Result<Document, FetchError> {
        self.fetch(url.clone(), "application/json").await
    }

    async fn fetch(&self, mut url: Url, accept: &str) -> Result<Document, FetchError> {
        let mut followed = 0;
        loop {
            let response = self
                .clients
                .of(&url)
                .get(url.clone())
                .header("accept", accept)
                .send()
                .await
                .map_err(|err| transport(err, self.timeout))?;
            let status = response.status();
            if status.as_u16() == 200 {
                return read_document(response, self.timeout).await;
            }
            if !status.is_redirection() {
                return Err(FetchError::Status(status.as_u16()));
            }
            let location = response.headers().get(LOCATION);
            let location = location.and_then(|value| value.to_str().ok());
            url = self
                .policy
                .redirect(&url, status.as_u16(), location, followed)?;
            followed += 1;
        }
    }
}

/// The client for the revocation stream: no total timeout, an idle timeout instead, and no
/// redirect followed.
#[derive(Clone, Debug)]
pub(crate) struct StreamClient {
    clients: Clients,
}

impl StreamClient {
    /// Builds the client.
    ///
    /// # Errors
    /// [`BuildError::Client`] when the TLS stack cannot be set up.
    pub(crate) fn new() -> Result<Self, BuildError> {
        let clients = Clients::new(|builder| builder.read_timeout(STREAM_IDLE))?;
        Ok(Self { clients })
    }

    /// Opens an event stream at a URL that passed the policy, resuming after
    /// `last_event_id`.
    ///
    /// # Errors
    /// [`FetchError`] when it cannot be opened or answers other than 200.
    pub(crate) async fn open(&self, url: &Url, last_event_id: i64) -> Result<Response, FetchError> {
        let response = self
            .clients
            .of(url)
            .get(url.clone())
            .header("accept", "text/event-stream")
            .header("last-event-id", last_event_id.to_string())
            .send()
            .await
            .map_err(|err| transport(err, STREAM_IDLE))?;
        match response.status().as_u16() {
            200 => Ok(response),
            other => Err(FetchError::Status(other)),
        }
    }
}

/// One client through the environment's proxy (if any), one direct for loopback hosts.
#[derive(Clone, Debug)]
struct Clients {
    proxied: Client,
    direct: Client,
}

impl Clients {
    fn new(configure: impl Fn(ClientBuilder) -> ClientBuilder) -> Result<Self, BuildError> {
        let build = |builder: ClientBuilder| {
            configure(builder)
                .build()
                .map_err(|err| BuildError::Client(chain(&err)))
        };
        Ok(Self {
            proxied: build(base())?,
            direct: build(base().no_proxy())?,
        })
    }

    fn of(&self, url: &Url) -> &Client {
        if is_loopback(url) {
            &self.direct
        } else {
            &self.proxied
        }
    }
}

fn base() -> ClientBuilder {
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Client::builder()
        // Redirects are followed by hand, each hop checked by the policy.
        .redirect(redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(POOL_IDLE)
        .default_headers(headers)
        .user_agent(concat!("tessera-guard/", env!("CARGO_PKG_VERSION")))
}

/// Reads the body, refusing it as soon as it passes [`MAX_BODY`].
async fn read_document(mut response: Response, timeout: Duration) -> Result<Document, FetchError> {
    let cache_control = response
        .headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err(FetchError::TooLarge(MAX_BODY));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(e, timeout))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(FetchError::TooLarge(MAX_BODY));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Document {
        body,
        cache_control,
    })
}

/// A transport failure: the time limit, or the error's chain of causes (without the URL,
/// which is configuration and may be long).
pub(crate) fn transport(err: reqwest::Error, timeout: Duration) -> FetchError {
    if err.is_timeout() {
        return FetchError::Timeout(timeout);
    }
    FetchError::Transport(chain(&err.without_url()))
}

/// An error and its sources, joined with `: ` ("error sending request" alone says little).
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !text.contains(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    fn refused(policy: &FetchPolicy, url: &str) -> Option<&'static str> {
        policy.parse(url).err().map(|err| err.code())
    }

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        let policy = FetchPolicy::new();
        for url in [
            "https://auth.example.com/jwks",
            "http://127.0.0.1:8080",
            "http://127.0.0.2/jwks",
            "http://[::1]:8080",
            "http://localhost:8080",
            "http://LOCALHOST:1/x",
        ] {
            assert_eq!(refused(&policy, url), None, "{url}");
        }
        for url in [
            "http://auth.example.com",
            "http://127.0.0.1.example.com/",
            "http://127.0.0.1@example.com/",
            "http://localhost.example.com/",
        ] {
            assert_eq!(refused(&policy, url), Some("plain_http_refused"), "{url}");
        }
        assert_eq!(
            policy.parse("http://example.com/k"),
            Err(UrlError::PlainHttp {
                host: "example.com".into()
            })
        );
        let open = FetchPolicy::new().allow_plain_http();
        assert_eq!(refused(&open, "http://auth.example.com"), None);
        assert_eq!(
            refused(&open, "file:///etc/passwd"),
            Some("url_scheme_unsupported")
        );
        assert_eq!(
            refused(&policy, "ftp://127.0.0.1/jwks"),
            Some("url_scheme_unsupported")
        );
        for bad in ["not a url", "/jwks.json", "https://", ""] {
            assert_eq!(refused(&policy, bad), Some("url_invalid"), "{bad}");
        }
    }

    fn hop(
        policy: &FetchPolicy,
        from: &str,
        location: Option<&str>,
        followed: usize,
    ) -> Result<String, FetchError> {
        let from = Url::parse(from).expect("url");
        policy
            .redirect(&from, 302, location, followed)
            .map(String::from)
    }

    #[test]
    fn redirects_are_not_followed_unless_the_policy_says_so() {
        let never = FetchPolicy::new();
        let to_self = hop(&never, "https://a.test/k", Some("/k2"), 0);
        assert_eq!(to_self, Err(FetchError::Status(302)));
    }

    #[test]
    fn each_hop_passes_the_same_rules() {
        let policy = FetchPolicy::new().follow_redirects(3);
        let from = "http://127.0.0.1:8/a/b/jwks";
        assert_eq!(
            hop(&policy, from, Some("k2"), 0),
            Ok("http://127.0.0.1:8/a/b/k2".into())
        );
        assert_eq!(
            hop(&policy, from, Some("/k"), 2),
            Ok("http://127.0.0.1:8/k".into())
        );
        assert_eq!(
            hop(&policy, from, Some("https://x.test/k"), 0),
            Ok("https://x.test/k".into())
        );
        let elsewhere = hop(&policy, from, Some("//x.test/k"), 0);
        assert_eq!(
            elsewhere.map_err(|e| (e.code(), e.to_string())),
            Err((
                "redirect_refused",
                "redirect to http://x.test/k refused: plain http is allowed only to loopback hosts"
                    .into()
            ))
        );
        let down = hop(&policy, "https://a.test/k", Some("http://127.0.0.1/k"), 0);
        assert_eq!(
            down,
            Err(FetchError::Redirect {
                to: "http://127.0.0.1/k".into(),
                refused: UrlError::Downgrade
            })
        );
        let scheme = hop(&policy, "https://a.test/k", Some("file:///etc/passwd"), 0);
        assert_eq!(scheme.map_err(|e| e.code()), Err("redirect_refused"));
        assert_eq!(
            hop(&policy, from, Some("/k"), 3),
            Err(FetchError::TooManyRedirects(3))
        );
        assert_eq!(hop(&policy, from, None, 0), Err(FetchError::Status(302)));
    }

    #[test]
    fn loopback_hosts_are_reached_directly_and_others_through_the_proxy() {
        let clients = Clients::new(|builder| builder).expect("clients");
        for url in [
            "http://127.0.0.1:1/",
            "http://localhost/k",
            "https://[::1]/",
        ] {
            let url = Url::parse(url).expect("url");
            assert!(std::ptr::eq(clients.of(&url), &clients.direct), "{url}");
        }
        for url in ["https://auth.example.com/", "http://10.0.0.1/"] {
            let url = Url::parse(url).expect("url");
            assert!(std::ptr::eq(clients.of(&url), &clients.proxied), "{url}");
        }
    }

    /// A server on 127.0.0.1 that reads a request and then says nothing for `silence`.
    async fn silent_server(silence: Duration) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            if let Ok((mut stream, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await;
                tokio::time::sleep(silence).await;
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
            }
        });
        format!("http://{addr}/jwks.json")
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let url = silent_server(Duration::from_secs(5)).await;
        let limit = Duration::from_millis(200);
        let fetcher = Fetcher::with_timeout(FetchPolicy::new(), limit).expect("client");
        let got = fetcher.get(&url, "application/json").await;
        assert_eq!(got.map_err(|e| e.code()), Err("timeout"));
    }

    #[tokio::test]
    async fn a_refused_url_is_not_connected_to() {
        let fetcher = Fetcher::new(FetchPolicy::new()).expect("client");
        let got = fetcher
            .get("http://example.com/jwks.json", "application/json")
            .await;
        assert_eq!(got.map_err(|e| e.code()), Err("url_refused"));
    }
}
