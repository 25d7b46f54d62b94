//! Ecosystems: the OSV name of a distribution release (`Debian:12`, `Ubuntu:22.04:LTS`,
//! `AlmaLinux:9`, `Alpine:v3.18`) and the version ordering its packages follow.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::version::VersionScheme;

/// An OSV ecosystem string, e.g. `Debian:12`. Compared exactly, as OSV does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ecosystem(String);

impl Ecosystem {
    /// Wraps an ecosystem string (surrounding whitespace removed).
    pub fn new(name: impl Into<String>) -> Self {
        let name: String = name.into();
        Ecosystem(name.trim().to_string())
    }

    /// The full string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The distribution part before the first `:` (`Debian`, `Rocky Linux`).
    pub fn family(&self) -> &str {
        self.0.split(':').next().unwrap_or_default()
    }

    /// The version ordering of this ecosystem's packages, when it is a known distribution.
    pub fn scheme(&self) -> Option<VersionScheme> {
        scheme_of_family(self.family())
    }
}

/// The version ordering a distribution family uses.
pub fn scheme_of_family(family: &str) -> Option<VersionScheme> {
    match family {
        "Debian" | "Ubuntu" => Some(VersionScheme::Dpkg),
        "AlmaLinux" | "Rocky Linux" | "Red Hat" | "CentOS" | "Fedora" | "Oracle Linux"
        | "openEuler" | "Mageia" | "openSUSE" | "SUSE" | "Amazon Linux" => Some(VersionScheme::Rpm),
        "Alpine" | "Chainguard" | "Wolfi" => Some(VersionScheme::Apk),
        _ => None,
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Ecosystem {
    fn from(name: &str) -> Self {
        Ecosystem::new(name)
    }
}
