//! The HTTP of `tessera login`, under the guard's fetch policy ([`FetchPolicy`]) for every
//! request: `https://` only (plain `http://` only to loopback hosts), each URL checked before
//! anything connects to it, 5 s to connect and 10 s in all, at most 1 MiB of body.
//!
//! GETs (the issuer's metadata) go through the guard's own [`Fetcher`], which follows up to
//! three redirects, each hop checked. It has no POST, so the device and token endpoints are
//! POSTed to with a `reqwest` client built to the same rules, which follows no redirect: a
//! form holding a device code or a refresh token is sent only where the metadata said.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Client, ClientBuilder, Response, Url, redirect};
use serde_json::Value;
use tessera_guard::{FetchError, FetchPolicy, Fetcher, UrlError};

use crate::error::CliError;

/// How long a connection attempt may take (the guard's limit).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How many redirects a GET follows, each checked (as `--jwks URL` does).
const MAX_REDIRECTS: usize = 3;
/// The longest `error_description` shown: it is the server's text, on one line.
const MAX_DESCRIPTION: usize = 300;

/// The issuer's endpoints, reached under the policy.
pub(super) struct Http {
    policy: FetchPolicy,
    fetcher: Fetcher,
    /// For loopback hosts, which a proxy named in the environment could not reach.
    direct: Client,
    /// For every other host, through the environment's proxy if any (as the guard does).
    proxied: Client,
}

/// What a POST was answered, when it was answered at all.
#[derive(Debug)]
pub(super) enum Answer {
    /// 200 with a JSON object.
    Success(Value),
    /// An OAuth error (RFC 6749 §5.2): a 4xx with a JSON body naming the `error`.
    Refused(OAuthError),
    /// Any other status (a 5xx, a 429, a 4xx without an OAuth error), with `Retry-After`
    /// in seconds when it has one.
    Status {
        /// The HTTP status.
        status: u16,
        /// `Retry-After`, when given in seconds.
        retry_after: Option<u64>,
    },
}

/// An OAuth error answer: the server's `error` code and its `error_description`.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(super) struct OAuthError {
    /// The `error` code (`invalid_grant`, `authorization_pending`, …).
    pub(super) error: String,
    /// The `error_description`, when there is one (the server's words, shortened).
    pub(super) description: Option<String>,
}

impl std::fmt::Display for OAuthError {
    /// `code` or `code (description)`, control characters removed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&printable(&self.error))?;
        if let Some(description) = &self.description {
            write!(f, " ({})", printable(description))?;
        }
        Ok(())
    }
}

impl Http {
    /// The clients; call inside the runtime.
    ///
    /// # Errors
    /// Exit 2 when the TLS stack cannot be set up.
    pub(super) fn new() -> Result<Self, CliError> {
        let policy = FetchPolicy::new().follow_redirects(MAX_REDIRECTS);
        let no_tls = |err: &dyn std::fmt::Display| {
            CliError::usage(format!("cannot set up https: {err}"))
                .with_hint("the system's root certificates are needed to check the server")
        };
        let fetcher = Fetcher::new(policy.clone()).map_err(|err| no_tls(&err))?;
        let build = |builder: ClientBuilder| builder.build().map_err(|err| no_tls(&err));
        Ok(Self {
            direct: build(base(&policy).no_proxy())?,
            proxied: build(base(&policy))?,
            policy,
            fetcher,
        })
    }

    /// GETs the JSON document at `url`.
    ///
    /// # Errors
    /// As the fetch fails ([`failed`] says it), or when the body is not JSON.
    pub(super) async fn get_json(&self, url: &str) -> Result<Value, FetchError> {
        let body = self.fetcher.get(url, "application/json").await?;
        serde_json::from_slice(&body).map_err(|err| FetchError::Body(err.to_string()))
    }

