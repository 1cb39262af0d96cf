//! `Validator::verify_view`: what the view reads, for payloads of the usual shape and for
//! those only the full parser reads, and that it refuses what `Validator::verify` refuses.

mod common;

use std::sync::Arc;

use serde::Deserialize;
use tessera_jose::{
    Algorithm, Claims, FixedClock, KeySet, SigningKey, Validator, ValidatorBuilder, VerifyingKey,
};

use common::{code, forge};

const NOW: i64 = 1_700_000_000;

fn key() -> SigningKey {
    SigningKey::from_secret(&[0x5a; 32], Algorithm::HS256)
        .expect("32-byte secret")
        .with_kid("k1")
}

fn verifier() -> VerifyingKey {
    key().verifying_key().expect("same secret")
}

fn validator() -> ValidatorBuilder {
    Validator::builder().clock(Arc::new(FixedClock(NOW)))
}

/// A payload of the usual shape, and the same claims with escapes and whitespace, which only
/// the full parser reads.
fn payloads() -> [String; 2] {
    let exp = NOW + 600;
    [
        format!(
            r#"{{"iss":"https://i.test","sub":"u-1","aud":["a","b"],"exp":{exp},"nbf":{NOW},"iat":{NOW},"jti":"j-1","scope":"read write","n":3}}"#
        ),
        format!(
            r#"{{ "iss":"https:\/\/i.test", "sub":"u\u002d1", "aud":["a","b"], "exp":{exp}, "nbf":{NOW}.0, "iat":{NOW}, "jti":"j-1", "scope":"read write", "n":3 }}"#
        ),
    ]
}

