//! The HTTP floor: a bare axum 0.8 route served by `axum::serve` on a multi-thread tokio runtime (`tessera serve`
//! uses axum-server on the same runtime), answering a small static JSON body. Prints `listening on ADDR` once bound.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

async fn hello() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"hello":"world"}"#,
    )
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!(
        "listening on {}",
        listener.local_addr().expect("local addr")
    );
    let app = Router::new().route("/", get(hello));
    axum::serve(listener, app).await.expect("serve");
}