    /// POSTs `form` (`application/x-www-form-urlencoded`) to `url`, checked against the
    /// policy before anything connects, and reads the answer.
    ///
    /// # Errors
    /// [`FetchError::Refused`] for a URL the policy refuses; [`FetchError::Status`] for a
    /// redirect (not followed); transport failures, the time limit, a body over the cap, or
    /// a 200 whose body is not a JSON object.
    pub(super) async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<Answer, FetchError> {
        self.policy.check(url).map_err(FetchError::Refused)?;
        let parsed = Url::parse(url)
            .map_err(|err| FetchError::Refused(UrlError::Invalid(err.to_string())))?;
        let client = if is_loopback(&parsed) {
            &self.direct
        } else {
            &self.proxied
        };
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = client
            .post(parsed)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|err| transport(err, self.policy.timeout()))?;
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            return Err(FetchError::Status(status));
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok());
        let body = read_capped(response, &self.policy).await?;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        Ok(match (status, json) {
            (200, Some(json)) if json.is_object() => Answer::Success(json),
            (200, _) => {
                return Err(FetchError::Body("the answer is not a JSON object".into()));
            }
            (400..500, Some(json)) => match oauth_error(&json) {
                Some(refused) => Answer::Refused(refused),
                None => Answer::Status {
                    status,
                    retry_after,
                },
            },
            _ => Answer::Status {
                status,
                retry_after,
            },
        })
    }
}

/// The client settings the guard's fetcher uses, without redirects.
fn base(policy: &FetchPolicy) -> ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        CACHE_CONTROL,
        reqwest::header::HeaderValue::from_static("no-cache"),
    );
    Client::builder()
        .redirect(redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(policy.timeout())
        .default_headers(headers)
        .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
}

