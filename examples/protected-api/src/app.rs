//! The routes: each caller sees and creates only their own orders.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera_guard::{AccessToken, Guard};

/// The longest item name accepted.
const MAX_ITEM: usize = 200;
/// The largest quantity accepted.
const MAX_QUANTITY: u32 = 1000;
/// The most orders the in-memory store keeps (a demo must not grow without bound).
const MAX_ORDERS: usize = 10_000;

/// An order.
#[derive(Clone, Debug, Serialize)]
struct Order {
    id: u64,
    item: String,
    quantity: u32,
    created_at: u64,
    #[serde(skip)]
    owner: String,
}

/// The body of `POST /orders`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrder {
    item: String,
    quantity: u32,
}

/// The in-memory order book.
#[derive(Debug, Default)]
struct Orders {
    next_id: u64,
    list: Vec<Order>,
}

type Shared = Arc<Mutex<Orders>>;

/// The service's router: `/orders` guarded by scope, `/healthz` open.
pub(crate) fn router(guard: &Guard) -> Router {
    let read = guard.layer().require_scope("orders:read");
    let write = guard.layer().require_scope("orders:write");
    let orders = Router::new()
        .route("/orders", get(list.layer(read)).post(create.layer(write)))
        .with_state(Shared::default());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(orders)
}

/// `GET /orders`: the caller's orders.
async fn list(State(orders): State<Shared>, token: AccessToken) -> Json<Vec<Order>> {
    let orders = orders.lock().unwrap_or_else(PoisonError::into_inner);
    let mine = orders
        .list
        .iter()
        .filter(|o| o.owner == token.subject())
        .cloned()
        .collect();
    Json(mine)
}

/// `POST /orders`: creates an order for the caller.
async fn create(
    State(orders): State<Shared>,
    token: AccessToken,
    body: Result<Json<NewOrder>, JsonRejection>,
) -> Response {
    let order = match body {
        Ok(Json(order)) => order,
        Err(_) => return invalid("the body must be JSON {\"item\": string, \"quantity\": number}"),
    };
    let item = order.item.trim();
    if item.is_empty() || item.chars().count() > MAX_ITEM {
        return invalid("item must be 1 to 200 characters");
    }
    if !(1..=MAX_QUANTITY).contains(&order.quantity) {
        return invalid("quantity must be 1 to 1000");
    }
    let mut orders = orders.lock().unwrap_or_else(PoisonError::into_inner);
    if orders.list.len() >= MAX_ORDERS {
        return (
            StatusCode::INSUFFICIENT_STORAGE,
            Json(json!({"error": "order book full"})),
        )
            .into_response();
    }
    orders.next_id += 1;
    let order = Order {
        id: orders.next_id,
        item: item.to_owned(),
        quantity: order.quantity,
        created_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        owner: token.subject().to_owned(),
    };
    orders.list.push(order.clone());
    (StatusCode::CREATED, Json(order)).into_response()
}

