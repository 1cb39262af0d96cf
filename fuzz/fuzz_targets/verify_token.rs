//! Arbitrary input as a compact token, verified with four fixed keys (HS256, ES256, RS256,
//! EdDSA), alone and as a set, and through two validators.
//!
//! Input that starts with `{` is taken as a header and a payload instead, separated by a NUL
//! byte, and signed correctly with each fast key: the header and claims checks then run on
//! fuzzed JSON instead of stopping at the signature.
//!
//! Every validator runs twice, as `verify` and as `verify_view`, which must agree on the
//! verdict, the error and the claims.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tessera_jose::jws::compact;
use tessera_jose::{Algorithm, Error, KeyResolver, Validator, b64, danger};

use common::{AUDIENCE, Fixture, ISSUER, Key, MAX_LEN, NOW, fixture};

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'{') {
        signed(fixture(), data);
    } else if let Ok(token) = std::str::from_utf8(data) {
        raw(fixture(), token);
    }
});

/// Verifies `token` every way; what one path accepts, the looser paths must accept too.
fn raw(fixture: &Fixture, token: &str) {
    for key in &fixture.keys {
        if compact::verify(token, &key.verifying, MAX_LEN).is_ok() {
            check_accepted(token, key);
        }
    }
    let by_set = compact::verify(token, &fixture.set, MAX_LEN).is_ok();
    let lenient = same_verdicts(&fixture.lenient, token, &fixture.set).is_ok();
    let strict = same_verdicts(&fixture.strict, token, &fixture.set).is_ok();
    assert!(
        by_set || !lenient,
        "the validator accepted what compact::verify refused"
    );
    assert!(
        lenient || !strict,
        "the strict validator accepted what the lenient one refused"
    );
}

/// A token that verified with `key`: its encoding must be the only one, and a deterministic
/// signature must be the one the key makes.
fn check_accepted(token: &str, key: &Key) {
    common::assert_canonical(token);
    let unverified = danger::decode_unverified(token, MAX_LEN).expect("a verified token decodes");
    if key.deterministic() {
        let signed_len = token.rfind('.').expect("three parts");
        let expected = key
            .signing
            .sign(&token.as_bytes()[..signed_len])
            .expect("sign");
        assert_eq!(
            expected, unverified.signature,
            "a second signature verified"
        );
    }
}

/// Signs the fuzzed header (and payload, after a NUL) with each fast key and checks that
/// verification never blames the signature.
fn signed(fixture: &Fixture, data: &[u8]) {
    let default_claims = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"fuzz","exp":{}}}"#,
        NOW + 3600
    );
    let (header, payload) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, default_claims.as_bytes()),
    };
    for key in &fixture.keys {
        // RSA signing is too slow to run on every input; raw tokens cover RS256.
        if key.signing.algorithm() == Algorithm::RS256 {
            continue;
        }
        let token = common::sign_raw(&key.signing, header, payload);
        check_signed(fixture, key, &token, payload);
    }
}

fn check_signed(fixture: &Fixture, key: &Key, token: &str, payload: &[u8]) {
    let own = compact::verify(token, &key.verifying, MAX_LEN);
    assert!(
        !matches!(own, Err(Error::Signature)),
        "a correct {} signature was refused",
        key.signing.algorithm()
    );
    let Ok(verified) = own else {
        return;
    };
    assert_eq!(verified.header.alg, key.signing.algorithm());
    assert_eq!(verified.payload, payload);
    assert_eq!(
        b64::encode(&verified.payload),
        token.split('.').nth(1).unwrap_or_default()
    );
    for result in [
        compact::verify(token, &fixture.set, MAX_LEN).map(|_| ()),
        same_verdicts(&fixture.lenient, token, &key.verifying),
        same_verdicts(&fixture.strict, token, &fixture.set),
    ] {
        assert!(
            !matches!(result, Err(Error::Signature)),
            "a correct signature was refused on another path"
        );
    }
}

/// Verifies `token` with `validator.verify` and with `validator.verify_view`: the same
/// verdict and error, and, when accepted, the same header and claims.
fn same_verdicts(validator: &Validator, token: &str, keys: &impl KeyResolver) -> Result<(), Error> {
    let owned = validator.verify(token, keys);
    let view = validator.verify_view(token, keys);
    match (owned, view) {
        (Ok(owned), Ok(view)) => {
            assert_eq!(view.header(), owned.header, "the view read another header");
            assert_eq!(view.claims(), owned.claims, "the view read other claims");
            assert_eq!(view.sub(), owned.claims.sub.as_deref());
            assert!(view.aud().eq(owned.claims.aud.iter().map(String::as_str)));
            Ok(())
        }
        (owned, view) => {
            let (owned, view) = (owned.err(), view.err());
            assert_eq!(owned, view, "verify and verify_view disagree");
            owned.map_or(Ok(()), Err)
        }
    }
}