/// `localhost` and the loopback addresses, as the policy counts them.
fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// The body, refused as soon as it passes the policy's cap.
async fn read_capped(mut response: Response, policy: &FetchPolicy) -> Result<Vec<u8>, FetchError> {
    let max = policy.max_body();
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(FetchError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| transport(err, policy.timeout()))?
    {
        if body.len() + chunk.len() > max {
            return Err(FetchError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport failure: the time limit, or the error's causes (without the URL, which the
/// message names anyway).
fn transport(err: reqwest::Error, timeout: Duration) -> FetchError {
    if err.is_timeout() {
        return FetchError::Timeout(timeout);
    }
    FetchError::Transport(tessera_core::error::chain(&err.without_url()))
}

/// The OAuth error in a JSON body, if it names one.
fn oauth_error(json: &Value) -> Option<OAuthError> {
    let error = json.get("error")?.as_str()?;
    let description = json
        .get("error_description")
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(|text| text.chars().take(MAX_DESCRIPTION).collect());
    Some(OAuthError {
        error: error.chars().take(MAX_DESCRIPTION).collect(),
        description,
    })
}

/// True for failures worth another try while polling: the server could not be reached or
/// did not answer in time (a restart, a flaky network), as opposed to a refusal.
pub(super) fn is_transient(err: &FetchError) -> bool {
    matches!(err, FetchError::Transport(_) | FetchError::Timeout(_))
}

/// Text from the server, made safe to print on a terminal: each control character (a line
/// break, the start of an escape sequence) becomes a space.
pub(super) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The message for a request to `url` that failed (exit 2: the issuer could not be used,
/// which is not a refusal of anyone's credentials).
pub(super) fn failed(url: &str, err: &FetchError) -> CliError {
    match err {
        FetchError::Refused(why) => refused(url, why),
        FetchError::Redirect { to, refused: why } => {
            refused(to, why).context(&format!("{url} redirects to {to}"))
        }
        FetchError::TooManyRedirects(max) => {
            CliError::usage(format!("{url} redirects more than {max} times"))
                .with_hint("pass the issuer's own URL as --issuer")
        }
        FetchError::Status(status @ 300..400) => CliError::usage(format!(
            "{url} answered HTTP {status} (a redirect, not followed for a form that carries \
             a code or token)"
        ))
        .with_hint("the issuer's metadata must name its endpoints' final URLs"),
        FetchError::Status(status) => CliError::usage(format!("{url} answered HTTP {status}"))
            .with_hint("check --issuer: it is the URL in the tokens' iss claim"),
        FetchError::TooLarge(max) => CliError::usage(format!(
            "{url} sent more than {} KiB; that is not an OAuth answer",
            max / 1024
        )),
        FetchError::Timeout(limit) => {
            CliError::usage(format!("{url} did not answer within {} s", limit.as_secs()))
                .with_hint("check that the issuer is up and reachable from here")
        }
        FetchError::Body(why) => CliError::usage(format!(
            "{url} did not answer with JSON: {}",
            printable(why)
        ))
        .with_hint("check --issuer: it must be an OAuth 2.0 / OpenID Connect issuer"),
        other => CliError::usage(format!("cannot reach {url}: {other}"))
            .with_hint("check --issuer, the network, and the server's TLS certificate"),
    }
}

/// The message for a URL the policy refuses (nothing connected to it).
pub(super) fn refused(url: &str, err: &UrlError) -> CliError {
    let error = match err {
        UrlError::Invalid(why) => CliError::usage(format!("{url:?} is not a valid URL: {why}"))
            .with_hint("use the issuer's full URL, such as https://auth.example.com"),
        UrlError::Scheme(scheme) => {
            CliError::usage(format!("unsupported URL scheme {scheme:?} in {url}"))
                .with_hint("use the issuer's https:// URL")
        }
        UrlError::PlainHttp { host } => CliError::usage(format!(
            "refusing plain http for {host}: codes and tokens sent without TLS can be read \
             and changed on the way"
        ))
        .with_hint(
            "use the issuer's https:// URL (plain http is allowed only for 127.0.0.1, ::1 and \
             localhost)",
        ),
        other => CliError::usage(format!("{url}: {other}")),
    };
    error.with_code(err.code())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn oauth_errors_are_read_and_shown_on_one_line() {
        let refused = oauth_error(&json!({
            "error": "invalid_grant",
            "error_description": "the refresh\ntoken is \u{1b}[31minvalid"
        }))
        .expect("an OAuth error");
        assert_eq!(refused.error, "invalid_grant");
        assert_eq!(
            refused.to_string(),
            "invalid_grant (the refresh token is  [31minvalid)"
        );
        assert_eq!(oauth_error(&json!({"message": "nope"})), None);
        assert_eq!(oauth_error(&json!({"error": 7})), None);
        let long = oauth_error(&json!({"error": "x", "error_description": "y".repeat(5000)}));
        let long = long.expect("an OAuth error");
        assert_eq!(long.description.map(|d| d.len()), Some(MAX_DESCRIPTION));
    }

    #[test]
    fn only_transport_failures_are_retried() {
        assert!(is_transient(&FetchError::Transport("reset".into())));
        assert!(is_transient(&FetchError::Timeout(Duration::from_secs(10))));
        assert!(!is_transient(&FetchError::Status(302)));
        assert!(!is_transient(&FetchError::TooLarge(1 << 20)));
    }

    #[test]
    fn loopback_is_what_the_policy_calls_loopback() {
        for url in [
            "http://127.0.0.1:1/",
            "http://LOCALHOST/x",
            "http://[::1]:8/",
        ] {
            assert!(is_loopback(&Url::parse(url).expect("url")), "{url}");
        }
        for url in ["https://auth.example.com/", "http://10.0.0.1/"] {
            assert!(!is_loopback(&Url::parse(url).expect("url")), "{url}");
        }
    }

    #[test]
    fn refusals_say_why_and_what_to_do() {
        let plain = failed(
            "http://auth.example.com/x",
            &FetchError::Refused(UrlError::PlainHttp {
                host: "auth.example.com".into(),
            }),
        )
        .to_string();
        assert!(
            plain.starts_with("error: refusing plain http for auth.example.com"),
            "{plain}"
        );
        assert!(plain.contains("(plain_http_refused)"), "{plain}");
        assert!(
            plain.contains("hint: use the issuer's https:// URL"),
            "{plain}"
        );
        let moved = failed("https://a.test/token", &FetchError::Status(307)).to_string();
        assert!(
            moved.contains("answered HTTP 307 (a redirect, not followed"),
            "{moved}"
        );
        let late = failed(
            "https://a.test/t",
            &FetchError::Timeout(Duration::from_secs(10)),
        );
        assert!(late.to_string().contains("did not answer within 10 s"));
    }

    #[test]
    fn a_refused_url_is_not_posted_to() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let got = runtime.block_on(async {
            let http = Http::new().expect("clients");
            http.post_form("http://example.com/oauth/token", &[("a", "b")])
                .await
        });
        assert_eq!(got.map(drop).map_err(|e| e.code()), Err("url_refused"));
    }
}
