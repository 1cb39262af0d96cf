//! The target of `bench/guard/run.sh`: `GET /open` and `GET /guarded` run the same handler,
//! the second behind the guard. The guard takes its keys over HTTP from a JWKS this process
//! also serves (on a second loopback port), so it runs its real remote-key path. Prints the
//! address, then one token per algorithm.
//!
//! `cargo run --release -p tessera-guard --example bench_target -- 127.0.0.1:0`

#![allow(missing_docs)]

use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tessera_guard::Guard;
use tessera_jose::jws::Header;
use tessera_jose::{Algorithm, Claims, JwkSet, SigningKey, jwt};
use tokio::net::TcpListener;

const ISSUER: &str = "https://auth.example.com";
const AUDIENCE: &str = "orders-api";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let keys = [Algorithm::ES256, Algorithm::EdDSA]
        .map(SigningKey::generate)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let jwks_url = serve_jwks(&keys).await?;
    let guard = Guard::builder()
        .jwks_url(jwks_url)
        .expected_issuer(ISSUER)
        .audience(AUDIENCE)
        .without_revocation_feed()
        .build()
        .await?;
    let app = Router::new().route("/open", get(orders)).route(
        "/guarded",
        get(orders).route_layer(guard.layer().require_scope("orders:read")),
    );
    let listener = TcpListener::bind(&listen).await?;
    println!("listening http://{}", listener.local_addr()?);
    for key in &keys {
        println!("token {} {}", key.algorithm().as_str(), token(key)?);
    }
    axum::serve(listener, app).await?;
    Ok(())
}

/// Serves the public keys on a free loopback port; returns the JWKS URL.
async fn serve_jwks(keys: &[SigningKey]) -> Result<String, Box<dyn std::error::Error>> {
    let mut set = JwkSet::default();
    for key in keys {
        set.keys.push(key.verifying_key()?.to_jwk());
    }
    let body = set.to_json();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/jwks", listener.local_addr()?);
    let app = Router::new().route("/jwks", get(move || async move { body }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

async fn orders() -> Json<Value> {
    Json(json!([{"id": 1, "item": "green tea", "quantity": 2}]))
}

fn token(key: &SigningKey) -> Result<String, tessera_jose::Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let claims = Claims::new()
        .with_issuer(ISSUER)
        .with_subject("4f1c7d2e-9a8b-4c6d-8e2f-1a2b3c4d5e6f")
        .with_audience(AUDIENCE)
        .with_issued_at(now)
        .with_expiry(now + 86_400)
        .with_jwt_id(format!("bench-{}", key.algorithm().as_str()))
        .with("client_id", "orders-web")?
        .with("scope", "orders:read")?;
    let header = Header::new(key.algorithm())
        .with_typ("at+jwt")
        .with_kid(key.kid());
    jwt::sign_with_header(&header, &claims, key)
}
