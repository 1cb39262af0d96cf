//! Request methods: the seven the server knows are routed and counted under their name;
//! any other is refused with 405 before it reaches a route, and counted as `other`, so junk
//! methods cannot add metrics series without end.

use axum::http::{Method, StatusCode};

use crate::helpers::{TestApp, bare};

/// The `/metrics` body.
async fn scrape(app: &TestApp) -> String {
    let reply = app.get("/metrics", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    String::from_utf8(reply.body.to_vec()).expect("UTF-8")
}

/// `text`'s lines without their sample values, sorted: what stays the same while counts
/// go up.
fn shape(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text
        .lines()
        .map(|line| match line.rsplit_once(' ') {
            Some((series, _value)) if !line.starts_with('#') => series,
            _ => line,
        })
        .collect();
    lines.sort_unstable();
    lines
}

/// The value of the sample `series` (name and labels) in `text`.
fn sample(text: &str, series: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

/// A method no one uses, different for every `i`.
fn junk(i: usize) -> Method {
    Method::from_bytes(format!("JUNK{i}").as_bytes()).expect("a method token")
}

#[tokio::test]
async fn unknown_methods_get_405_and_an_oauth_error() {
    let app = TestApp::new().await;
    let huge = Method::from_bytes(&vec![b'X'; 65 * 1024]).expect("a method token");
    let cases = [
        (Method::TRACE, "/healthz"),
        (Method::CONNECT, "/oauth/token"),
        (junk(1), "/metrics"),
        (huge, "/nothing-here"),
    ];
    for (method, path) in cases {
        let reply = app.send(bare(method.clone(), path, None)).await;
        let json = reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "invalid_request");
        assert_eq!(json.as_object().map(|o| o.len()), Some(2), "{json}");
        assert_eq!(reply.header("cache-control"), "no-store", "{path}");
        assert_eq!(reply.header("x-content-type-options"), "nosniff", "{path}");
    }
    let text = scrape(&app).await;
    assert!(
        !text.contains("XXXX"),
        "a junk method never becomes a label"
    );
    assert!(
        !text.contains("JUNK"),
        "a junk method never becomes a label"
    );
    let other = r#"tessera_http_requests_total{route="/healthz",method="other",status="405"}"#;
    assert_eq!(sample(&text, other), Some(1), "{text}");
    let unmatched = r#"tessera_http_requests_total{route="unmatched",method="other",status="405"}"#;
    assert_eq!(sample(&text, unmatched), Some(1), "{text}");
}

#[tokio::test]
async fn known_methods_are_served_and_counted_by_name() {
    let app = TestApp::new().await;
    assert_eq!(
        app.send(bare(Method::HEAD, "/healthz", None)).await.status,
        StatusCode::OK
    );
    // A known method that the route does not take is the router's 405, not a refusal here.
    let reply = app.send(bare(Method::DELETE, "/healthz", None)).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(reply.header("allow").contains("GET"), "{:?}", reply.headers);
    let text = scrape(&app).await;
    let head = r#"tessera_http_requests_total{route="/healthz",method="HEAD",status="200"}"#;
    assert_eq!(sample(&text, head), Some(1), "{text}");
    let delete = r#"tessera_http_requests_total{route="/healthz",method="DELETE",status="405"}"#;
    assert_eq!(sample(&text, delete), Some(1), "{text}");
}

#[tokio::test]
async fn ten_thousand_junk_methods_leave_the_metrics_the_same_size() {
    const JUNK: usize = 10_000;
    let app = TestApp::new().await;
    let paths = ["/healthz", "/oauth/token", "/nothing-here"];
    // One of each kind of request first, so that every series they touch exists.
    for path in paths {
        app.send(bare(junk(0), path, None)).await;
    }
    scrape(&app).await;
    let before = scrape(&app).await;
    for i in 1..=JUNK {
        let path = paths[i % paths.len()];
        let reply = app.send(bare(junk(i), path, None)).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    }
    let after = scrape(&app).await;
    assert_eq!(
        shape(&after),
        shape(&before),
        "the same series, no new label"
    );
    // Only counts moved: at most a few more digits in each of the touched samples.
    assert!(
        after.len() <= before.len() + 256,
        "{} bytes before, {} after",
        before.len(),
        after.len()
    );
    let other = |route: &str, text: &str| {
        let series = format!(
            r#"tessera_http_requests_total{{route="{route}",method="other",status="405"}}"#
        );
        sample(text, &series).unwrap_or(0)
    };
    let counted: u64 = ["/healthz", "/oauth/token", "unmatched"]
        .iter()
        .map(|route| other(route, &after) - other(route, &before))
        .sum();
    assert_eq!(counted, JUNK as u64, "every refusal is counted, as `other`");
}
