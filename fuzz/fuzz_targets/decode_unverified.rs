//! Arbitrary input to `danger::decode_unverified`: it must never panic, what it decodes must be
//! the one canonical encoding, and what it refuses no verifier may accept.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tessera_jose::jws::compact;
use tessera_jose::{b64, danger};

use common::{MAX_LEN, fixture};

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    // A small cap as well, so that the length check is fuzzed at its edge.
    let _ = danger::decode_unverified(token, data.len().saturating_sub(1));
    match danger::decode_unverified(token, MAX_LEN) {
        Ok(unverified) => {
            let parts = common::parts(token).expect("decoded tokens have three parts");
            assert_eq!(b64::encode(&unverified.payload), parts[1]);
            assert_eq!(b64::encode(&unverified.signature), parts[2]);
            common::assert_canonical(token);
        }
        Err(_) => {
            let hs256 = &fixture().keys[0].verifying;
            assert!(
                compact::verify(token, hs256, MAX_LEN).is_err(),
                "verified a token that does not decode"
            );
        }
    }
});
