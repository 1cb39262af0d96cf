//! What a browser carries for us: anti-CSRF tokens and sealed state, each good only for the
//! purpose and the browser (binding) it was made for, and only at the deployment that made
//! it.

use tessera_core::authority::AuthorizationParams;

use super::{Web, params, web_client};
use crate::support::{Harness, block_on, config};

const BINDING: &str = "browser-binding-1";

#[test]
fn a_browser_token_checks_only_for_its_purpose_and_binding() {
    let h = Harness::new();
    let token = h.auth.browser_token("login", BINDING);
    assert!(h.auth.check_browser_token("login", BINDING, &token));
    assert!(!h.auth.check_browser_token("consent", BINDING, &token));
    assert!(
        !h.auth
            .check_browser_token("login", "browser-binding-2", &token)
    );
    assert!(!h.auth.check_browser_token("login", BINDING, ""));
    assert!(!h.auth.check_browser_token("login", BINDING, &token[1..]));
    let mut flipped = token.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    assert!(!h.auth.check_browser_token("login", BINDING, &flipped));
    // The same for every instance of the deployment (one master key), and no other.
    let twin = Harness::with_master(config(), h.master_text());
    assert_eq!(twin.auth.browser_token("login", BINDING), token);
    let stranger = Harness::new();
    assert!(!stranger.auth.check_browser_token("login", BINDING, &token));
}

#[test]
fn sealed_state_opens_only_with_its_purpose_and_binding_and_untampered() {
    let h = Harness::new();
    let secret = b"pending request";
    let sealed = h
        .auth
        .seal_browser_state("authorize", BINDING, secret)
        .expect("sealed");
    let opened = h
        .auth
        .open_browser_state("authorize", BINDING, &sealed)
        .expect("opens");
    assert_eq!(opened.as_slice(), secret);
    assert!(!sealed.contains("pending"), "the content is not readable");
    let again = h
        .auth
        .seal_browser_state("authorize", BINDING, secret)
        .expect("sealed");
    assert_ne!(again, sealed, "each sealing is fresh");
    assert!(
        h.auth
            .open_browser_state("authorize", "another", &sealed)
            .is_none()
    );
    assert!(
        h.auth
            .open_browser_state("consent", BINDING, &sealed)
            .is_none()
    );
    let mut bytes = sealed.clone().into_bytes();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).expect("ascii");
    assert!(
        h.auth
            .open_browser_state("authorize", BINDING, &tampered)
            .is_none()
    );
    let truncated = &sealed[..sealed.len() - 4];
    assert!(
        h.auth
            .open_browser_state("authorize", BINDING, truncated)
            .is_none()
    );
    assert!(
        h.auth
            .open_browser_state("authorize", BINDING, "")
            .is_none()
    );
    assert!(
        h.auth
            .open_browser_state("authorize", BINDING, "!!not base64!!")
            .is_none()
    );
    let overlong = "A".repeat(16 * 1024 + 1);
    assert!(
        h.auth
            .open_browser_state("authorize", BINDING, &overlong)
            .is_none()
    );
    let stranger = Harness::new();
    assert!(
        stranger
            .auth
            .open_browser_state("authorize", BINDING, &sealed)
            .is_none()
    );
    let twin = Harness::with_master(config(), h.master_text());
    assert!(
        twin.auth
            .open_browser_state("authorize", BINDING, &sealed)
            .is_some()
    );
}

#[test]
fn a_pending_request_sealed_in_the_browser_checks_out_again_when_opened() {
    let h = Harness::new();
    let client = web_client(&h, Web::FIRST_PARTY);
    let asked = params(&client);
    let json = serde_json::to_vec(&asked).expect("json");
    let sealed = h
        .auth
        .seal_browser_state("authorize", BINDING, &json)
        .expect("sealed");
    let opened = h
        .auth
        .open_browser_state("authorize", BINDING, &sealed)
        .expect("opens");
    let back: AuthorizationParams = serde_json::from_slice(&opened).expect("json");
    assert_eq!(back, asked);
    let (request, _) = block_on(h.auth.check_authorization(&back)).expect("still valid");
    assert_eq!(request.client_id, client.id);
}
