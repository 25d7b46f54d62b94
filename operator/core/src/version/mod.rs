//! Package version ordering for the three package managers patchwarden assesses:
//! dpkg (Debian, Ubuntu), rpm (RHEL family) and apk (Alpine). Comparison never fails so
//! that ordering stays total; validation is separate and used where input is read.

pub mod apk;
mod bytes;
pub mod dpkg;
pub mod rpm;

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Which ordering rules a version follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionScheme {
    /// dpkg: `[epoch:]upstream[-revision]`.
    Dpkg,
    /// rpm: `[epoch:]version-release`.
    Rpm,
    /// apk: `number{.number}…{letter}{_suffix{N}}…{-rN}`.
    Apk,
}

impl VersionScheme {
    /// Compares two versions under this scheme.
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            VersionScheme::Dpkg => dpkg::compare(a, b),
            VersionScheme::Rpm => rpm::compare(a, b),
            VersionScheme::Apk => apk::compare(a, b),
        }
    }

    /// Checks that a version is well formed under this scheme.
    pub fn validate(self, version: &str) -> Result<(), VersionError> {
        match self {
            VersionScheme::Dpkg => dpkg::DpkgVersion::parse(version).map(|_| ()),
            VersionScheme::Rpm => rpm::Evr::parse(version).map(|_| ()),
            VersionScheme::Apk => apk::validate(version),
        }
    }

    /// The scheme's name (`dpkg`, `rpm`, `apk`).
    pub fn as_str(self) -> &'static str {
        match self {
            VersionScheme::Dpkg => "dpkg",
            VersionScheme::Rpm => "rpm",
            VersionScheme::Apk => "apk",
        }
    }
}

impl fmt::Display for VersionScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version string that its scheme rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {version:?}: {reason}")]
pub struct VersionError {
    /// The scheme (`dpkg`, `rpm`, `apk`).
    pub scheme: &'static str,
    /// The rejected text.
    pub version: String,
    /// Why it was rejected.
    pub reason: &'static str,
}

impl VersionError {
    pub(crate) fn new(scheme: &'static str, version: &str, reason: &'static str) -> Self {
        VersionError {
            scheme,
            version: version.to_string(),
            reason,
        }
    }
}
