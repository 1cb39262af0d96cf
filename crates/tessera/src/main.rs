//! `tessera`: the Tessera auth server's binary, with its offline token tools.
//!
//! Exit codes: 0 success, 1 a token or credential was rejected, 2 bad usage or configuration
//! (clap's own usage errors exit 2 as well).

#![forbid(unsafe_code)]

mod cli;
mod commands;
mod error;
mod fetch;
mod input;
mod keysource;
mod timefmt;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            err.exit_code()
        }
    }
}
