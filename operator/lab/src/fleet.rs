//! The lab fleet: a directory holding the apt repository, the matching OSV feed and N hosts,
//! described by `lab.json`. Creation is idempotent: running it again reuses what exists,
//! finishes what an interrupted run left, and re-applies the requested faults.
//!
//! Layout of a lab directory:
//! `lab.json`, `delta.json` (the packages mirrored), `repo/` (apt repository),
//! `feeds/osv-debian12.jsonl`, `image/` (the pristine baseline root every host is copied from),
//! `hosts/<name>/` (host roots), `unreachable/<name>` (markers).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::delta::LabDelta;
use crate::dpkg_state::{DPKG_QUERY_FORMAT, InstalledPackage, parse_dpkg_query, read_dpkg_log};
use crate::error::LabError;
use crate::host::{FaultKind, LabHost, create_dir, write};
use crate::osv::osv_feed;
use crate::process::run;
use crate::repo::{LabPackage, build_repository};

/// Version of the lab's on-disk layout and package scripts; part of the package-set digest.
const LAB_FORMAT: u32 = 1;
const MANIFEST: &str = "lab.json";
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

/// `lab.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    origin: String,
    package_set_digest: String,
    packages: Vec<LabPackage>,
    hosts: Vec<String>,
    faults: Vec<Fault>,
    unreachable: Vec<String>,
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
    /// Creates (or completes, or reuses) a lab in `dir`.
    pub fn create(
        dir: &Path,
        delta: &LabDelta,
        spec: &LabSpec,
    ) -> Result<(Lab, CreateTimings), LabError> {
        let started = Instant::now();
        let mut timings = CreateTimings::default();
        create_dir(dir)?;
        let dir = dir.canonicalize().map_err(|e| LabError::Io {
            path: dir.to_path_buf(),
            action: "resolve",
            source: e,
        })?;
        let selected = delta.select(&spec.sources)?;
        let packages: Vec<LabPackage> = selected
            .binaries()
            .map(|(s, b)| LabPackage {
                package: b.package.clone(),
                source: s.source.clone(),
                architecture: b.architecture.clone(),
                installed_version: b.installed_version.clone(),
                candidate_version: b.candidate_version.clone(),
                installed_source_version: b.installed_source_version.clone(),
            })
            .collect();
        let digest = package_set_digest(&packages)?;
        let previous = read_manifest(&dir).ok();
        if let Some(prev) = &previous
            && prev.package_set_digest != digest
        {
            return Err(LabError::Mismatch {
                dir,
                reason: format!(
                    "it mirrors {} packages with digest {}, this request {} with {}",
                    prev.packages.len(),
                    short(&prev.package_set_digest),
                    packages.len(),
                    short(&digest)
                ),
            });
        }
        let hosts: Vec<String> = (1..=spec.hosts).map(host_name).collect();
        validate_faults(spec, &hosts, &packages)?;

        let repo_started = Instant::now();
        let repo = dir.join("repo");
        build_repository(&repo, &packages)?;
        timings.repository = repo_started.elapsed();
        create_dir(&dir.join("feeds"))?;
        write(&dir.join(OSV_FEED), &osv_feed(&selected))?;
        write(&dir.join("delta.json"), &selected.to_json()?)?;

        let hosts_started = Instant::now();
        let baseline: Vec<(String, String)> = packages
            .iter()
            .map(|p| (p.package.clone(), p.installed_version.clone()))
            .collect();
        // dpkg spends its time in fsync, about 2 s for the baseline; it runs once, into an
        // image root, and each host starts as a copy of that image, like machines provisioned
        // from one golden image. Later apt runs act on each host's own database.
        let image = LabHost {
            name: "image".into(),
            root: dir.join("image"),
        };
        match image.ready_digest() {
            Some(d) if d == digest => image.write_skeleton(&repo)?,
            Some(other) => {
                return Err(LabError::Mismatch {
                    dir: image.root.clone(),
                    reason: format!("image was populated from package set {}", short(&other)),
                });
            }
            None => {
                // An interrupted populate may have left dpkg mid-way: start the image afresh.
                if image.root.exists() {
                    fs::remove_dir_all(&image.root).map_err(|e| LabError::Io {
                        path: image.root.clone(),
                        action: "remove",
                        source: e,
                    })?;
                }
                image.write_skeleton(&repo)?;
                image.populate(&baseline, &digest)?;
            }
        }
        create_dir(&dir.join("hosts"))?;
        for name in &hosts {
            let host = LabHost {
                name: name.clone(),
                root: dir.join("hosts").join(name),
            };
            if !host.root.exists() {
                clone_root(&image.root, &host.root)?;
                timings.hosts_populated += 1;
            }
            host.write_skeleton(&repo)?;
            match host.ready_digest() {
                Some(d) if d == digest => {}
                other => {
                    return Err(LabError::Mismatch {
                        dir: host.root.clone(),
                        reason: format!(
                            "host was populated from package set {}",
                            other.as_deref().map_or("(none)", short)
                        ),
                    });
                }
            }
            let faults: Vec<(FaultKind, String)> = spec
                .faults
                .iter()
                .filter(|f| &f.host == name)
                .flat_map(|f| {
                    fault_binaries(&f.package, &packages)
                        .into_iter()
                        .map(|b| (f.kind, b.to_string()))
                })
                .collect();
            host.set_faults(&faults)?;
        }
        timings.hosts = hosts_started.elapsed();

        let unreachable_dir = dir.join("unreachable");
        if unreachable_dir.exists() {
            fs::remove_dir_all(&unreachable_dir).map_err(|e| LabError::Io {
                path: unreachable_dir.clone(),
                action: "remove",
                source: e,
            })?;
        }
        create_dir(&unreachable_dir)?;
        for host in &spec.unreachable {
            write(&unreachable_dir.join(host), "")?;
        }

        let mut faults = spec.faults.clone();
        faults.sort();
        let manifest = Manifest {
            format: LAB_FORMAT,
            origin: selected.origin.clone(),
            package_set_digest: digest,
            packages,
            hosts,
            faults,
            unreachable: spec.unreachable.clone(),
        };
        let text = serde_json::to_string_pretty(&manifest).map_err(|e| LabError::Manifest {
            path: dir.join(MANIFEST),
            reason: e.to_string(),
        })?;
        write(&dir.join(MANIFEST), &format!("{text}\n"))?;
        timings.total = started.elapsed();
        Ok((Lab { dir, manifest }, timings))
    }

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
        if host.root.exists() {
            fs::remove_dir_all(&host.root).map_err(|e| LabError::Io {
                path: host.root.clone(),
                action: "remove",
                source: e,
            })?;
        }
        clone_root(&self.dir.join("image"), &host.root)?;
        host.write_skeleton(&self.repository())?;
        let faults: Vec<(FaultKind, String)> = self
            .manifest
            .faults
            .iter()
            .filter(|f| f.host == name)
            .flat_map(|f| {
                fault_binaries(&f.package, &self.manifest.packages)
                    .into_iter()
                    .map(|b| (f.kind, b.to_string()))
            })
            .collect();
        host.set_faults(&faults)
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

