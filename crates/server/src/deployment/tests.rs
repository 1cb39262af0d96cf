use std::os::unix::fs::PermissionsExt as _;

use tessera_core::model::Actor;

use super::*;
use crate::config::Flags;

fn settings(dir: &Path, env: &[(&str, &str)]) -> Settings {
    let mut env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    env.push(("TESSERA_PASSWORDS__MEMORY_KIB".into(), "256".into()));
    env.push(("TESSERA_PASSWORDS__ITERATIONS".into(), "1".into()));
    env.push(("TESSERA_TOKENS__SIGNING_ALG".into(), "ES256".into()));
    let flags = Flags {
        data_dir: Some(dir.join("data")),
        ..Flags::default()
    };
    Settings::load_from(&flags, &env).expect("settings")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn first_start_creates_dir_key_file_and_signing_key_then_reuses_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = settings(tmp.path(), &[]);
    let first = Deployment::open(&settings).await.expect("first open");
    assert!(first.first_start);
    let data = tmp.path().join("data");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("master.key")), 0o600);
    assert!(data.join("tessera.db").is_file());
    let kid = first.authority().key_ring().signing_key().kid().to_owned();
    first.close().await;
    drop(first);

    let second = Deployment::open(&settings).await.expect("second open");
    assert!(!second.first_start);
    assert_eq!(second.authority().key_ring().signing_key().kid(), kid);
    assert_eq!(second.authority().list_keys().await.expect("keys").len(), 1);
}

#[tokio::test]
async fn a_missing_or_wrong_master_key_is_explained() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = settings(tmp.path(), &[]);
    let first = Deployment::open(&settings).await.expect("first open");
    first.close().await;
    drop(first);
    let key_file = tmp.path().join("data/master.key");
    std::fs::remove_file(&key_file).expect("remove");
    let err = Deployment::open(&settings).await.expect_err("no key file");
    assert!(err.to_string().contains("missing"), "{err}");

    let other = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    let settings = settings_with_key(tmp.path(), other);
    let err = Deployment::open(&settings).await.expect_err("wrong key");
    assert!(matches!(err, DeploymentError::MasterKey(_)), "{err}");
    assert!(!err.to_string().contains(other));
}

fn settings_with_key(dir: &Path, key: &str) -> Settings {
    settings(dir, &[("TESSERA_MASTER_KEY", key)])
}

#[tokio::test]
async fn a_readable_key_file_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = settings(tmp.path(), &[]);
    drop(Deployment::open(&settings).await.expect("first open"));
    let key_file = tmp.path().join("data/master.key");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = Deployment::open(&settings).await.expect_err("readable");
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[tokio::test]
async fn unreachable_postgres_is_a_store_error_that_hides_the_password() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("postgres://u:secret-pw@127.0.0.1:{port}/tessera");
    let settings = settings(tmp.path(), &[("TESSERA_DATABASE_URL", &url)]);
    let err = Deployment::open(&settings).await.expect_err("no server");
    assert!(
        matches!(err, DeploymentError::Store(StoreError::Unavailable(_))),
        "{err:?}"
    );
    assert!(!err.to_string().contains("secret-pw"), "{err}");
    let err = pending_migrations(&settings).await.expect_err("no server");
    assert!(!format!("{err} {err:?}").contains("secret-pw"), "{err}");
}

#[tokio::test]
async fn sqlite_migrations_are_listed_without_writing_then_applied_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = settings(tmp.path(), &[]);
    let pending = pending_migrations(&settings).await.expect("pending");
    let versions: Vec<i64> = pending.iter().map(|m| m.version).collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert!(!tmp.path().join("data").exists(), "listing created nothing");

    assert_eq!(migrate(&settings).await.expect("migrate"), pending);
    assert_eq!(mode(&tmp.path().join("data")), 0o700);
    assert!(migrate(&settings).await.expect("again").is_empty());
    assert!(
        pending_migrations(&settings)
            .await
            .expect("none")
            .is_empty()
    );
    let opened = Deployment::open(&settings).await.expect("open");
    assert!(opened.first_start, "migrating made no signing key");
}

#[tokio::test]
async fn open_with_events_sends_security_events_to_the_sink() {
    use std::sync::Mutex;

    use tessera_core::events::SecurityEvent;
    use tessera_core::model::Grant;

    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = settings(tmp.path(), &[]);
    let seen: Arc<Mutex<Vec<SecurityEvent>>> = Arc::default();
    let sink = {
        let seen = Arc::clone(&seen);
        move |event: SecurityEvent| seen.lock().expect("lock").push(event)
    };
    let deployment = Deployment::open_with_events(&settings, Arc::new(sink))
        .await
        .expect("open");
    let authority = deployment.authority();
    authority
        .create_user(
            "alice",
            "correct horse battery",
            None,
            &[],
            &Actor::Operator,
        )
        .await
        .expect("user");
    let (client, _) = authority
        .create_client("app", &[Grant::Password], &[], &[], true, &Actor::Operator)
        .await
        .expect("client");
    let refused = authority
        .password_grant(&client, "alice", "wrong password", None)
        .await;
    assert!(refused.is_err());
    let seen = seen.lock().expect("lock");
    assert!(
        seen.iter()
            .any(|event| matches!(event, SecurityEvent::LoginFailed { .. })),
        "{seen:?}"
    );
}
