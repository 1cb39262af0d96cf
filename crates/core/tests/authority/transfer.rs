//! Export and import between deployments: everything or nothing, clashes named, keys that
//! must open with the target's master key.

use tessera_core::model::{Grant, KeyState};
use tessera_core::transfer::{Existing, ImportOptions};
use tessera_core::{AdminError, MasterKey};

use crate::support::{Harness, block_on, config};

#[test]
fn an_export_moves_users_clients_keys_and_revocations() {
    let source = Harness::new();
    source.user("alice");
    let app = source.app();
    let login = source.login(&app, "alice", None);
    block_on(source.auth.revoke(&app, &login.access_token, None)).expect("revoked");
    let snapshot = block_on(source.auth.export()).expect("export");
    assert_eq!(
        (
            snapshot.users.len(),
            snapshot.clients.len(),
            snapshot.keys.len()
        ),
        (1, 1, 1)
    );
    assert_eq!(snapshot.revocations.len(), 1);

    // A new deployment with the same master key (its first start made a key of its own).
    let target = Harness::with_master(config(), source.master_text());
    let options = ImportOptions::default().with_replace_first_key(true);
    let report = block_on(target.auth.import(snapshot, options)).expect("imported");
    assert_eq!(
        (
            report.users,
            report.clients,
            report.keys,
            report.revocations
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(report.retired.len(), 1, "the placeholder key retired");
    // The imported key signs, the user logs in, the revoked token stays revoked.
    assert_eq!(
        target.auth.key_ring().signing_key().kid(),
        source.auth.key_ring().signing_key().kid()
    );
    target.login(&app, "alice", None);
    assert!(block_on(target.auth.verify_access_token(&login.access_token)).is_err());
}

#[test]
fn a_clash_imports_nothing_unless_skipped() {
    let source = Harness::new();
    source.user("alice");
    source.user("bob");
    let snapshot = block_on(source.auth.export()).expect("export");
    let target = Harness::with_master(config(), source.master_text());
    target.user("ALICE");
    let err = block_on(
        target
            .auth
            .import(snapshot.clone(), ImportOptions::default()),
    )
    .expect_err("clash");
    let AdminError::ImportConflict(existing) = &err else {
        panic!("expected a conflict, got {err:?}");
    };
    assert!(
        existing.contains(&Existing::User("alice".into())),
        "{existing:?}"
    );
    assert!(err.to_string().contains("user alice"), "{err}");
    assert_eq!(block_on(target.auth.list_users()).expect("users").len(), 1);
    let options = ImportOptions::default().with_skip_existing(true);
    let report = block_on(target.auth.import(snapshot, options)).expect("imported");
    assert_eq!(report.users, 1);
    assert_eq!(report.skipped, [Existing::User("alice".into())]);
    assert_eq!(block_on(target.auth.list_users()).expect("users").len(), 2);
}

#[test]
fn keys_that_do_not_open_stop_the_import_before_anything_is_written() {
    let source = Harness::new();
    source.user("alice");
    let (_client, _) = source.client(&[Grant::ClientCredentials], &[], false);
    let snapshot = block_on(source.auth.export()).expect("export");
    let other = MasterKey::generate().expect("random").to_base64();
    let target = Harness::with_master(config(), &other);
    let err = block_on(target.auth.import(snapshot, ImportOptions::default()))
        .expect_err("wrong master key");
    assert!(matches!(err, AdminError::KeyDoesNotOpen(..)), "{err:?}");
    assert!(
        block_on(target.auth.list_users())
            .expect("users")
            .is_empty()
    );
    assert!(
        block_on(target.auth.list_clients())
            .expect("clients")
            .is_empty()
    );
    let keys = block_on(target.auth.list_keys()).expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].state, KeyState::Active);
}

#[test]
fn imported_clients_with_unusable_encryption_settings_are_refused() {
    let source = Harness::new();
    source.app();
    let mut snapshot = block_on(source.auth.export()).expect("export");
    let key = tessera_jose::jwe::DecryptionKey::generate(
        tessera_jose::jwe::KeyAlgorithm::RsaOaep256,
        None,
        None,
    )
    .expect("key");
    // The private key where the public one belongs: refused, as at registration.
    let private = key.to_jwk().to_json();
    let jwks = format!(r#"{{"keys":[{private}]}}"#);
    let web = &mut snapshot.clients[0].web.jose;
    web.jwks = Some(tessera_jose::JwkSet::from_json(jwks.as_bytes()).expect("jwks"));
    web.id_token_encrypted_response_alg = Some(key.algorithm());
    let target = Harness::with_master(config(), source.master_text());
    let err =
        block_on(target.auth.import(snapshot, ImportOptions::default())).expect_err("refused");
    assert!(err.to_string().contains("public keys only"), "{err}");
    assert!(
        block_on(target.auth.list_clients())
            .expect("clients")
            .is_empty()
    );
}