/// Copies an image root to `target` (through a temporary name, so a half copy is never taken
/// for a host). apt's binary caches are left out: apt rebuilds them for the new root.
fn clone_root(image: &Path, target: &Path) -> Result<(), LabError> {
    let partial = target.with_extension("partial");
    if partial.exists() {
        fs::remove_dir_all(&partial).map_err(|e| LabError::Io {
            path: partial.clone(),
            action: "remove",
            source: e,
        })?;
    }
    copy_tree(image, &partial)?;
    fs::rename(&partial, target).map_err(|e| LabError::Io {
        path: target.to_path_buf(),
        action: "rename into place",
        source: e,
    })
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), LabError> {
    let io = |path: &Path, action: &'static str| {
        let path = path.to_path_buf();
        move |e| LabError::Io {
            path,
            action,
            source: e,
        }
    };
    create_dir(to)?;
    for entry in fs::read_dir(from).map_err(io(from, "list"))? {
        let entry = entry.map_err(io(from, "list"))?;
        let source = entry.path();
        let dest = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io(&source, "inspect"))?;
        if kind.is_dir() {
            copy_tree(&source, &dest)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(&source).map_err(io(&source, "read link"))?;
            std::os::unix::fs::symlink(&link, &dest).map_err(io(&dest, "create link"))?;
        } else if source.extension().is_some_and(|e| e == "bin")
            && source
                .parent()
                .is_some_and(|p| p.ends_with("var/cache/apt"))
        {
            continue;
        } else {
            fs::copy(&source, &dest).map_err(io(&source, "copy"))?;
        }
    }
    Ok(())
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

fn validate_faults(
    spec: &LabSpec,
    hosts: &[String],
    packages: &[LabPackage],
) -> Result<(), LabError> {
    let host_set: BTreeSet<&str> = hosts.iter().map(String::as_str).collect();
    let unknown_host = |h: &str| LabError::UnknownHost {
        host: h.to_string(),
        hosts: hosts.to_vec(),
    };
    for f in &spec.faults {
        if !host_set.contains(f.host.as_str()) {
            return Err(unknown_host(&f.host));
        }
        if fault_binaries(&f.package, packages).is_empty() {
            return Err(LabError::UnknownPackage {
                package: f.package.clone(),
                available: packages.iter().map(|p| p.package.clone()).collect(),
            });
        }
    }
    for h in &spec.unreachable {
        if !host_set.contains(h.as_str()) {
            return Err(unknown_host(h));
        }
    }
    Ok(())
}

fn package_set_digest(packages: &[LabPackage]) -> Result<String, LabError> {
    let json = serde_json::to_vec(packages).map_err(|e| LabError::Manifest {
        path: PathBuf::from(MANIFEST),
        reason: e.to_string(),
    })?;
    let mut hasher = Sha256::new();
    hasher.update(LAB_FORMAT.to_le_bytes());
    hasher.update(&json);
    Ok(hex::encode(hasher.finalize()))
}

fn read_manifest(dir: &Path) -> Result<Manifest, LabError> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| LabError::Io {
        path: path.clone(),
        action: "read",
        source: e,
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| LabError::Manifest {
        path: path.clone(),
        reason: format!("not a lab manifest: {e}"),
    })?;
    if manifest.format != LAB_FORMAT {
        return Err(LabError::Manifest {
            path,
            reason: format!(
                "lab format {} is not supported (expected {LAB_FORMAT})",
                manifest.format
            ),
        });
    }
    Ok(manifest)
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
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
