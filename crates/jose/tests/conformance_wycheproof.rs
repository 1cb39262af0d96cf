//! Wycheproof JOSE vectors (legacy format): every JWS case and every JWK-set case is run, and
//! every outcome is asserted. `valid` must verify and `invalid` must be refused, except for the
//! few cases in [`OVERRIDES`], whose labels are wrong or conflict with each other.

mod common;

use serde_json::Value;
use tessera_jose::jws::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::{Jwk, JwkSet, KeySet, VerifyingKey};

use common::{code, parse};

const JWS_TESTS: &str = include_str!("vectors/wycheproof/json_web_signature_test.json");
const JWK_TESTS: &str = include_str!("vectors/wycheproof/json_web_key_test.json");

/// A case whose asserted outcome is not simply its label: tcId, the exact code we expect
/// (`"ok"` = accepted), and why.
type Override = (u64, &'static str, &'static str);

/// The JWS cases of the testdata README's "known data problems", and tcId 17. All of them are
/// still run; none is skipped.
const OVERRIDES: [Override; 10] = [
    (
        17,
        "token_malformed",
        "JSON serialization; the library is compact-only, so refusing it is right \
         (labelled invalid as well)",
    ),
    (
        357,
        "ok",
        "byte-identical to 367 and 370 (C2SP/wycheproof#236); well-formed, and its MAC verifies",
    ),
    (
        367,
        "ok",
        "labelled invalid, but byte-identical to 357, which is valid and verifies",
    ),
    (
        370,
        "ok",
        "labelled invalid, but byte-identical to 357, which is valid and verifies",
    ),
    (
        372,
        "token_malformed",
        "labelled valid, but the header holds a '?', which is not base64url (RFC 7515 §2)",
    ),
    (
        373,
        "signature_invalid",
        "labelled valid, but the payload holds a '?', which is not base64url (RFC 7515 §2); \
         the MAC covers the payload text, which the '?' changed, so the signature check (which \
         comes before the payload is decoded) refuses it first",
    ),
    (
        346,
        "alg_not_allowed",
        "labelled valid, but the key says alg PS256 and the token PS384; the key's alg binds \
         it, as tcIds 331-340 require",
    ),
    (
        350,
        "alg_not_allowed",
        "as 346, with key_ops: the PS256 key must not verify a PS384 token",
    ),
    (
        347,
        "key_unsupported",
        "labelled valid, but the key says alg \"ES521\" (a typo for ES512), which is not a JWS \
         algorithm, so the key is refused",
    ),
    (
        351,
        "key_unsupported",
        "as 347, with key_ops: a key bound to \"ES521\" is refused",
    ),
];

/// What running one vector file gave.
#[derive(Debug, Default)]
struct Tally {
    run: usize,
    accepted: usize,
    rejected: usize,
    overrides_seen: Vec<u64>,
    failures: Vec<String>,
}

/// Runs every test of every group through `outcome` and checks each result.
fn run_file(
    text: &str,
    overrides: &[Override],
    outcome: impl Fn(&Value, &str) -> &'static str,
) -> (Tally, usize) {
    let doc = parse(text);
    let declared = doc["numberOfTests"].as_u64().expect("numberOfTests") as usize;
    let mut tally = Tally::default();
    for group in doc["testGroups"].as_array().expect("testGroups") {
        for test in group["tests"].as_array().expect("tests") {
            let got = outcome(group, &token_of(test));
            check_case(&mut tally, overrides, test, got);
        }
    }
    (tally, declared)
}

/// The token of a case. tcId 17 holds a JSON serialization (an object), given as its text.
fn token_of(test: &Value) -> String {
    match &test["jws"] {
        Value::String(token) => token.clone(),
        other => other.to_string(),
    }
}

