//! Discovery metadata and the JWKS.

use axum::http::StatusCode;

use crate::helpers::{ISSUER, TestApp};

#[tokio::test]
async fn both_discovery_paths_serve_rfc8414_metadata() {
    let app = TestApp::new().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let reply = app.get(path, None).await;
        assert_eq!(reply.status, StatusCode::OK);
        let doc = reply.json();
        assert_eq!(doc["issuer"], ISSUER);
        assert_eq!(doc["token_endpoint"], format!("{ISSUER}/oauth/token"));
        assert_eq!(doc["revocation_endpoint"], format!("{ISSUER}/oauth/revoke"));
        assert_eq!(
            doc["introspection_endpoint"],
            format!("{ISSUER}/oauth/introspect")
        );
        assert_eq!(doc["userinfo_endpoint"], format!("{ISSUER}/userinfo"));
        assert_eq!(doc["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
        let grants = doc["grant_types_supported"].to_string();
        for grant in ["password", "refresh_token", "client_credentials"] {
            assert!(grants.contains(grant), "{grants}");
        }
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
        assert!(doc["scopes_supported"].to_string().contains("openid"));
        assert_eq!(
            doc["acr_values_supported"],
            serde_json::json!(["urn:tessera:acr:pwd", "urn:tessera:acr:mfa"])
        );
        let claims = doc["claims_supported"].as_array().expect("claims");
        for claim in ["acr", "amr", "auth_time", "sid"] {
            assert!(claims.contains(&serde_json::json!(claim)), "{claim}");
        }
    }
}

#[tokio::test]
async fn jwks_has_public_keys_and_cache_control() {
    let app = TestApp::new().await;
    let reply = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/json");
    assert_eq!(
        reply.header("cache-control"),
        app.authority.jwks_cache_control()
    );
    assert!(
        reply
            .header("cache-control")
            .starts_with("public, max-age=")
    );
    let jwks = reply.json();
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["alg"], "ES256");
    assert_eq!(key["use"], "sig");
    assert!(key["kid"].is_string());
    assert!(key.get("d").is_none(), "no private part");
}
