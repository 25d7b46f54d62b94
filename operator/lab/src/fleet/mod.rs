//! The lab fleet: a directory holding the apt repository, the matching OSV feed and N hosts,
//! described by `lab.json`. Creation is idempotent: running it again reuses what exists,
//! finishes what an interrupted run left, and re-applies the requested faults.
//!
//! Layout of a lab directory:
//! `lab.json`, `delta.json` (the packages mirrored), `repo/` (apt repository),
//! `feeds/osv-debian12.jsonl`, `image/` (the pristine baseline root every host is copied from),
//! `hosts/<name>/` (host roots), `unreachable/<name>` (markers).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dpkg_state::{DPKG_QUERY_FORMAT, InstalledPackage, parse_dpkg_query, read_dpkg_log};
use crate::error::LabError;
use crate::host::{FaultKind, LabHost, write};
use crate::process::run;
use crate::repo::LabPackage;

mod create;
mod manifest;
mod tree;

use manifest::{Manifest, read_manifest};
use tree::{clone_root, remove_tree};

/// Path of the OSV feed inside a lab directory.
pub const OSV_FEED: &str = "feeds/osv-debian12.jsonl";

/// What a lab should contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabSpec {
    pub hosts: usize,
    /// Source packages to mirror (names in the delta).
    pub sources: Vec<String>,
    pub faults: Vec<Fault>,
    /// Hosts that do not answer.
    pub unreachable: Vec<String>,
}

impl LabSpec {
    /// `hosts` hosts mirroring the default sources, without faults.
    pub fn new(hosts: usize) -> LabSpec {
        LabSpec {
            hosts,
            sources: crate::delta::DEFAULT_SOURCES
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
            faults: Vec::new(),
            unreachable: Vec::new(),
        }
    }
}

/// A deliberate fault: `kind` happens when `package` is upgraded on `host`. `package` is a
/// binary package, or a source package meaning each of its binaries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fault {
    pub kind: FaultKind,
    /// Binary package name.
    pub package: String,
    pub host: String,
}

impl Fault {
    /// Parses `PKG@HOST,PKG@HOST` (the CLI's fault options).
    pub fn parse_list(kind: FaultKind, text: &str) -> Result<Vec<Fault>, LabError> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|item| {
                let (package, host) = item.split_once('@').ok_or_else(|| LabError::BadFault {
                    value: item.to_string(),
                    reason: "expected PACKAGE@HOST".into(),
                })?;
                if package.is_empty() || host.is_empty() {
                    return Err(LabError::BadFault {
                        value: item.to_string(),
                        reason: "expected PACKAGE@HOST".into(),
                    });
                }
                Ok(Fault {
                    kind,
                    package: package.to_string(),
                    host: host.to_string(),
                })
            })
            .collect()
    }
}

/// How long each step of [`Lab::create`] took.
#[derive(Debug, Clone, Default)]
pub struct CreateTimings {
    pub repository: Duration,
    pub hosts: Duration,
    /// Hosts populated in this run (reused hosts are not counted).
    pub hosts_populated: usize,
    pub total: Duration,
}

/// An existing lab.
#[derive(Debug, Clone)]
pub struct Lab {
    dir: PathBuf,
    manifest: Manifest,
}

/// One host's state as `lab status` shows it.
#[derive(Debug, Clone)]
pub struct HostStatus {
    pub host: String,
    pub unreachable: bool,
    pub packages: Vec<InstalledPackage>,
    /// Packages at their candidate (fixed) version.
    pub at_candidate: usize,
    /// Packages not `ii`.
    pub not_installed: Vec<String>,
    pub reboot_required: bool,
}

