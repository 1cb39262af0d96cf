//! Lists the schema migrations for the crate to embed: writes `$OUT_DIR/sqlite_migrations.rs`
//! (each `migrations/sqlite/NNNN_description.sql`, its text through `include_str!`) and
//! `$OUT_DIR/postgres_names.rs` (the numbers and descriptions of `migrations/postgres`, which
//! a test compares with SQLite's). Files are numbered and described as sqlx names them, since
//! its bookkeeping records those names: `0002_login_lockouts.sql` is version 2, "login
//! lockouts". The crate is rebuilt when a migration is added (the compiler only watches the
//! files that already existed; `sqlx::migrate!` embeds the PostgreSQL ones the same way).

use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// One migration file.
struct Found {
    version: i64,
    description: String,
    path: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=migrations");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let sqlite = scan(Path::new("migrations/sqlite"))?;
    let postgres = scan(Path::new("migrations/postgres"))?;
    fs::write(out.join("sqlite_migrations.rs"), embedded(&sqlite)?)?;
    fs::write(out.join("postgres_names.rs"), names(&postgres))?;
    Ok(())
}

/// The migrations in `dir`, oldest first. Other files are skipped, as sqlx skips them.
fn scan(dir: &Path) -> Result<Vec<Found>, Box<dyn Error>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path().canonicalize()?;
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let Some((number, rest)) = name.split_once('_') else {
            continue;
        };
        let Some(description) = rest.strip_suffix(".sql") else {
            continue;
        };
        if !path.is_file() {
            continue;
        }
        // Reversible pairs would be two rows of one version: this crate only applies forward.
        if description.ends_with(".up") || description.ends_with(".down") {
            return Err(format!("{name}: reversible migrations are not supported").into());
        }
        let version: i64 = number
            .parse()
            .map_err(|_| format!("{name}: the name must start with a number, as 0001_x.sql"))?;
        found.push(Found {
            version,
            description: description.replace('_', " "),
            path,
        });
    }
    found.sort_by_key(|m| m.version);
    if let Some(pair) = found.windows(2).find(|w| w[0].version == w[1].version) {
        return Err(format!(
            "{}: two migrations numbered {}",
            dir.display(),
            pair[0].version
        )
        .into());
    }
    Ok(found)
}

/// An array expression of `(version, description, sql)`.
fn embedded(migrations: &[Found]) -> Result<String, Box<dyn Error>> {
    let mut code = String::from("[\n");
    for m in migrations {
        let path = m
            .path
            .to_str()
            .ok_or("a migration path that is not UTF-8")?;
        writeln!(
            code,
            "    ({}, {:?}, include_str!({path:?})),",
            m.version, m.description
        )?;
    }
    code.push(']');
    Ok(code)
}

/// An array expression of `(version, description)`.
fn names(migrations: &[Found]) -> String {
    let rows: Vec<String> = migrations
        .iter()
        .map(|m| format!("({}, {:?})", m.version, m.description))
        .collect();
    format!("[{}]", rows.join(", "))
}
