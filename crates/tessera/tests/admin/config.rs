//! Settings layers as the binary sees them: file, env, flags; bad values exit 2.

use crate::helpers::{Deployment, assert_fails};

#[test]
fn bad_values_exit_2_naming_the_key() {
    let d = Deployment::empty();
    let output = d
        .cmd(&["keys", "list"])
        .env("TESSERA_TOKENS__ACCESS_TTL", "soon")
        .output()
        .expect("run");
    assert_fails(&output, 2, "tokens.access_ttl (TESSERA_TOKENS__ACCESS_TTL)");
    let file = d.root().join("tessera.toml");
    std::fs::write(&file, "[tokens]\nsigning_alg = \"HS256\"\n").expect("write");
    let file = file.to_str().expect("utf-8");
    assert_fails(
        &d.run(&["--config", file, "keys", "list"]),
        2,
        "tokens.signing_alg",
    );
    std::fs::write(file, "[tokenz]\naccess_ttl = \"5m\"\n").expect("write");
    assert_fails(
        &d.run(&["--config", file, "keys", "list"]),
        2,
        "tokenz.access_ttl",
    );
    assert!(
        !d.data_dir().exists(),
        "nothing is created with a bad configuration"
    );
}

#[test]
fn file_env_flag_precedence() {
    let d = Deployment::empty();
    let file = d.root().join("tessera.toml");
    // The file asks for EdDSA and a bad access_ttl; env fixes the ttl and changes the alg.
    std::fs::write(
        &file,
        "[tokens]\nsigning_alg = \"EdDSA\"\naccess_ttl = \"2d\"\n",
    )
    .expect("write");
    let file = file.to_str().expect("utf-8");
    let output = d.run(&["--config", file, "keys", "list"]);
    assert_fails(&output, 2, "tokens.access_ttl");
    let with_env = |args: &[&str]| {
        d.cmd(args)
            .env("TESSERA_TOKENS__ACCESS_TTL", "10m")
            .env("TESSERA_TOKENS__SIGNING_ALG", "ES384")
            .output()
            .expect("run")
    };
    // The store's first key takes the algorithm in force when it is created.
    let init = with_env(&["--config", file, "init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let keys = with_env(&["--config", file, "keys", "list", "--json"]);
    assert!(
        keys.status.success(),
        "{}",
        String::from_utf8_lossy(&keys.stderr)
    );
    let keys: serde_json::Value = serde_json::from_slice(&keys.stdout).expect("json");
    assert_eq!(keys[0]["alg"], "ES384", "env beats the file");

    // TESSERA_CONFIG names the file too; the --database-url flag beats TESSERA_DATABASE_URL.
    let other = d.root().join("other.db");
    let output = d
        .cmd(&[
            "--database-url",
            &format!("sqlite://{}", other.display()),
            "keys",
            "list",
        ])
        .env("TESSERA_CONFIG", file)
        .env("TESSERA_TOKENS__ACCESS_TTL", "10m")
        .env("TESSERA_DATABASE_URL", "postgres://u@h/db")
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(other.is_file(), "the flag's database was used");
}

#[test]
fn unreachable_postgres_is_explained_without_the_password() {
    let d = Deployment::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("postgres://tessera:s3cret@127.0.0.1:{port}/tessera");
    let output = d.run(&["--database-url", &url, "user", "list"]);
    let stderr = assert_fails(&output, 2, "cannot open the database");
    assert!(!stderr.contains("s3cret"));
}
