//! Errors of the lab fleet, each naming the file, host, package or command involved.

use std::path::PathBuf;

/// Everything that can go wrong while building or reading a lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: field {field}: {reason}")]
    Data {
        file: String,
        field: String,
        reason: String,
    },
    #[error("source package `{source_package}` is not in the delta (available: {})", available.join(", "))]
    UnknownSource {
        source_package: String,
        available: Vec<String>,
    },
    #[error("package `{package}` is not a lab package (lab packages: {})", available.join(", "))]
    UnknownPackage {
        package: String,
        available: Vec<String>,
    },
    #[error("host `{host}` is not in the lab (hosts: {})", hosts.join(", "))]
    UnknownHost { host: String, hosts: Vec<String> },
    #[error("invalid fault `{value}`: {reason}")]
    BadFault { value: String, reason: String },
    #[error("cannot start `{program}`: {source} (install dpkg-dev and apt-utils)")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed with {status}: {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    #[error(transparent)]
    InvalidField(#[from] crate::names::InvalidPackageField),
    #[error("unsafe lab path {path}: {reason}")]
    UnsafePath { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("lab in {dir} was built from other packages ({reason}); use a new directory")]
    Mismatch { dir: PathBuf, reason: String },
}
