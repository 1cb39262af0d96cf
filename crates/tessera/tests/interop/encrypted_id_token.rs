//! A relying party no one here wrote decrypts its ID tokens: Authlib, configured from our
//! discovery document and holding the client's private key, runs the code flow for a client
//! registered with `--jwks` and `--id-token-encrypted-response-alg/enc`, decrypts the JWE with
//! its own JWE code, and validates the signed ID token inside against the discovered JWKS.

use serde_json::{Value, json};
use tessera_jose::jwe::{ContentEncryption, DecryptionKey, EcdhCurve, KeyAlgorithm};

use crate::helpers::{DataDir, PASSWORD, ServerProcess};
use crate::tools::{Runtime, json_output};

/// Never contacted: the library reads the code from the redirect's `Location`.
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const BYE: &str = "http://127.0.0.1:9/signed-out";

/// One client per key family of the brief, each with another content encryption.
fn cases() -> [(KeyAlgorithm, Option<EcdhCurve>, ContentEncryption); 3] {
    [
        (
            KeyAlgorithm::RsaOaep256,
            None,
            ContentEncryption::A128CbcHs256,
        ),
        (
            KeyAlgorithm::EcdhEsA256Kw,
            Some(EcdhCurve::P256),
            ContentEncryption::A256Gcm,
        ),
        (
            KeyAlgorithm::EcdhEs,
            Some(EcdhCurve::X25519),
            ContentEncryption::A256CbcHs512,
        ),
    ]
}

/// Registers a code-flow client whose ID tokens are encrypted to a new key; its registration
/// answer (id and secret) and the private key.
fn encrypting_client(
    data: &DataDir,
    (alg, curve, enc): (KeyAlgorithm, Option<EcdhCurve>, ContentEncryption),
) -> (Value, DecryptionKey) {
    let key = DecryptionKey::generate(alg, curve, None)
        .expect("key")
        .with_kid(format!("rp-{alg}"));
    let public = key.encryption_key().expect("public").to_jwk();
    let file = data.path().join(format!("rp-{alg}.jwks.json"));
    std::fs::write(&file, format!(r#"{{"keys":[{}]}}"#, public.to_json())).expect("write");
    let args = [
        "client",
        "add",
        "portal",
        "--grant",
        "authorization_code",
        "--grant",
        "refresh_token",
        "--scope",
        "openid",
        "--redirect-uri",
        REDIRECT,
        "--post-logout-redirect-uri",
        BYE,
        "--first-party",
        "--jwks",
        file.to_str().expect("path"),
        "--id-token-encrypted-response-alg",
        alg.as_str(),
        "--id-token-encrypted-response-enc",
        enc.as_str(),
    ];
    let client: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    (client, key)
}

#[test]
#[ignore = "needs python3 with interop/python/requirements.txt"]
fn authlib_decrypts_and_validates_encrypted_id_tokens() {
    Runtime::Python.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    for case in cases() {
        let (client, key) = encrypting_client(&data, case);
        let client_id = client["client_id"].as_str().expect("client_id");
        let secrets = json!({
            "client_secret": client["client_secret"],
            "password": PASSWORD,
            "decryption_key": serde_json::to_value(key.to_jwk()).expect("jwk"),
        });
        let output = Runtime::Python.run(
            "code_flow.py",
            &[
                "--issuer",
                server.base.as_str(),
                "--client-id",
                client_id,
                "--username",
                "alice",
                "--redirect-uri",
                REDIRECT,
                "--post-logout-redirect-uri",
                BYE,
            ],
            &secrets.to_string(),
        );
        let report = json_output(&format!("Authlib, {:?}", case.0), &output);
        let header = &report["id_token_jwe_header"];
        assert_eq!(header["alg"], case.0.as_str(), "{report}");
        assert_eq!(header["enc"], case.2.as_str(), "{report}");
        assert_eq!(header["kid"], key.kid().expect("kid"), "{report}");
        let claims = &report["id_token_claims"];
        assert_eq!(claims["iss"], server.base.as_str(), "{report}");
        assert_eq!(claims["aud"], client_id, "{report}");
        assert_eq!(report["userinfo"]["sub"], claims["sub"], "{report}");
        assert_eq!(
            report["logout_status"], 303,
            "the inner token is a hint: {report}"
        );
        assert_eq!(report["signed_out"], true, "{report}");
    }
}
