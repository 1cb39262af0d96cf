//! `--jwks URL`: fetched from a bounded HTTP server on 127.0.0.1; other http hosts are refused
//! before any connection is made.

use predicates::str::contains;
use tessera_jose::Algorithm;

use crate::helpers::{Dir, Reply, generate, jwks, public_jwk, serve, sign, tessera};

struct Issuer {
    jwks: String,
    token: String,
}

fn issuer() -> Issuer {
    let dir = Dir::new();
    let private = generate(Algorithm::ES256);
    let key = dir.write("key.jwk", &private);
    Issuer {
        jwks: jwks(&[&public_jwk(&private)]),
        token: sign(&key, r#"{"sub":"remote"}"#, &[]),
    }
}

fn verify_url(token: &str, url: &str) -> assert_cmd::assert::Assert {
    tessera()
        .args(["token", "verify", "--jwks", url, token])
        .assert()
}

#[test]
fn fetches_a_jwks_from_a_loopback_server() {
    let issuer = issuer();
    let port = serve(vec![Reply::json(issuer.jwks.clone())]);
    verify_url(
        &issuer.token,
        &format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
    )
    .success()
    .stdout(contains("\"sub\": \"remote\""));
}

#[test]
fn follows_a_redirect_that_stays_on_loopback() {
    let issuer = issuer();
    let port = serve(vec![
        Reply::redirect("/keys/current.json"),
        Reply::json(issuer.jwks.clone()),
    ]);
    verify_url(&issuer.token, &format!("http://127.0.0.1:{port}/jwks.json")).success();
}

#[test]
fn refuses_plain_http_to_other_hosts_before_connecting() {
    let issuer = issuer();
    verify_url(&issuer.token, "http://example.com/jwks.json")
        .code(2)
        .stderr(contains("refusing plain http for example.com"))
        .stderr(contains("use an https:// URL"));
}

#[test]
fn refuses_a_redirect_to_plain_http_elsewhere() {
    let issuer = issuer();
    let port = serve(vec![Reply::redirect("http://example.com/jwks.json")]);
    verify_url(&issuer.token, &format!("http://127.0.0.1:{port}/jwks.json"))
        .code(2)
        .stderr(contains("redirects to http://example.com/jwks.json"))
        .stderr(contains("refusing plain http"));
}

#[test]
fn http_errors_and_oversize_bodies_exit_2() {
    let issuer = issuer();
    let port = serve(vec![Reply::status("404 Not Found")]);
    verify_url(&issuer.token, &format!("http://127.0.0.1:{port}/jwks.json"))
        .code(2)
        .stderr(contains("answered HTTP 404"));
    let port = serve(vec![Reply::json(vec![b' '; 2 * 1024 * 1024])]);
    verify_url(&issuer.token, &format!("http://127.0.0.1:{port}/jwks.json"))
        .code(2)
        .stderr(contains("more than 1024 KiB"));
    let port = serve(vec![Reply::json("<html>not keys</html>")]);
    verify_url(&issuer.token, &format!("http://127.0.0.1:{port}/jwks.json"))
        .code(2)
        .stderr(contains("is not a key"));
}

#[test]
fn unsupported_schemes_exit_2() {
    let issuer = issuer();
    verify_url(&issuer.token, "ftp://127.0.0.1/jwks.json")
        .code(2)
        .stderr(contains("unsupported URL scheme"));
}
