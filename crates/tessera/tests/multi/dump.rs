//! Backups on PostgreSQL are `pg_dump` and `pg_restore` (docs/deployment.md): a database
//! restored from a dump serves the same users, clients and signing keys.

use crate::helpers::DataDir;
use crate::pg::Cluster;
use crate::{cli, instance_env};

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_database_restored_from_pg_dump_serves_the_same_users_clients_and_keys() {
    let cluster = Cluster::start();
    let source_env = instance_env(&cluster.create_database("source"));
    let admin = DataDir::new();
    let run = |env: &[(String, String)], args: &[&str], stdin: &str| cli(&admin, env, args, stdin);
    run(&source_env, &["init"], "");
    run(
        &source_env,
        &["user", "add", "alice", "--password-stdin"],
        "correct horse battery staple\n",
    );
    run(
        &source_env,
        &["client", "add", "shop", "--grant", "client_credentials"],
        "",
    );
    run(&source_env, &["keys", "rotate"], "");

    let dump = admin.path().with_file_name("tessera.dump");
    let dump_arg = dump.display().to_string();
    let status = cluster
        .tool("pg_dump")
        .args(["--format=custom", "--file", &dump_arg, "source"])
        .status()
        .expect("run pg_dump");
    assert!(status.success(), "pg_dump: {status}");
    let target_env = instance_env(&cluster.create_database("target"));
    let status = cluster
        .tool("pg_restore")
        .args(["--no-owner", "--dbname", "target", &dump_arg])
        .status()
        .expect("run pg_restore");
    assert!(status.success(), "pg_restore: {status}");

    for listing in [
        &["user", "list"][..],
        &["client", "list"][..],
        &["keys", "list", "--json"][..],
    ] {
        assert_eq!(
            run(&target_env, listing, ""),
            run(&source_env, listing, ""),
            "{listing:?}"
        );
    }
    // The restored database's keys open with the same master key, and it takes writes.
    run(&target_env, &["keys", "rotate"], "");
}