#[test]
fn reads_the_registered_claims_of_either_shape() {
    for payload in payloads() {
        let token = forge(r#"{"alg":"HS256","kid":"k1"}"#, payload.as_bytes(), &key());
        let view = validator()
            .issuer("https://i.test")
            .audience("b")
            .build()
            .verify_view(&token, &verifier())
            .expect("valid");
        assert_eq!(view.iss(), Some("https://i.test"), "{payload}");
        assert_eq!(view.sub(), Some("u-1"));
        assert_eq!(view.jti(), Some("j-1"));
        assert_eq!(view.aud().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            (view.exp(), view.nbf(), view.iat()),
            (Some(NOW + 600), Some(NOW), Some(NOW))
        );
        assert!(view.contains("scope") && view.contains("aud") && !view.contains("other"));
        assert_eq!(view.payload(), payload);
        assert_eq!(
            (view.alg(), view.kid(), view.typ()),
            (Algorithm::HS256, Some("k1"), None)
        );
        let owned = validator()
            .build()
            .verify(&token, &verifier())
            .expect("valid");
        assert_eq!(view.claims(), owned.claims);
        assert_eq!(view.header(), owned.header);
        let token = view.into_token();
        assert_eq!((token.claims, token.header), (owned.claims, owned.header));
    }
}

#[test]
fn deserializes_into_borrowing_application_types() {
    #[derive(Deserialize)]
    struct Access<'a> {
        sub: &'a str,
        scope: &'a str,
        n: u8,
    }
    #[derive(Deserialize)]
    struct Wrong {
        #[allow(dead_code)]
        scope: u32,
    }
    let token = forge(r#"{"alg":"HS256"}"#, payloads()[0].as_bytes(), &key());
    let view = validator()
        .build()
        .verify_view(&token, &verifier())
        .expect("valid");
    let access: Access<'_> = view.deserialize().expect("fits");
    assert_eq!(
        (access.sub, access.scope, access.n),
        ("u-1", "read write", 3)
    );
    assert_eq!(code(view.deserialize::<Wrong>()), "token_malformed");
}

#[test]
fn the_keys_own_header_and_any_other_header_read_alike() {
    let claims = Claims::new()
        .with_subject("u-1")
        .with_audience("only")
        .with_expiry(NOW + 600);
    let own = tessera_jose::jwt::sign(&claims, &key()).expect("signs");
    let mut set = KeySet::default();
    set.push(verifier()).expect("one key");
    for keys in [&verifier() as &dyn Check, &set] {
        let view = keys.view(&own);
        assert_eq!((view.kid(), view.typ()), (Some("k1"), Some("JWT")));
        assert_eq!(view.aud().collect::<Vec<_>>(), ["only"]);
    }
    // A header with other members is kept whole.
    let other = forge(
        r#"{"alg":"HS256","kid":"k1","typ":"at+jwt","x5t#S256":"abc"}"#,
        claims.to_json().as_bytes(),
        &key(),
    );
    let view = (&verifier() as &dyn Check).view(&other);
    assert_eq!((view.kid(), view.typ()), (Some("k1"), Some("at+jwt")));
    let header = view.header();
    assert_eq!(header.extra.get("x5t#S256"), Some(&"abc".into()));
}

/// Verifies with the default validator through either resolver.
trait Check {
    fn view(&self, token: &str) -> tessera_jose::TokenView;
}

impl Check for VerifyingKey {
    fn view(&self, token: &str) -> tessera_jose::TokenView {
        validator().build().verify_view(token, self).expect("valid")
    }
}

impl Check for KeySet {
    fn view(&self, token: &str) -> tessera_jose::TokenView {
        validator().build().verify_view(token, self).expect("valid")
    }
}

#[test]
fn audiences_of_every_form() {
    let exp = NOW + 600;
    for (aud, expected) in [
        (r#""one""#, vec!["one"]),
        (r#"["x","y","z"]"#, vec!["x", "y", "z"]),
        (r#"[""]"#, vec![""]),
        ("[]", vec![]),
        (r#"["a\"b"]"#, vec!["a\"b"]),
    ] {
        let payload = format!(r#"{{"aud":{aud},"exp":{exp}}}"#);
        let token = forge(r#"{"alg":"HS256"}"#, payload.as_bytes(), &key());
        let view = validator()
            .build()
            .verify_view(&token, &verifier())
            .expect("valid");
        assert_eq!(view.aud().collect::<Vec<_>>(), expected, "{aud}");
        assert_eq!(view.contains("aud"), !expected.is_empty(), "{aud}");
    }
}

#[test]
fn required_claims_are_looked_up_in_the_payload() {
    let exp = NOW + 600;
    for (payload, expected) in [
        (format!(r#"{{"exp":{exp},"client_id":"c"}}"#), "ok"),
        (format!(r#"{{"exp":{exp},"client":"c"}}"#), "claim_missing"),
        (format!(r#"{{"exp":{exp}, "client_id":"c"}}"#), "ok"),
        (format!(r#"{{"exp":{exp},"client_i\u0064":"c"}}"#), "ok"),
    ] {
        let token = forge(r#"{"alg":"HS256"}"#, payload.as_bytes(), &key());
        let validator = validator().require("client_id").build();
        assert_eq!(
            code(validator.verify_view(&token, &verifier())),
            expected,
            "{payload}"
        );
        assert_eq!(
            code(validator.verify(&token, &verifier())),
            expected,
            "{payload}"
        );
    }
}

#[test]
fn payloads_that_are_not_claims_are_refused() {
    let lenient = validator().allow_missing_exp().build();
    for (payload, expected) in [
        (&b"\xff\xfe"[..], "token_malformed"),
        (b"{\"sub\":\"\xc3\"}", "token_malformed"),
        (b"", "token_malformed"),
        (b"{\"exp\":1,\"exp\":1}", "json_duplicate_member"),
        (b"{\"x\":1,\"x\":1}", "json_duplicate_member"),
        (b"{\"sub\":1}", "claim_invalid"),
        (b"{\"exp\":9223372036854775808}", "claim_invalid"),
        (b"{\"aud\":[\"a\",1]}", "claim_invalid"),
        (b"{} ", "ok"),
    ] {
        let token = forge(r#"{"alg":"HS256"}"#, payload, &key());
        let view = code(lenient.verify_view(&token, &verifier()));
        assert_eq!(view, expected, "{:?}", String::from_utf8_lossy(payload));
        assert_eq!(view, code(lenient.verify(&token, &verifier())));
    }
}
