//! `tessera export` from a SQLite data dir and `tessera import` into PostgreSQL: the moved
//! deployment logs the user in with the old password and verifies tokens signed before the
//! move.

use crate::helpers::{DataDir, ServerProcess, get, login, text};
use crate::pg::Cluster;
use crate::{cli, env_refs, instance_env};

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_sqlite_deployment_moves_to_postgres() {
    let cluster = Cluster::start();
    let source = DataDir::new();
    let server = ServerProcess::start(&source);
    source.add_user("alice", &["admin"]);
    let client = source.add_client(&["password", "refresh_token"]);
    let old_token = text(&login(&server, &client, "alice"), "access_token");
    drop(server);
    let file = source.path().with_file_name("export.json");
    source.cli(&["export", "--output", &file.display().to_string()], "");

    // The target uses the source's master key, from its file; no TESSERA_MASTER_KEY.
    let mut env: Vec<(String, String)> = instance_env(&cluster.create_database("moved"))
        .into_iter()
        .filter(|(name, _)| name != "TESSERA_MASTER_KEY")
        .collect();
    let key_file = source.path().join("master.key").display().to_string();
    env.push(("TESSERA_MASTER_KEY_FILE".to_owned(), key_file));
    let target = DataDir::new();
    let out = cli(&target, &env, &["import", &file.display().to_string()], "");
    assert!(out.contains("imported 1 users, 1 clients"), "{out}");

    let server = ServerProcess::start_with(&target, &env_refs(&env));
    let after = text(&login(&server, &client, "alice"), "access_token");
    let jwks = get(&server.url("/.well-known/jwks.json"), None);
    let jwks_file = target.path().with_file_name("jwks.json");
    std::fs::write(&jwks_file, &jwks.body).expect("jwks file");
    for token in [&old_token, &after] {
        let shown = jwks_file.display().to_string();
        source.cli(&["token", "verify", "--jwks", &shown, token], "");
    }
}
