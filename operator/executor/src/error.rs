//! Errors of the executors. Each names the asset and, where there is one, the command, file or
//! field; [`ExecError::kind`] tells controllers how to react.

use std::path::PathBuf;
use std::time::Duration;

/// How a controller should treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecErrorKind {
    /// The asset cannot be reached now; retry later, do not count it as a failed patch.
    Unreachable,
    /// The request or the asset's configuration is wrong; retrying will not help.
    Invalid,
    /// Something failed while acting; may succeed on retry.
    Failed,
}

/// Everything that can go wrong while an executor acts on an asset.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("{asset}: unreachable: {reason}")]
    Unreachable { asset: String, reason: String },
    #[error("{asset}: not known to the {executor} executor")]
    UnknownAsset {
        asset: String,
        executor: &'static str,
    },
    #[error("{asset}: invalid {field}: {reason}")]
    InvalidRequest {
        asset: String,
        field: String,
        reason: String,
    },
    #[error("{asset}: ssh: {reason}")]
    Ssh { asset: String, reason: String },
    #[error("{asset}: refusing to run apt: {reason}")]
    Isolation { asset: String, reason: String },
    #[error("{asset}: cannot start `{program}`: {source}")]
    Spawn {
        asset: String,
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A program this machine lacks: retrying will not help until it is installed.
    #[error(
        "{asset}: `{program}` is not installed on the machine that runs it{}; install it and the asset is looked at again",
        package.map(|p| format!(" (Debian package {p})")).unwrap_or_default()
    )]
    MissingTool {
        asset: String,
        program: String,
        package: Option<&'static str>,
    },
    #[error("{asset}: `{command}` failed ({status}): {stderr}")]
    Command {
        asset: String,
        command: String,
        status: String,
        stderr: String,
    },
    #[error("{asset}: `{command}` did not finish within {after:?}")]
    Timeout {
        asset: String,
        command: String,
        after: Duration,
    },
    #[error("{asset}: did not answer with a new boot id within the reboot timeout of {timeout:?}")]
    RebootTimeout { asset: String, timeout: Duration },
    #[error(
        "{asset}: host answered but did not reboot: boot id is still {boot_id} after {after:?}"
    )]
    NotRebooted {
        asset: String,
        boot_id: String,
        after: Duration,
    },
    /// An error the asset's agent reported for an operation, or its silence past the limit.
    #[error("{asset}: agent: {message}")]
    Agent {
        asset: String,
        kind: ExecErrorKind,
        message: String,
    },
    #[error("{asset}: cannot {action} {path}: {source}")]
    Io {
        asset: String,
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ExecError {
    pub fn kind(&self) -> ExecErrorKind {
        match self {
            ExecError::Agent { kind, .. } => *kind,
            ExecError::Unreachable { .. } => ExecErrorKind::Unreachable,
            ExecError::UnknownAsset { .. }
            | ExecError::InvalidRequest { .. }
            | ExecError::Ssh { .. }
            | ExecError::Isolation { .. }
            | ExecError::MissingTool { .. } => ExecErrorKind::Invalid,
            ExecError::Spawn { .. }
            | ExecError::Command { .. }
            | ExecError::Timeout { .. }
            | ExecError::RebootTimeout { .. }
            | ExecError::NotRebooted { .. }
            | ExecError::Io { .. } => ExecErrorKind::Failed,
        }
    }

    pub fn is_unreachable(&self) -> bool {
        self.kind() == ExecErrorKind::Unreachable
    }
}