impl Lab {
    /// Opens a lab created earlier.
    pub fn open(dir: &Path) -> Result<Lab, LabError> {
        let dir = dir.canonicalize().map_err(|e| LabError::Io {
            path: dir.to_path_buf(),
            action: "open lab directory",
            source: e,
        })?;
        let manifest = read_manifest(&dir)?;
        Ok(Lab { dir, manifest })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// The apt repository directory.
    pub fn repository(&self) -> PathBuf {
        self.dir.join("repo")
    }
    /// The OSV feed (JSON Lines) matching the lab's packages.
    pub fn osv_feed(&self) -> PathBuf {
        self.dir.join(OSV_FEED)
    }
    /// The packages mirrored, with baseline and candidate versions.
    pub fn packages(&self) -> &[LabPackage] {
        &self.manifest.packages
    }
    pub fn package(&self, name: &str) -> Result<&LabPackage, LabError> {
        self.manifest
            .packages
            .iter()
            .find(|p| p.package == name)
            .ok_or_else(|| LabError::UnknownPackage {
                package: name.to_string(),
                available: self
                    .manifest
                    .packages
                    .iter()
                    .map(|p| p.package.clone())
                    .collect(),
            })
    }
    pub fn faults(&self) -> &[Fault] {
        &self.manifest.faults
    }
    pub fn host_names(&self) -> &[String] {
        &self.manifest.hosts
    }
    pub fn hosts(&self) -> Vec<LabHost> {
        self.manifest
            .hosts
            .iter()
            .map(|n| self.host_at(n))
            .collect()
    }
    pub fn host(&self, name: &str) -> Result<LabHost, LabError> {
        if self.manifest.hosts.iter().any(|h| h == name) {
            Ok(self.host_at(name))
        } else {
            Err(LabError::UnknownHost {
                host: name.to_string(),
                hosts: self.manifest.hosts.clone(),
            })
        }
    }
    fn host_at(&self, name: &str) -> LabHost {
        LabHost {
            name: name.to_string(),
            root: self.dir.join("hosts").join(name),
        }
    }

    /// Publishes `package` at `version` (newer than its candidate) in the lab's repository and
    /// has every host read the repository again: a fixed re-release after a broken update.
    /// The version must be a valid package version; its maintainer scripts honour no fault.
    pub fn publish_release(&self, package: &str, version: &str) -> Result<(), LabError> {
        crate::names::validate_version(version)?;
        let released = self.package(package)?;
        crate::repo::add_release(&self.repository(), released, version)?;
        self.hosts().iter().try_for_each(LabHost::refresh_lists)
    }

    /// Marks a host as (un)reachable; the lab executor refuses to reach a marked host.
    pub fn set_unreachable(&self, name: &str, unreachable: bool) -> Result<(), LabError> {
        self.host(name)?;
        let marker = self.unreachable_marker(name);
        if unreachable {
            write(&marker, "")
        } else if marker.exists() {
            fs::remove_file(&marker).map_err(|e| LabError::Io {
                path: marker,
                action: "remove",
                source: e,
            })
        } else {
            Ok(())
        }
    }

    /// The marker that makes a host unreachable.
    pub fn unreachable_marker(&self, name: &str) -> PathBuf {
        unreachable_marker(&self.dir, name)
    }

    /// The packages of a host as `dpkg-query` reports them.
    pub fn installed(&self, name: &str) -> Result<Vec<InstalledPackage>, LabError> {
        let host = self.host(name)?;
        let out = run(Command::new("dpkg-query")
            .arg(format!("--admindir={}", host.admindir().display()))
            .arg("-W")
            .arg(format!("-f={DPKG_QUERY_FORMAT}")))?;
        Ok(parse_dpkg_query(&String::from_utf8_lossy(&out.stdout)))
    }

    /// How many times dpkg upgraded each package of a host to its candidate version (from the
    /// host's dpkg log): a rollout that resumes after a crash must not upgrade anything twice.
    pub fn upgrades_to_candidate(&self, name: &str) -> Result<BTreeMap<String, usize>, LabError> {
        let host = self.host(name)?;
        let mut counts = BTreeMap::new();
        for action in read_dpkg_log(&host.dpkg_log())? {
            let to_candidate = self
                .package(&action.package)
                .is_ok_and(|p| action.to_version.as_deref() == Some(p.candidate_version.as_str()));
            if action.action == "upgrade" && to_candidate {
                *counts.entry(action.package).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    /// Puts a host back to the baseline: a fresh copy of the image, with the lab's faults.
    pub fn reset_host(&self, name: &str) -> Result<(), LabError> {
        let host = self.host(name)?;
        remove_tree(&host.root)?;
        clone_root(&self.dir.join("image"), &host.root)?;
        host.write_skeleton(&self.repository())?;
        host.set_faults(&host_faults(
            &self.manifest.faults,
            name,
            &self.manifest.packages,
        ))
    }

    /// One package of a host as `dpkg-query` reports it (`None`: not in the database).
    pub fn installed_package(
        &self,
        name: &str,
        package: &str,
    ) -> Result<Option<InstalledPackage>, LabError> {
        Ok(self
            .installed(name)?
            .into_iter()
            .find(|p| p.package == package))
    }

    /// Every host's package state.
    pub fn status(&self) -> Result<Vec<HostStatus>, LabError> {
        self.hosts()
            .iter()
            .map(|host| {
                let packages = self.installed(&host.name)?;
                let at_candidate = packages
                    .iter()
                    .filter(|p| {
                        self.package(&p.package)
                            .is_ok_and(|lp| lp.candidate_version == p.version && p.is_installed())
                    })
                    .count();
                let not_installed = packages
                    .iter()
                    .filter(|p| !p.is_installed())
                    .map(|p| format!("{} {} {}", p.package, p.version, p.status))
                    .collect();
                Ok(HostStatus {
                    host: host.name.clone(),
                    unreachable: self.unreachable_marker(&host.name).exists(),
                    packages,
                    at_candidate,
                    not_installed,
                    reboot_required: host.reboot_required().exists(),
                })
            })
            .collect()
    }
}

/// The unreachable marker of host `name` in lab `dir`.
pub fn unreachable_marker(dir: &Path, name: &str) -> PathBuf {
    dir.join("unreachable").join(name)
}

/// The faults of host `name`, one per binary package each names.
fn host_faults(faults: &[Fault], name: &str, packages: &[LabPackage]) -> Vec<(FaultKind, String)> {
    faults
        .iter()
        .filter(|f| f.host == name)
        .flat_map(|f| {
            fault_binaries(&f.package, packages)
                .into_iter()
                .map(|b| (f.kind, b.to_string()))
        })
        .collect()
}

/// `lab-01`, `lab-02`, ...
pub fn host_name(index: usize) -> String {
    format!("lab-{index:02}")
}

/// The binaries a fault's package names: that binary, or every binary of that source.
fn fault_binaries<'a>(name: &str, packages: &'a [LabPackage]) -> Vec<&'a str> {
    if let Some(p) = packages.iter().find(|p| p.package == name) {
        return vec![p.package.as_str()];
    }
    packages
        .iter()
        .filter(|p| p.source == name)
        .map(|p| p.package.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_lists_parse_and_reject_malformed_items() {
        let f = Fault::parse_list(FaultKind::PostinstFail, "libssl3@lab-01, jq@lab-02").unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].package, "jq");
        assert_eq!(f[1].host, "lab-02");
        let err = Fault::parse_list(FaultKind::HealthBreak, "libssl3").unwrap_err();
        assert!(err.to_string().contains("PACKAGE@HOST"), "{err}");
    }
}
