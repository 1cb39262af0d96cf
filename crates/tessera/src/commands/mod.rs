//! The commands: each takes its parsed arguments, does its work and prints its result.

mod admin;
pub(crate) mod backup;
pub(crate) mod client;
mod client_jose;
pub(crate) mod doctor;
pub(crate) mod events;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod jwe;
mod jws;
pub(crate) mod keys;
pub(crate) mod login;
pub(crate) mod migrate;
pub(crate) mod serve;
mod token;
pub(crate) mod user;
pub(crate) mod webhook;

use std::io::{self, Write};

use crate::cli::{Cli, Command, JweCommand, JwsCommand, KeysCommand, TokenCommand};
use crate::error::CliError;

/// Runs the command the user asked for.
///
/// # Errors
/// The command's failure, to be printed on one line and turned into the exit code.
pub(crate) fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Keys {
            command: KeysCommand::Generate(args),
        } => keys::generate(&args),
        Command::Keys {
            command: KeysCommand::List(args),
        } => keys::list(&cli.global, &args),
        Command::Keys {
            command: KeysCommand::Rotate(args),
        } => keys::rotate(&cli.global, &args),
        Command::Keys {
            command: KeysCommand::Retire(args),
        } => keys::retire(&cli.global, &args),
        Command::Serve(args) => serve::run(&cli.global, &args),
        Command::User { command } => user::run(&cli.global, &command),
        Command::Client { command } => client::run(&cli.global, &command),
        Command::Migrate(args) => migrate::run(&cli.global, &args),
        Command::Export(args) => export::run(&cli.global, &args),
        Command::Events(args) => events::events(&cli.global, &args),
        Command::Webhook { command } => webhook::run(&cli.global, &command),
        Command::Backup(args) => backup::backup(&cli.global, &args),
        Command::Restore(args) => backup::restore(&cli.global, &args),
        Command::Doctor(args) => doctor::run(&cli.global, &args),
        Command::Import(args) => import::run(&cli.global, &args),
        Command::Init(args) => init::run(&cli.global, &args),
        Command::Login(args) => login::run(&args),
        Command::Token { command } => match command {
            TokenCommand::Decode(args) => token::decode(&args),
            TokenCommand::Verify(args) => token::verify(&args),
            TokenCommand::Sign(args) => token::sign(&args),
        },
        Command::Jws {
            command: JwsCommand::Verify(args),
        } => jws::verify(&args),
        Command::Jwe { command } => match command {
            JweCommand::Encrypt(args) => jwe::encrypt(&args),
            JweCommand::Decrypt(args) => jwe::decrypt(&args),
            JweCommand::Generate(args) => jwe::generate(&args),
        },
    }
}

/// Prints `text` and a newline on stdout.
///
/// # Errors
/// Exit 2 when stdout cannot be written (a closed pipe is not an error).
pub(crate) fn print(text: &str) -> Result<(), CliError> {
    write_out(text.as_bytes(), true)
}

/// Writes `bytes` to stdout unchanged.
///
/// # Errors
/// As [`print()`].
pub(crate) fn write_raw(bytes: &[u8]) -> Result<(), CliError> {
    write_out(bytes, false)
}

fn write_out(bytes: &[u8], newline: bool) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    let written = out
        .write_all(bytes)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    match written {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
            Err(CliError::usage(format!("cannot write to stdout: {err}")))
        }
        _ => Ok(()),
    }
}
