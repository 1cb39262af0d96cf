//! `tessera serve --tls-cert … --tls-key …`: HTTPS with a certificate made at test time,
//! a client that trusts only that certificate, and HSTS on TLS only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use crate::helpers::{DataDir, PASSWORD, ServerProcess, get, reply};

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files into `dir`;
/// the paths, and the certificate's DER for the client's root store.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf, Vec<u8>) {
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).expect("certificate");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    (cert, key, certified.cert.der().to_vec())
}

/// A client whose only trusted root is `root_der`.
fn trusting(root_der: &[u8]) -> ureq::Agent {
    let root = Certificate::from_der(root_der).to_owned();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::new_with_certs(&[root]))
        .unversioned_rustls_crypto_provider(provider)
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .proxy(None)
        .build()
        .into()
}

#[test]
fn serves_https_with_hsts_and_issues_tokens() {
    let data = DataDir::new();
    let files = tempfile::tempdir().expect("temp dir");
    let (cert, key, der) = self_signed(files.path());
    let agent = trusting(&der);
    let server = ServerProcess::start_tls(&data, &cert, &key, agent.clone());
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );

    let health = reply(agent.get(server.url("/healthz")).call());
    assert_eq!(health.status, 200);
    let hsts = health.header("strict-transport-security").unwrap_or("");
    assert!(hsts.contains("max-age="), "{hsts:?}");

    let metadata = reply(
        agent
            .get(server.url("/.well-known/openid-configuration"))
            .call(),
    );
    let issuer = metadata.json()["issuer"].as_str().unwrap_or("").to_owned();
    assert!(issuer.starts_with("https://"), "{issuer}");

    data.add_user("alice", &[]);
    let client = data.add_client(&["password"]);
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let tokens = reply(
        agent
            .post(server.url("/oauth/token"))
            .header("Authorization", client.basic())
            .send_form(form),
    );
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert!(tokens.json()["access_token"].is_string());
    assert!(tokens.header("strict-transport-security").is_some());
}

#[test]
fn a_client_that_does_not_trust_the_certificate_is_refused() {
    let data = DataDir::new();
    let files = tempfile::tempdir().expect("temp dir");
    let (cert, key, der) = self_signed(files.path());
    let server = ServerProcess::start_tls(&data, &cert, &key, trusting(&der));
    let (_, _, other) = self_signed(files.path());
    let stranger = trusting(&other);
    assert!(stranger.get(server.url("/healthz")).call().is_err());
}

#[test]
fn plain_http_has_no_hsts() {
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    let health = get(&server.url("/healthz"), None);
    assert_eq!(health.status, 200);
    assert_eq!(health.header("strict-transport-security"), None);
}
