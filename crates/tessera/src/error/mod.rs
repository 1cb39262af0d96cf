//! The one error type of the command line: a one-line message, an optional hint, and the exit
//! code that tells scripts what kind of failure it was. How each domain error becomes one is
//! decided in [`domain`], and only there.

mod domain;

use std::fmt;
use std::process::ExitCode;

/// What kind of failure ended a command, which decides the exit code.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Exit {
    /// A token or credential was rejected (exit 1).
    Rejected,
    /// The command was used wrongly or its configuration is unusable (exit 2).
    Usage,
}

/// A failure to report on stderr as `error: <what> (<code>); hint: <what to do>`.
#[derive(Debug)]
pub(crate) struct CliError {
    exit: Exit,
    message: String,
    code: Option<&'static str>,
    hint: Option<String>,
}

impl CliError {
    /// A rejected token or credential (exit 1).
    pub(crate) fn rejected(message: impl Into<String>) -> Self {
        Self::new(Exit::Rejected, message)
    }

    /// Bad usage or configuration (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// A library error, reported with its stable code.
    pub(crate) fn jose(exit: Exit, err: &tessera_jose::Error) -> Self {
        Self::new(exit, err.to_string()).with_code(err.code())
    }

    /// A library error about a key, prefixed with where the key came from (exit 2).
    pub(crate) fn key(origin: &str, err: &tessera_jose::Error) -> Self {
        Self::new(Exit::Usage, format!("{origin}: {err}")).with_code(err.code())
    }

    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            code: None,
            hint: None,
        }
    }

    /// Adds a stable code, printed in parentheses after the message.
    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// Adds a hint: what the user can do about it.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Puts `prefix` before the message, to say where the failure happened.
    pub(crate) fn context(mut self, prefix: &str) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }

    /// The exit code for this failure.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self.exit {
            Exit::Rejected => ExitCode::from(1),
            Exit::Usage => ExitCode::from(2),
        }
    }
}

impl fmt::Display for CliError {
    /// Always a single line, whatever the message and hint contain.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", one_line(&self.message))?;
        if let Some(code) = self.code {
            write!(f, " ({code})")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; hint: {}", one_line(hint))?;
        }
        Ok(())
    }
}

/// Replaces line breaks and other control characters so a message stays on one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_line_with_code_and_hint() {
        let err = CliError::rejected("bad\nthing")
            .with_code("signature_invalid")
            .with_hint("check the key");
        assert_eq!(
            err.to_string(),
            "error: bad thing (signature_invalid); hint: check the key"
        );
        assert_eq!(err.exit_code(), ExitCode::from(1));
    }
}
