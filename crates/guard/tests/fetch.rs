//! The fetch policy against a local server: what the guard never follows, and what a policy
//! that follows redirects (the command line's `--jwks URL`) follows and refuses; the body cap
//! with and without a `Content-Length`.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::stream;
use tessera_guard::{FetchError, FetchPolicy, Fetcher, UrlError};

use common::serve;

const JSON: &str = "application/json";

fn redirect(to: &'static str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

/// `/keys` (the document), `/moved` (to `/keys`), `/loop` (to itself), `/away` (to plain
/// http elsewhere), `/big` (2 MiB with a length), `/stream` (2 MiB in chunks, no length).
async fn server() -> String {
    let app = Router::new()
        .route("/keys", get(|| async { r#"{"keys":[]}"# }))
        .route("/moved", get(|| async { redirect("/keys") }))
        .route("/loop", get(|| async { redirect("/loop") }))
        .route(
            "/away",
            get(|| async { redirect("http://example.com/keys") }),
        )
        .route("/big", get(|| async { " ".repeat(2 << 20) }))
        .route(
            "/stream",
            get(|| async {
                let chunk = |_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024]);
                Body::from_stream(stream::iter((0..32).map(chunk)))
            }),
        );
    serve(app).await
}

async fn fetch(policy: FetchPolicy, url: &str) -> Result<Vec<u8>, FetchError> {
    Fetcher::new(policy).expect("client").get(url, JSON).await
}

#[tokio::test]
async fn the_default_policy_follows_no_redirect() {
    let base = server().await;
    let keys = fetch(FetchPolicy::new(), &format!("{base}/keys")).await;
    assert_eq!(keys.as_deref(), Ok(&br#"{"keys":[]}"#[..]));
    let moved = fetch(FetchPolicy::new(), &format!("{base}/moved")).await;
    assert_eq!(moved, Err(FetchError::Status(302)));
}

#[tokio::test]
async fn a_following_policy_checks_every_hop() {
    let base = server().await;
    let policy = || FetchPolicy::new().follow_redirects(3);
    let moved = fetch(policy(), &format!("{base}/moved")).await;
    assert_eq!(moved.as_deref(), Ok(&br#"{"keys":[]}"#[..]));
    let away = fetch(policy(), &format!("{base}/away")).await;
    assert_eq!(
        away,
        Err(FetchError::Redirect {
            to: "http://example.com/keys".into(),
            refused: UrlError::PlainHttp {
                host: "example.com".into()
            },
        })
    );
    let looping = fetch(policy(), &format!("{base}/loop")).await;
    assert_eq!(looping.map_err(|e| e.code()), Err("redirects_too_many"));
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused_with_or_without_a_length() {
    let base = server().await;
    for path in ["/big", "/stream"] {
        let got = fetch(FetchPolicy::new(), &format!("{base}{path}")).await;
        assert_eq!(got, Err(FetchError::TooLarge(1 << 20)), "{path}");
    }
}

#[tokio::test]
async fn errors_carry_stable_codes() {
    let base = server().await;
    let refused = fetch(FetchPolicy::new(), "http://example.com/keys").await;
    assert_eq!(refused.map_err(|e| e.code()), Err("url_refused"));
    let missing = fetch(FetchPolicy::new(), &format!("{base}/nothing")).await;
    assert_eq!(missing.map_err(|e| e.code()), Err("status_unexpected"));
    // A port nothing listens on (bound, then released): the transport fails.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = listener.local_addr().expect("address");
    drop(listener);
    let down = fetch(FetchPolicy::new(), &format!("http://{closed}/keys")).await;
    assert_eq!(down.map_err(|e| e.code()), Err("transport_failed"));
}
