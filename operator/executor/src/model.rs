//! What executors are asked for and what they report: assets, package targets, inventories,
//! change reports with per-package outcomes, and health reports.

use std::time::Duration;

pub use patchwarden_lab::InstalledPackage;
use sha2::{Digest, Sha256};

/// How an executor finds an asset. The lab executor uses only `name` (a lab host name); the SSH
/// executor connects to `address` (or `name` when absent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssetRef {
    pub name: String,
    pub address: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
}

impl AssetRef {
    /// An asset addressed by name only.
    pub fn named(name: impl Into<String>) -> AssetRef {
        AssetRef {
            name: name.into(),
            address: None,
            port: None,
            user: None,
        }
    }
}

/// A binary package and the version it should end up at.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct PackageTarget {
    pub package: String,
    pub version: String,
}

impl PackageTarget {
    pub fn new(package: impl Into<String>, version: impl Into<String>) -> PackageTarget {
        PackageTarget {
            package: package.into(),
            version: version.into(),
        }
    }
}

/// What an asset has installed, as collected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Inventory {
    pub asset: String,
    /// The text of `/etc/os-release`.
    pub os_release: String,
    /// The dpkg database in `/var/lib/dpkg/status` format (`dpkg-query --status`).
    pub dpkg_status: String,
    /// Hex SHA-256 of `dpkg_status`: changes exactly when the package set changes.
    pub dpkg_status_sha256: String,
    /// `/run/reboot-required` exists.
    pub reboot_required: bool,
    /// Packages listed in `/run/reboot-required.pkgs`.
    pub reboot_required_packages: Vec<String>,
    /// The running kernel release (`uname -r`), when the executor knows it.
    pub kernel: Option<String>,
    /// The dpkg architecture (`dpkg --print-architecture`), when the executor knows it.
    pub architecture: Option<String>,
}

impl Inventory {
    /// Builds an inventory from what an asset returned; `reboot_required_pkgs` is the text of
    /// `/run/reboot-required.pkgs` (one package a line, possibly repeated).
    pub fn from_parts(
        asset: &str,
        os_release: String,
        dpkg_status: String,
        reboot_required: bool,
        reboot_required_pkgs: &str,
    ) -> Inventory {
        let mut reboot_required_packages: Vec<String> = reboot_required_pkgs
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        reboot_required_packages.sort();
        reboot_required_packages.dedup();
        Inventory {
            asset: asset.to_string(),
            os_release,
            dpkg_status_sha256: hex::encode(Sha256::digest(dpkg_status.as_bytes())),
            dpkg_status,
            reboot_required,
            reboot_required_packages,
            kernel: None,
            architecture: None,
        }
    }

    /// The inventory with the running kernel and the architecture; blank values count as
    /// unknown.
    pub fn with_platform(mut self, kernel: &str, architecture: &str) -> Inventory {
        let known = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        self.kernel = known(kernel);
        self.architecture = known(architecture);
        self
    }
}

/// Upgrade to fixed versions, or roll back to recorded ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChangeKind {
    Upgrade,
    RollBack,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Upgrade => "upgrade",
            ChangeKind::RollBack => "roll back",
        }
    }
}

/// What happened to one requested package.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OutcomeResult {
    /// Now installed (`ii`) at the target version, and it was not before.
    Changed,
    /// Already installed at the target version; nothing was done.
    AlreadyAtTarget,
    /// Not installed at the target version afterwards; the message names asset, package and error.
    Failed { message: String },
}

/// One requested package: state before and after, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageOutcome {
    pub package: String,
    pub target_version: String,
    pub before: Option<InstalledPackage>,
    pub after: Option<InstalledPackage>,
    pub result: OutcomeResult,
}

impl PackageOutcome {
    pub fn failed(&self) -> bool {
        matches!(self.result, OutcomeResult::Failed { .. })
    }
}

/// A package apt changed although it was not requested (e.g. a sibling binary of the same
/// source, which apt upgrades together).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionChange {
    pub package: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub status: String,
}

/// The result of one upgrade or roll back on one asset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeReport {
    pub asset: String,
    pub kind: ChangeKind,
    /// apt-get's exit code (`None` if killed by a signal); 100 when dpkg failed.
    pub exit_code: Option<i32>,
    pub outcomes: Vec<PackageOutcome>,
    pub also_changed: Vec<VersionChange>,
    pub duration: Duration,
    /// The last lines of apt's output, for the record.
    pub output_tail: String,
}

impl ChangeReport {
    /// Every requested package is at its target and apt exited 0.
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.outcomes.iter().any(PackageOutcome::failed)
    }

    pub fn failures(&self) -> impl Iterator<Item = &PackageOutcome> {
        self.outcomes.iter().filter(|o| o.failed())
    }

    /// One line naming the asset and each failed package with its error, or `None`.
    pub fn failure_message(&self) -> Option<String> {
        let messages: Vec<&str> = self
            .outcomes
            .iter()
            .filter_map(|o| match &o.result {
                OutcomeResult::Failed { message } => Some(message.as_str()),
                _ => None,
            })
            .collect();
        if !messages.is_empty() {
            return Some(messages.join("; "));
        }
        (!self.succeeded()).then(|| {
            format!(
                "{}: {} exited with {:?}: {}",
                self.asset,
                self.kind.as_str(),
                self.exit_code,
                self.output_tail
            )
        })
    }
}

/// Which health check to run: empty `command` means the executor's built-in check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HealthCheck {
    /// argv; never a shell string.
    pub command: Vec<String>,
    pub timeout: Duration,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            command: Vec::new(),
            timeout: Duration::from_secs(60),
        }
    }
}

/// The result of a health check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HealthReport {
    pub asset: String,
    pub healthy: bool,
    pub exit_code: Option<i32>,
    /// What the check printed (tail), explaining an unhealthy verdict.
    pub output: String,
    pub duration: Duration,
}

impl HealthReport {
    /// The verdict on a check that did not finish within its time limit.
    pub fn timed_out(asset: &str, limit: Duration, duration: Duration) -> HealthReport {
        HealthReport {
            asset: asset.to_string(),
            healthy: false,
            exit_code: None,
            output: format!("health check did not finish within {limit:?}"),
            duration,
        }
    }
}
