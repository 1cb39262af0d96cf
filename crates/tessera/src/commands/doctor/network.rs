//! The `doctor` checks over the network: the issuer, TLS and the clock, from one fetch of
//! the issuer's metadata; and `--healthz`.

use std::time::{SystemTime, UNIX_EPOCH};

use tessera_core::error::chain;
use tessera_guard::{FetchPolicy, UrlError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use super::Check;

/// The most bytes read from a metadata document.
const MAX_BODY: usize = 1 << 20;
/// Beyond this the clocks are said to differ.
const CLOCK_WARN_SECS: f64 = 5.0;
/// Beyond this tokens are refused: the leeway verifiers allow by default.
const CLOCK_FAIL_SECS: f64 = tessera_jose::jwt::DEFAULT_LEEWAY_SECS as f64;

/// A fetched answer, with what the TLS and clock checks need.
#[derive(Debug)]
struct Answer {
    status: u16,
    location: Option<String>,
    /// The `Date` header, in seconds since the epoch.
    date: Option<i64>,
    /// This host's clock halfway through the exchange, in seconds since the epoch.
    local: f64,
    body: Vec<u8>,
}

/// `issuer`, `tls` and `clock`.
pub(super) async fn network_checks(issuer: &str, offline: bool) -> Vec<Check> {
    if offline {
        return vec![
            Check::skip("issuer", "not checked: --offline"),
            tls_check(issuer, None),
            Check::skip("clock", "not checked: --offline"),
        ];
    }
    let url = format!("{issuer}/.well-known/openid-configuration");
    let fetched = fetch(&url).await;
    vec![
        issuer_check(issuer, &url, &fetched),
        tls_check(issuer, Some(&fetched)),
        clock_check(&fetched),
    ]
}

/// GETs `url` once, following no redirect, with the server's outbound client (rustls with
/// certificate verification, 5 s time limit), and keeps the headers doctor looks at.
async fn fetch(url: &str) -> Result<Answer, String> {
    FetchPolicy::new()
        .allow_plain_http()
        .check(url)
        .map_err(|err| url_refused(&err))?;
    let client = tessera_server::backchannel::http_client()
        .map_err(|err| format!("cannot set up the HTTP client: {}", chain(&err)))?;
    let sent = unix_f64(SystemTime::now());
    let mut response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|err| transport(err.is_timeout(), &err.without_url()))?;
    let local = (sent + unix_f64(SystemTime::now())) / 2.0;
    let header = |name: &str| {
        let value = response.headers().get(name)?;
        value.to_str().ok().map(str::to_owned)
    };
    let (location, date) = (header("location"), header("date"));
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| transport(err.is_timeout(), &err.without_url()))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("the answer is over {} KiB", MAX_BODY / 1024));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status: response.status().as_u16(),
        location,
        date: date.as_deref().and_then(http_date),
        local,
        body,
    })
}

/// A URL that cannot be fetched at all.
fn url_refused(err: &UrlError) -> String {
    match err {
        UrlError::Invalid(why) => format!("not a URL: {why}"),
        other => other.to_string(),
    }
}

/// A transport failure's causes (the caller names the URL).
fn transport(timed_out: bool, err: &dyn std::error::Error) -> String {
    if timed_out {
        return "no answer in time".to_owned();
    }
    chain(err)
}

/// Seconds since the epoch, with the fraction.
fn unix_f64(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// The issuer's metadata answers, and names the configured issuer.
fn issuer_check(issuer: &str, url: &str, fetched: &Result<Answer, String>) -> Check {
    let not_tessera = "check that server.issuer (or --issuer) is the URL of this Tessera server";
    let answer = match fetched {
        Ok(answer) => answer,
        Err(cause) => {
            let fix = if certificate_failure(cause) {
                "it answers, but its certificate is not trusted: see the tls check"
            } else {
                "start `tessera serve`, or set server.issuer (or --issuer) to the URL it is \
                 reached at"
            };
            return Check::fail("issuer", format!("cannot reach {url}: {cause}"), fix);
        }
    };
    match answer.status {
        200 => {}
        300..=399 => {
            let to = answer.location.as_deref().unwrap_or("nowhere");
            let message = format!("{url} redirects (HTTP {}) to {to}", answer.status);
            let fix = "set server.issuer to the URL that serves the metadata itself";
            return Check::fail("issuer", message, fix);
        }
        status => {
            return Check::fail(
                "issuer",
                format!("{url} answered HTTP {status}"),
                not_tessera,
            );
        }
    }
    let said = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|doc| doc.get("issuer")?.as_str().map(str::to_owned));
    match said {
        None => Check::fail(
            "issuer",
            format!("{url} is not OpenID Connect metadata: it names no issuer"),
            not_tessera,
        ),
        Some(said) if said != issuer => Check::fail(
            "issuer",
            format!("the server at {url} says its issuer is {said:?}, the settings say {issuer:?}"),
            "set the same server.issuer (TESSERA_SERVER__ISSUER) for the server and here: \
             tokens carry it as iss, and verifiers compare it",
        ),
        Some(_) => Check::ok("issuer", format!("{url} answers with issuer {issuer}")),
    }
}

