//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the files, but
//! the compiler only watches the ones that already existed.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