fn invalid(description: &str) -> Response {
    let body = json!({"error": "invalid_request", "error_description": description});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt as _;
    use serde_json::Value;
    use tessera_jose::jws::Header;
    use tessera_jose::{Algorithm, Claims, KeySet, SigningKey, dpop, jwt};
    use tower::ServiceExt as _;

    use super::*;

    const ISSUER: &str = "https://auth.example.com";
    const PUBLIC: &str = "https://orders.example.com";

    struct Fixture {
        key: SigningKey,
        app: Router,
    }

    async fn fixture() -> Fixture {
        let key = SigningKey::generate(Algorithm::ES256).expect("key");
        let mut keys = KeySet::default();
        keys.push(key.verifying_key().expect("public"))
            .expect("push");
        let guard = Guard::builder()
            .keys(keys)
            .expected_issuer(ISSUER)
            .audience("orders-api")
            .public_url(PUBLIC)
            .build()
            .await
            .expect("guard");
        Fixture {
            key,
            app: router(&guard),
        }
    }

    fn token(key: &SigningKey, sub: &str, scope: &str) -> String {
        bound_token(key, sub, scope, None)
    }

    /// A token, bound to the key with thumbprint `jkt` when there is one.
    fn bound_token(key: &SigningKey, sub: &str, scope: &str, jkt: Option<&str>) -> String {
        let now = i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("time")
                .as_secs(),
        )
        .expect("time");
        let claims = Claims::new()
            .with_issuer(ISSUER)
            .with_subject(sub)
            .with_audience("orders-api")
            .with_issued_at(now)
            .with_expiry(now + 300)
            .with_jwt_id(format!("{sub}-{scope}"))
            .with("client_id", "web")
            .and_then(|c| c.with("scope", scope))
            .and_then(|c| match jkt {
                Some(jkt) => c.with("cnf", json!({ "jkt": jkt })),
                None => Ok(c),
            })
            .expect("claims");
        let header = Header::new(Algorithm::ES256)
            .with_typ("at+jwt")
            .with_kid(key.kid());
        jwt::sign_with_header(&header, &claims, key).expect("sign")
    }

    async fn send(app: &Router, method: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        let authorization = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("authorization", value.as_str()))
            .collect();
        send_with(app, method, &headers, body).await
    }

    async fn send_with(
        app: &Router,
        method: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri("/orders")
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::from(body.to_owned())).expect("request");
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn orders_are_created_and_listed_per_caller() {
        let f = fixture().await;
        let alice = token(&f.key, "alice", "orders:read orders:write");
        let (status, order) = send(
            &f.app,
            "POST",
            Some(&alice),
            r#"{"item":"tea","quantity":2}"#,
        )
        .await;
        assert_eq!(status, 201, "{order}");
        assert_eq!(
            (order["id"].as_u64(), order["item"].as_str()),
            (Some(1), Some("tea"))
        );
        let (status, list) = send(&f.app, "GET", Some(&alice), "").await;
        assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(1)));
        let bob = token(&f.key, "bob", "orders:read");
        let (_, list) = send(&f.app, "GET", Some(&bob), "").await;
        assert_eq!(list, json!([]));
    }

    #[tokio::test]
    async fn scopes_decide_who_may_read_and_write() {
        let f = fixture().await;
        let reader = token(&f.key, "r", "orders:read");
        let (status, body) = send(
            &f.app,
            "POST",
            Some(&reader),
            r#"{"item":"x","quantity":1}"#,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("insufficient_scope"))
        );
        let writer = token(&f.key, "w", "orders:write");
        assert_eq!(send(&f.app, "GET", Some(&writer), "").await.0, 403);
        assert_eq!(send(&f.app, "GET", None, "").await.0, 401);
    }

    #[tokio::test]
    async fn bad_orders_are_400() {
        let f = fixture().await;
        let writer = token(&f.key, "w", "orders:write");
        for body in [
            "not json",
            r#"{"item":"","quantity":1}"#,
            r#"{"item":"x","quantity":0}"#,
            r#"{"item":"x","quantity":1001}"#,
            r#"{"item":"x","quantity":1,"price":0}"#,
        ] {
            let (status, answer) = send(&f.app, "POST", Some(&writer), body).await;
            assert_eq!(
                (status, answer["error"].as_str()),
                (400, Some("invalid_request")),
                "{body}"
            );
        }
    }

    #[tokio::test]
    async fn dpop_bound_tokens_need_a_proof_for_the_public_url() {
        let f = fixture().await;
        let client = SigningKey::generate(Algorithm::ES256).expect("key");
        let jkt = client.verifying_key().expect("public").thumbprint();
        let token = bound_token(&f.key, "carol", "orders:write", Some(&jkt));
        let authorization = format!("DPoP {token}");
        let proof = dpop::proof(&client, "POST", "https://orders.example.com/orders")
            .access_token(&token)
            .sign()
            .expect("proof");
        let headers = [("authorization", authorization.as_str()), ("dpop", &proof)];
        let body = r#"{"item":"tea","quantity":1}"#;
        assert_eq!(send_with(&f.app, "POST", &headers, body).await.0, 201);
        // The same proof again, and the token without one: both refused.
        let (status, answer) = send_with(&f.app, "POST", &headers, body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (401, Some("invalid_dpop_proof"))
        );
        let (status, answer) = send(&f.app, "POST", Some(&token), body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (401, Some("invalid_token"))
        );
    }

    #[tokio::test]
    async fn healthz_is_open() {
        let f = fixture().await;
        let request = Request::builder()
            .uri("/healthz")
            .body(Body::empty())
            .expect("request");
        let response = f.app.clone().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), 200);
    }
}