/// https with a verified certificate, or plain http on loopback only. `fetched` is `None`
/// offline.
fn tls_check(issuer: &str, fetched: Option<&Result<Answer, String>>) -> Check {
    if let Err(UrlError::PlainHttp { host }) = FetchPolicy::new().check(issuer) {
        return Check::warn(
            "tls",
            format!(
                "the issuer is plain http on {host}: passwords and tokens cross the network \
                 unencrypted"
            ),
            "serve https (--tls-cert and --tls-key), or end TLS at a proxy and set server.issuer \
             to its https:// URL",
        );
    }
    if issuer.starts_with("http://") {
        return Check::ok(
            "tls",
            "plain http on a loopback address (reachable from this host only)",
        );
    }
    match fetched {
        None => Check::skip("tls", "not checked: --offline"),
        Some(Ok(_)) => Check::ok(
            "tls",
            "https with a certificate this host trusts (verified)",
        ),
        Some(Err(cause)) if certificate_failure(cause) => Check::fail(
            "tls",
            format!("the issuer's certificate is not trusted: {cause}"),
            "serve the whole chain (leaf first) from a CA this host trusts, for the issuer's \
             host name",
        ),
        Some(Err(_)) => Check::skip("tls", "the issuer did not answer"),
    }
}

/// This host's clock against the `Date` of the issuer's answer.
fn clock_check(fetched: &Result<Answer, String>) -> Check {
    let Ok(answer) = fetched else {
        return Check::skip("clock", "the issuer did not answer");
    };
    let Some(date) = answer.date else {
        return Check::warn(
            "clock",
            "the issuer's answer has no usable Date header; the clocks were not compared",
            "check what the proxy in front of the issuer does to the Date header",
        );
    };
    // The Date header is cut to whole seconds: the server's clock read half a second more,
    // on average.
    let skew = answer.local - (date as f64 + 0.5);
    let side = if skew > 0.0 { "ahead of" } else { "behind" };
    let apart = format!(
        "this host's clock is {:.1} s {side} the issuer's",
        skew.abs()
    );
    let fix = "synchronize the clocks with NTP (chrony, systemd-timesyncd)";
    if skew.abs() > CLOCK_FAIL_SECS {
        let message = format!(
            "{apart}: beyond the {CLOCK_FAIL_SECS} s leeway, tokens look expired or not yet valid"
        );
        return Check::fail("clock", message, fix);
    }
    if skew.abs() > CLOCK_WARN_SECS {
        return Check::warn("clock", apart, fix);
    }
    Check::ok(
        "clock",
        format!(
            "within {:.1} s of the issuer's (its Date header)",
            skew.abs()
        ),
    )
}

/// True when a fetch failed on the server's certificate (rustls says so in its message).
fn certificate_failure(cause: &str) -> bool {
    cause.to_ascii_lowercase().contains("certificate")
}

/// `--healthz URL`: the URL answers 200.
pub(super) async fn healthz(url: &str) -> Check {
    match fetch(url).await {
        Ok(answer) if answer.status == 200 => Check::ok("healthz", format!("{url} answered 200")),
        Ok(answer) => Check::fail(
            "healthz",
            format!("{url} answered HTTP {}", answer.status),
            "the server runs but is not healthy: read its log",
        ),
        Err(cause) => Check::fail(
            "healthz",
            format!("cannot reach {url}: {cause}"),
            "check that `tessera serve` runs and listens there",
        ),
    }
}

/// Parses an HTTP-date in the IMF-fixdate form that servers send (RFC 9110 §5.6.7,
/// `Sun, 06 Nov 1994 08:49:37 GMT`) into seconds since the epoch. IMF-fixdate is a form of
/// the RFC 2822 date-time, which the `time` crate parses (and with it the obsolete forms
/// RFC 2822 allows, such as other zone names; not RFC 850 nor asctime dates).
fn http_date(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc2822)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;

    #[test]
    fn http_dates_in_the_fixed_form_parse() {
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        for bad in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_dates_are_rfc_2822_date_times() {
        // The time crate's RFC 2822 parser: numeric zones count; the weekday is not checked
        // against the date (nor was it by the hand-written parser before it).
        assert_eq!(
            http_date("Sun, 06 Nov 1994 09:49:37 +0100"),
            Some(784_111_777)
        );
        assert_eq!(
            http_date("Mon, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
    }

    #[test]
    fn plain_http_is_fine_only_on_loopback() {
        assert_eq!(tls_check("http://127.0.0.1:8080", None).status, Status::Ok);
        let remote = tls_check("http://auth.example.com", None);
        assert_eq!(remote.status, Status::Warn);
        assert!(remote.message.contains("plain http on auth.example.com"));
        assert_eq!(
            tls_check("https://auth.example.com", None).status,
            Status::Skip
        );
    }

    #[test]
    fn clocks_apart_beyond_the_leeway_fail() {
        let answer = |local: f64, date: Option<i64>| {
            Ok(Answer {
                status: 200,
                location: None,
                date,
                local,
                body: Vec::new(),
            })
        };
        let at = 1_800_000_000;
        assert_eq!(
            clock_check(&answer(at as f64 + 0.7, Some(at))).status,
            Status::Ok
        );
        assert_eq!(
            clock_check(&answer(at as f64 + 10.0, Some(at))).status,
            Status::Warn
        );
        let far = clock_check(&answer(at as f64 - 120.0, Some(at)));
        assert_eq!(far.status, Status::Fail);
        assert!(
            far.message.contains("behind the issuer's"),
            "{}",
            far.message
        );
        assert_eq!(clock_check(&answer(0.0, None)).status, Status::Warn);
        assert_eq!(clock_check(&Err("down".into())).status, Status::Skip);
    }
}
