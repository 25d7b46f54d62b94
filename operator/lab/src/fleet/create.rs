//! Creating a lab: select the packages, check that an existing lab mirrors the same set, build
//! the apt repository and feed, populate the image once, copy it to each host, mark the
//! unreachable hosts and write the manifest. Every step reuses what a previous run finished.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::manifest::{
    LAB_FORMAT, Manifest, package_set_digest, read_manifest, short, write_manifest,
};
use super::tree::{clone_root, remove_tree};
use super::{CreateTimings, Fault, Lab, LabSpec, OSV_FEED, fault_binaries, host_faults, host_name};
use crate::delta::LabDelta;
use crate::error::LabError;
use crate::host::{LabHost, create_dir, write};
use crate::osv::osv_feed;
use crate::repo::{LabPackage, build_repository};

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
        let packages = lab_packages(&selected);
        let digest = package_set_digest(&packages)?;
        check_same_package_set(&dir, &digest, packages.len())?;
        let hosts: Vec<String> = (1..=spec.hosts).map(host_name).collect();
        validate_faults(spec, &hosts, &packages)?;
        let lab = Layout {
            repo: dir.join("repo"),
            dir,
            packages,
            digest,
        };

        let repo_started = Instant::now();
        build_repository(&lab.repo, &lab.packages)?;
        timings.repository = repo_started.elapsed();
        create_dir(&lab.dir.join("feeds"))?;
        write(&lab.dir.join(OSV_FEED), &osv_feed(&selected))?;
        write(&lab.dir.join("delta.json"), &selected.to_json()?)?;

        let hosts_started = Instant::now();
        let image = lab.prepare_image()?;
        create_dir(&lab.dir.join("hosts"))?;
        for name in &hosts {
            if lab.provision_host(&image, name, &spec.faults)? {
                timings.hosts_populated += 1;
            }
        }
        timings.hosts = hosts_started.elapsed();
        lab.mark_unreachable(&spec.unreachable)?;

        let mut faults = spec.faults.clone();
        faults.sort();
        let manifest = Manifest {
            format: LAB_FORMAT,
            origin: selected.origin.clone(),
            package_set_digest: lab.digest,
            packages: lab.packages,
            hosts,
            faults,
            unreachable: spec.unreachable.clone(),
        };
        write_manifest(&lab.dir, &manifest)?;
        timings.total = started.elapsed();
        Ok((
            Lab {
                dir: lab.dir,
                manifest,
            },
            timings,
        ))
    }
}

/// The binaries of the selected sources, as the lab mirrors them.
fn lab_packages(selected: &LabDelta) -> Vec<LabPackage> {
    selected
        .binaries()
        .map(|(s, b)| LabPackage {
            package: b.package.clone(),
            source: s.source.clone(),
            architecture: b.architecture.clone(),
            installed_version: b.installed_version.clone(),
            candidate_version: b.candidate_version.clone(),
            installed_source_version: b.installed_source_version.clone(),
        })
        .collect()
}

/// A lab already in `dir` must mirror the same package set: the hosts' dpkg databases were
/// populated from it, and a different set would leave them out of step with the repository.
fn check_same_package_set(dir: &Path, digest: &str, packages: usize) -> Result<(), LabError> {
    let previous = read_manifest(dir).ok();
    if let Some(prev) = &previous
        && prev.package_set_digest != digest
    {
        return Err(LabError::Mismatch {
            dir: dir.to_path_buf(),
            reason: format!(
                "it mirrors {} packages with digest {}, this request {} with {}",
                prev.packages.len(),
                short(&prev.package_set_digest),
                packages,
                short(digest)
            ),
        });
    }
    Ok(())
}

/// Every fault and unreachable host must name a host of the lab, and every fault a package.
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

/// The lab being created: its directory, repository and package set.
struct Layout {
    dir: PathBuf,
    repo: PathBuf,
    packages: Vec<LabPackage>,
    digest: String,
}

impl Layout {
    /// The image root with the baseline installed, populated unless a previous run finished it.
    fn prepare_image(&self) -> Result<LabHost, LabError> {
        // dpkg spends its time in fsync, about 2 s for the baseline; it runs once, into an
        // image root, and each host starts as a copy of that image, like machines provisioned
        // from one golden image. Later apt runs act on each host's own database.
        let image = LabHost {
            name: "image".into(),
            root: self.dir.join("image"),
        };
        match image.ready_digest() {
            Some(d) if d == self.digest => image.write_skeleton(&self.repo)?,
            Some(other) => {
                return Err(LabError::Mismatch {
                    dir: image.root.clone(),
                    reason: format!("image was populated from package set {}", short(&other)),
                });
            }
            None => {
                // An interrupted populate may have left dpkg mid-way: start the image afresh.
                remove_tree(&image.root)?;
                image.write_skeleton(&self.repo)?;
                image.populate(&self.baseline(), &self.digest)?;
            }
        }
        Ok(image)
    }

    /// Each package at its installed (vulnerable) version.
    fn baseline(&self) -> Vec<(String, String)> {
        self.packages
            .iter()
            .map(|p| (p.package.clone(), p.installed_version.clone()))
            .collect()
    }

    /// Makes host `name` a copy of the image unless it exists, checks that it mirrors this
    /// package set and applies its faults. True when the host was copied in this run.
    fn provision_host(
        &self,
        image: &LabHost,
        name: &str,
        faults: &[Fault],
    ) -> Result<bool, LabError> {
        let host = LabHost {
            name: name.to_string(),
            root: self.dir.join("hosts").join(name),
        };
        let populated = !host.root.exists();
        if populated {
            clone_root(&image.root, &host.root)?;
        }
        host.write_skeleton(&self.repo)?;
        match host.ready_digest() {
            Some(d) if d == self.digest => {}
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
        host.set_faults(&host_faults(faults, name, &self.packages))?;
        Ok(populated)
    }

    /// Replaces the unreachable markers with one per host in `unreachable`.
    fn mark_unreachable(&self, unreachable: &[String]) -> Result<(), LabError> {
        let unreachable_dir = self.dir.join("unreachable");
        remove_tree(&unreachable_dir)?;
        create_dir(&unreachable_dir)?;
        for host in unreachable {
            write(&unreachable_dir.join(host), "")?;
        }
        Ok(())
    }
}
