//! DPoP proofs at the authority: a proof is accepted once for as long as its `iat` passes,
//! up to and including the window's last second.

use tessera_core::DpopRequest;
use tessera_core::error::{DpopRefused, GrantError};
use tessera_core::model::Grant;
use tessera_jose::dpop::DEFAULT_MAX_AGE_SECS;
use tessera_jose::{Algorithm, SigningKey, dpop};

use crate::support::{Harness, ISSUER, T0, block_on};

fn token_request(proof: &str) -> [&str; 1] {
    [proof]
}

#[test]
fn a_proof_replayed_at_the_last_second_of_its_window_is_refused() {
    let h = Harness::new();
    let (client, _) = h.client(&[Grant::ClientCredentials], &["orders:read"], false);
    let key = SigningKey::generate(Algorithm::ES256).expect("key");
    let uri = format!("{ISSUER}/oauth/token");
    let proof = dpop::proof(&key, "POST", &uri)
        .issued_at(T0)
        .sign()
        .expect("proof");
    let proofs = token_request(&proof);
    let request = DpopRequest {
        proofs: &proofs,
        method: "POST",
        path: "/oauth/token",
    };
    let bound = block_on(h.auth.token_request_dpop(&client, &request)).expect("first use");
    assert_eq!(
        bound.as_deref(),
        Some(key.verifying_key().expect("public").thumbprint().as_str())
    );

    // The last second at which the proof's iat still passes: a replay must still fail.
    h.clock.advance(DEFAULT_MAX_AGE_SECS);
    let replay = block_on(h.auth.token_request_dpop(&client, &request));
    assert!(
        matches!(replay, Err(GrantError::Dpop(DpopRefused::Replayed))),
        "{replay:?}"
    );

    // One second later the proof is stale, whatever the replay record says.
    h.clock.advance(1);
    let stale = block_on(h.auth.token_request_dpop(&client, &request));
    assert!(
        matches!(stale, Err(GrantError::Dpop(ref refused)) if !matches!(refused, DpopRefused::Replayed)),
        "{stale:?}"
    );
}
