//! A DPoP-bound token end to end on loopback: a service guarded with a public URL, and a
//! client that holds a key, proves possession of it on each request, and shows what the
//! guard answers to a valid request, a replayed proof and a `Bearer` downgrade. Its output
//! is quoted in docs/guard.md.
//!
//! `cargo run -p tessera-guard --example dpop`

#![allow(missing_docs)]

use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tessera_guard::{AccessToken, Guard};
use tessera_jose::jws::Header;
use tessera_jose::{Algorithm, Claims, KeySet, SigningKey, dpop, jwt};
use tokio::net::TcpListener;

const ISSUER: &str = "https://auth.example.com";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The service: its guard knows the URL clients reach it at, and never trusts Host.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let public_url = format!("http://{}", listener.local_addr()?);
    let issuer_key = SigningKey::generate(Algorithm::ES256)?;
    let mut keys = KeySet::default();
    keys.push(issuer_key.verifying_key()?)?;
    let guard = Guard::builder()
        .keys(keys)
        .expected_issuer(ISSUER)
        .audience("orders-api")
        .public_url(&public_url)
        .dpop_algorithms([Algorithm::ES256, Algorithm::EdDSA])
        .build()
        .await?;
    let app = Router::new()
        .route("/orders", get(orders))
        .layer(guard.layer().require_scope("orders:read"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    // The client's key, and a token the issuer bound to it (`cnf.jkt`).
    let client_key = SigningKey::generate(Algorithm::ES256)?;
    let jkt = client_key.verifying_key()?.thumbprint();
    let token = bound_token(&issuer_key, &jkt)?;

    // One request: `Authorization: DPoP <token>` and a fresh proof for this method and URL.
    let url = format!("{public_url}/orders");
    let proof = dpop::proof(&client_key, "GET", &url)
        .access_token(&token)
        .sign()?;
    let http = reqwest::Client::new();
    let send = |authorization: String, proof: Option<&str>| {
        let mut request = http.get(&url).header("authorization", authorization);
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        request.send()
    };
    show(
        "DPoP with a fresh proof",
        send(format!("DPoP {token}"), Some(&proof)).await?,
    )
    .await;
    show(
        "the same proof again",
        send(format!("DPoP {token}"), Some(&proof)).await?,
    )
    .await;
    show(
        "the bound token as Bearer",
        send(format!("Bearer {token}"), None).await?,
    )
    .await;
    show("no token", http.get(&url).send().await?).await;
    println!("refusals by reason: {:?}", guard.stats().rejected);
    Ok(())
}

async fn orders(token: AccessToken) -> Json<Value> {
    Json(json!({ "sub": token.subject(), "bound_to": token.confirmation_jkt() }))
}

async fn show(what: &str, response: reqwest::Response) {
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    println!("{what}: {status} {body}");
    if let Some(challenge) = challenge {
        println!("  WWW-Authenticate: {challenge}");
    }
}

fn bound_token(key: &SigningKey, jkt: &str) -> Result<String, tessera_jose::Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let claims = Claims::new()
        .with_issuer(ISSUER)
        .with_subject("alice")
        .with_audience("orders-api")
        .with_issued_at(now)
        .with_expiry(now + 300)
        .with_jwt_id("example-token")
        .with("client_id", "cli-app")?
        .with("scope", "orders:read")?
        .with("cnf", json!({ "jkt": jkt }))?;
    let header = Header::new(Algorithm::ES256)
        .with_typ("at+jwt")
        .with_kid(key.kid());
    jwt::sign_with_header(&header, &claims, key)
}
