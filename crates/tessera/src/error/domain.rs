//! The one place where domain errors become exit codes and one-line messages: a refusal of
//! what was named (it does not exist, it already exists) exits 1; a bad value, a store that
//! cannot be reached or a failure on our side exits 2. Causes are appended from the error's
//! source chain, never with a secret (the domain's errors carry none).

use tessera_core::error::chain;
use tessera_core::{AdminError, StoreError};

use super::{CliError, Exit};

impl From<AdminError> for CliError {
    fn from(err: AdminError) -> Self {
        let exit = match err {
            AdminError::NotFound(_)
            | AdminError::Conflict(_)
            | AdminError::ImportConflict(_)
            | AdminError::LastAdmin => Exit::Rejected,
            _ => Exit::Usage,
        };
        let code = match &err {
            AdminError::Invalid(_) | AdminError::KeyInUse => "invalid_request",
            AdminError::Store(StoreError::Unavailable(_)) => "temporarily_unavailable",
            AdminError::Store(StoreError::Corrupt(_)) | AdminError::Internal(_) => "server_error",
            other => other.code(),
        };
        let hint = match &err {
            AdminError::Store(_) => {
                Some("check --data-dir, --database-url and that the database answers")
            }
            AdminError::LastAdmin => Some(
                "add the admin role to another account first (tessera user add NAME --role admin)",
            ),
            AdminError::KeyDoesNotOpen(..) => Some(
                "the target must use the source's master key: TESSERA_MASTER_KEY, \
                 TESSERA_MASTER_KEY_FILE or its master.key file",
            ),
            _ => None,
        };
        let error = CliError::new(exit, message(&err)).with_code(code);
        match hint {
            Some(hint) => error.with_hint(hint),
            None => error,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(err: StoreError) -> Self {
        AdminError::Store(err).into()
    }
}

/// The error's text, with its causes for failures of the store or of ours (the text of a
/// refusal says all there is).
fn message(err: &AdminError) -> String {
    match err {
        AdminError::Store(_) | AdminError::Internal(_) | AdminError::KeyDoesNotOpen(..) => {
            chain(err)
        }
        refusal => refusal.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::process::ExitCode;

    use tessera_core::error::Entity;

    use super::*;

    #[test]
    fn refusals_exit_1_and_failures_exit_2() {
        let err = CliError::from(AdminError::NotFound(Entity::User));
        assert_eq!(err.exit_code(), ExitCode::from(1));
        assert_eq!(err.to_string(), "error: no such user (not_found)");
        let err = CliError::from(AdminError::Invalid("a role is bad".into()));
        assert_eq!(err.exit_code(), ExitCode::from(2));
        let err = CliError::from(StoreError::unavailable("connection refused"));
        assert_eq!(err.exit_code(), ExitCode::from(2));
        assert!(err.to_string().contains("connection refused"), "{err}");
        assert!(
            err.to_string().contains("(temporarily_unavailable)"),
            "{err}"
        );
    }
}
