//! Reading what commands work on: a token from an argument or stdin, and small files.

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::Path;

use crate::error::CliError;

/// The most bytes read as a token; anything longer is refused unread.
pub(crate) const MAX_TOKEN_INPUT: usize = 64 * 1024;

/// The most bytes read from a key, claims or secret file.
const MAX_FILE: u64 = 1024 * 1024;

/// The token to work on: `arg` unless it is absent or `-`, in which case stdin.
///
/// Surrounding whitespace and a leading `Bearer ` (as copied from an Authorization header)
/// are removed.
///
/// # Errors
/// Exit 2 when no token was given; exit 1 (`token_too_large`) for input over 64 KiB.
pub(crate) fn token(arg: Option<&str>) -> Result<String, CliError> {
    let raw = match arg {
        Some(text) if text != "-" => text.to_owned(),
        Some(_) => read_stdin()?,
        None if io::stdin().is_terminal() => {
            return Err(CliError::usage("no token given").with_hint(
                "pass the token as an argument, or pipe it in: echo \"$TOKEN\" | tessera token decode",
            ));
        }
        None => read_stdin()?,
    };
    if raw.len() > MAX_TOKEN_INPUT {
        return Err(too_large(raw.len()));
    }
    let trimmed = raw.trim();
    let token = strip_bearer(trimmed).trim();
    if token.is_empty() {
        return Err(CliError::usage("no token given: the input is empty")
            .with_hint("pass the token as an argument, or pipe it to stdin"));
    }
    Ok(token.to_owned())
}

fn strip_bearer(text: &str) -> &str {
    match text.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => &text[7..],
        _ => text,
    }
}

fn read_stdin() -> Result<String, CliError> {
    let mut bytes = Vec::new();
    io::stdin()
        .lock()
        .take(MAX_TOKEN_INPUT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| CliError::usage(format!("cannot read stdin: {err}")))?;
    if bytes.len() > MAX_TOKEN_INPUT {
        return Err(too_large(bytes.len()));
    }
    String::from_utf8(bytes).map_err(|_| {
        CliError::rejected("input is not text, so it is not a token").with_code("token_malformed")
    })
}

fn too_large(len: usize) -> CliError {
    CliError::rejected(format!(
        "input is over {} KiB ({len} bytes or more), far larger than any token",
        MAX_TOKEN_INPUT / 1024
    ))
    .with_code("token_too_large")
}

/// What to tell someone whose input is not a compact token.
pub(crate) fn malformed_hint(token: &str) -> String {
    if token.len() < 4096 && Path::new(token).is_file() {
        return format!("{token:?} is a file; pass its content instead: < {token}");
    }
    match token.matches('.').count() {
        4 => "five parts make an encrypted JWE, which cannot be read without the recipient's key"
            .into(),
        2 => "check that the whole token was copied, without quotes or line breaks".into(),
        _ => "a token is three base64url parts separated by dots; copy the whole token".into(),
    }
}

/// Reads a whole file of at most 1 MiB.
///
/// # Errors
/// Exit 2, naming the file and `what` it was meant to be.
pub(crate) fn file(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    let unreadable = |err: io::Error| {
        CliError::usage(format!("cannot read {what} file {}: {err}", path.display()))
            .with_hint("check the path and its permissions")
    };
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|file| file.take(MAX_FILE + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(CliError::usage(format!(
            "{what} file {} is over 1 MiB; that is not a {what}",
            path.display()
        )));
    }
    Ok(bytes)
}

/// Reads a file that must be UTF-8 text.
///
/// # Errors
/// As [`file()`], or exit 2 when the content is not text.
pub(crate) fn text_file(path: &Path, what: &str) -> Result<String, CliError> {
    String::from_utf8(file(path, what)?)
        .map_err(|_| CliError::usage(format!("{what} file {} is not UTF-8 text", path.display())))
}

/// Reads an argument that is either inline text or `@FILE` (`@-` for stdin).
///
/// # Errors
/// Exit 2 when the file cannot be read.
pub(crate) fn inline_or_file(arg: &str, what: &str) -> Result<String, CliError> {
    match arg.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            io::stdin()
                .lock()
                .take(MAX_FILE)
                .read_to_string(&mut text)
                .map_err(|err| CliError::usage(format!("cannot read {what} from stdin: {err}")))?;
            Ok(text)
        }
        Some(path) => text_file(Path::new(path), what),
        None => Ok(arg.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_bearer_and_whitespace() {
        assert_eq!(token(Some("  a.b.c\n")).ok().as_deref(), Some("a.b.c"));
        assert_eq!(token(Some("Bearer a.b.c")).ok().as_deref(), Some("a.b.c"));
        assert_eq!(token(Some("bearer  a.b.c")).ok().as_deref(), Some("a.b.c"));
        assert!(token(Some("   ")).is_err());
    }
}
