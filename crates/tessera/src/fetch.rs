//! Fetching a JWKS by URL, under the fetch policy the guard uses
//! ([`tessera_guard::FetchPolicy`]): https only (plain http only to loopback hosts, for local
//! servers and tests), 5 s to connect and 10 s in all, a 1 MiB cap on the body, and up to
//! three redirects, each hop checked by the same rules before anything connects to it.

use tessera_guard::{FetchError, FetchPolicy, Fetcher, UrlError};

use crate::error::CliError;

/// How many redirects are followed.
const MAX_REDIRECTS: usize = 3;

/// What a JWKS is served as.
const ACCEPT: &str = "application/jwk-set+json, application/json";

/// True when a `--jwks` value names a URL rather than a file.
pub(crate) fn is_url(source: &str) -> bool {
    source.contains("://")
}

/// Fetches `url` and returns the body.
///
/// # Errors
/// Exit 2 when the URL is refused by policy (checked before connecting), the server cannot
/// be reached in time, answers other than 200, or sends more than 1 MiB.
pub(crate) fn get(url: &str) -> Result<Vec<u8>, CliError> {
    let policy = FetchPolicy::new().follow_redirects(MAX_REDIRECTS);
    policy.check(url).map_err(|err| refused(url, &err))?;
    // One request: a runtime on this thread is enough.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::usage(format!("cannot start the runtime: {err}")))?;
    runtime.block_on(async {
        let fetcher = Fetcher::new(policy).map_err(|err| {
            CliError::usage(format!("cannot set up https: {err}"))
                .with_hint("the system's root certificates are needed to check the server")
        })?;
        fetcher
            .get(url, ACCEPT)
            .await
            .map_err(|err| failed(url, &err))
    })
}

/// The message for a fetch of `url` that failed.
fn failed(url: &str, err: &FetchError) -> CliError {
    match err {
        FetchError::Refused(why) => refused(url, why),
        FetchError::Redirect { to, refused: why } => {
            refused(to, why).context(&format!("{url} redirects to {to}"))
        }
        FetchError::TooManyRedirects(max) => {
            CliError::usage(format!("{url} redirects more than {max} times"))
                .with_hint("give the final JWKS URL directly")
        }
        FetchError::Status(status) => CliError::usage(format!("{url} answered HTTP {status}"))
            .with_hint("check the URL; a JWKS is usually at /.well-known/jwks.json"),
        FetchError::TooLarge(max) => CliError::usage(format!(
            "{url} sent more than {} KiB; that is not a JWKS",
            max / 1024
        )),
        FetchError::Timeout(limit) => CliError::usage(format!(
            "fetching {url} timed out after {} s",
            limit.as_secs()
        ))
        .with_hint("check that the server is up and reachable from here"),
        other => CliError::usage(format!("cannot fetch {url}: {other}"))
            .with_hint("check the URL, the network, and the server's TLS certificate"),
    }
}

/// The message for a URL the policy refuses.
fn refused(url: &str, err: &UrlError) -> CliError {
    match err {
        UrlError::Invalid(why) => CliError::usage(format!("{url:?} is not a valid URL: {why}"))
            .with_hint("use a full URL such as https://auth.example.com/.well-known/jwks.json"),
        UrlError::Scheme(scheme) => {
            CliError::usage(format!("unsupported URL scheme {scheme:?} in --jwks"))
                .with_hint("use an https:// URL, or a path to a JWKS file")
        }
        UrlError::PlainHttp { host } => CliError::usage(format!(
            "refusing plain http for {host}: keys fetched without TLS can be swapped in transit"
        ))
        .with_hint(
            "use an https:// URL (plain http is allowed only for 127.0.0.1, ::1 and localhost)",
        ),
        other => CliError::usage(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn shown(err: &FetchError) -> String {
        failed("http://127.0.0.1:1/jwks", err).to_string()
    }

    #[test]
    fn failures_say_what_went_wrong_and_what_to_do() {
        let plain = FetchError::Refused(UrlError::PlainHttp {
            host: "example.com".into(),
        });
        assert!(shown(&plain).contains("refusing plain http for example.com"));
        assert!(shown(&plain).contains("hint: use an https:// URL"));
        let hop = FetchError::Redirect {
            to: "https://a.test/k".into(),
            refused: UrlError::Scheme("ftp".into()),
        };
        let text = shown(&hop);
        assert!(
            text.contains("/jwks redirects to https://a.test/k: unsupported URL scheme \"ftp\"")
        );
        let down = FetchError::Redirect {
            to: "http://127.0.0.1/k".into(),
            refused: UrlError::Downgrade,
        };
        assert!(shown(&down).contains("from https to plain http is refused"));
        assert!(shown(&FetchError::TooManyRedirects(3)).contains("redirects more than 3 times"));
        assert!(shown(&FetchError::Status(404)).contains("answered HTTP 404"));
        assert!(shown(&FetchError::TooLarge(1 << 20)).contains("more than 1024 KiB"));
        let late = FetchError::Timeout(Duration::from_secs(10));
        assert!(shown(&late).contains("timed out after 10 s"));
        let down = FetchError::Transport("connection refused".into());
        assert!(shown(&down).contains("cannot fetch http://127.0.0.1:1/jwks"));
    }

    #[test]
    fn urls_are_checked_before_anything_connects() {
        for (url, message) in [
            (
                "http://example.com/jwks.json",
                "refusing plain http for example.com",
            ),
            ("ftp://127.0.0.1/jwks", "unsupported URL scheme \"ftp\""),
            ("https://", "is not a valid URL"),
        ] {
            let err = get(url).expect_err(url).to_string();
            assert!(err.contains(message), "{url}: {err}");
        }
    }
}