fn check_case(tally: &mut Tally, overrides: &[Override], test: &Value, got: &'static str) {
    let id = test["tcId"].as_u64().expect("tcId");
    let label = test["result"].as_str().expect("result");
    tally.run += 1;
    if got == "ok" {
        tally.accepted += 1;
    } else {
        tally.rejected += 1;
    }
    let fine = match overrides.iter().find(|(tc, ..)| *tc == id) {
        Some((_, expected, _)) => {
            tally.overrides_seen.push(id);
            got == *expected
        }
        None => match label {
            "valid" => got == "ok",
            // A refusal must be a verdict on the input, not a failing backend.
            "invalid" => got != "ok" && got != "crypto_failure",
            other => panic!("tcId {id}: unexpected result label {other:?}"),
        },
    };
    if !fine {
        let comment = test["comment"].as_str().unwrap_or_default();
        tally.failures.push(format!(
            "tcId {id} ({comment}): labelled {label}, got {got}"
        ));
    }
}

/// A JWS case: the group's single key (`public`, else `private`) verifies the compact token.
///
/// Every key in this file that lacks `alg` is an encryption key (`use: enc` or `key_ops`
/// without `verify`), which must be refused anyway, so no algorithm is passed in: the JWK's own
/// `alg` binds the key.
fn jws_outcome(group: &Value, token: &str) -> &'static str {
    let key = group.get("public").unwrap_or(&group["private"]);
    code(
        Jwk::from_json(key.to_string().as_bytes())
            .and_then(|jwk| VerifyingKey::from_jwk(&jwk, None))
            .and_then(|key| compact::verify(token, &key, DEFAULT_MAX_LEN)),
    )
}

/// A JWK-set case: the set (`public`, else `private`) is loaded, then verifies the token.
fn jwk_set_outcome(group: &Value, token: &str) -> &'static str {
    let set = group.get("public").unwrap_or(&group["private"]);
    code(
        JwkSet::from_json(set.to_string().as_bytes())
            .and_then(|jwks| KeySet::from_jwks(&jwks, &[]))
            .and_then(|keys| compact::verify(token, &keys, DEFAULT_MAX_LEN)),
    )
}

#[test]
fn json_web_signature_vectors() {
    let (tally, declared) = run_file(JWS_TESTS, &OVERRIDES, jws_outcome);
    println!("wycheproof JWS: {tally:?}");
    assert!(tally.failures.is_empty(), "{:#?}", tally.failures);
    // No case is skipped: the overrides run too, with the outcome the table asserts.
    assert_eq!(tally.run, declared, "cases run");
    assert_eq!(tally.run, 401);
    // 46 labelled valid, minus 346/347/350/351/372/373, plus 367/370.
    assert_eq!((tally.accepted, tally.rejected), (42, 359));
    let mut seen = tally.overrides_seen.clone();
    seen.sort_unstable();
    let mut listed: Vec<u64> = OVERRIDES.iter().map(|(tc, ..)| *tc).collect();
    listed.sort_unstable();
    assert_eq!(seen, listed, "every override names a case that exists");
}

#[test]
fn json_web_key_set_vectors() {
    let (tally, declared) = run_file(JWK_TESTS, &[], jwk_set_outcome);
    println!("wycheproof JWK sets: {tally:?}");
    assert!(tally.failures.is_empty(), "{:#?}", tally.failures);
    assert_eq!(tally.run, declared, "cases run");
    assert_eq!(tally.run, 26);
    assert_eq!((tally.accepted, tally.rejected), (5, 21));
    // No case of this file has a known data problem: every label is followed.
}

#[test]
fn overrides_of_identical_tokens_agree() {
    let doc = parse(JWS_TESTS);
    let token = |id: u64| {
        doc["testGroups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["tests"].as_array().into_iter().flatten())
            .find(|t| t["tcId"] == id)
            .map(token_of)
            .unwrap_or_else(|| panic!("tcId {id} exists"))
    };
    // The three cases the table says are one token really are one token.
    assert_eq!(token(357), token(367));
    assert_eq!(token(357), token(370));
}
