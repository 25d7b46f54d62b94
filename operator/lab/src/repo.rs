//! The lab's local apt repository: one tiny `.deb` per (binary, version) built with `dpkg-deb`,
//! indexed with `dpkg-scanpackages --multiversion` and `apt-ftparchive release`.
//!
//! Baseline (installed) and candidate versions are both offered: hosts are populated from the
//! baseline, upgraded to the candidate, and rolled back to the baseline. Builds are
//! deterministic (`SOURCE_DATE_EPOCH`, sorted inputs) and skip packages already built.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::error::LabError;
use crate::host::{create_dir, write, write_executable};
use crate::process::run;

/// Maintainer of every lab package; never present in a real machine's dpkg database.
pub const LAB_MAINTAINER: &str = "patchwarden lab <lab@patchwarden.invalid>";

/// Fixed timestamp for reproducible archives: 2026-11-28T00:00:00Z, the date of the data.
const SOURCE_DATE_EPOCH: &str = "1795824000";

/// `postinst` of a baseline version: configuring it (first install or roll back) clears any
/// health breakage the candidate left behind.
const BASELINE_POSTINST: &str = r#"#!/bin/sh
# patchwarden lab package (baseline version). Every path is under ${DPKG_ROOT}.
set -e
[ -n "${DPKG_ROOT:-}" ] || { echo "patchwarden lab package: refusing to configure outside a lab root" >&2; exit 1; }
pkg="${DPKG_MAINTSCRIPT_PACKAGE}"
if [ "$1" = configure ]; then
  rm -f "$DPKG_ROOT/var/lib/patchwarden-lab/broken/$pkg"
fi
exit 0
"#;

/// `postinst` of a candidate version: honours the host's fault markers.
const CANDIDATE_POSTINST: &str = r#"#!/bin/sh
# patchwarden lab package (candidate version). Every path is under ${DPKG_ROOT}.
set -e
[ -n "${DPKG_ROOT:-}" ] || { echo "patchwarden lab package: refusing to configure outside a lab root" >&2; exit 1; }
pkg="${DPKG_MAINTSCRIPT_PACKAGE}"
faults="$DPKG_ROOT/etc/patchwarden-lab/faults"
if [ "$1" = configure ]; then
  # A held package configures slowly: it waits while its hold marker exists (at most 30 s).
  hold="$DPKG_ROOT/etc/patchwarden-lab/hold/$pkg"
  waited=0
  while [ -e "$hold" ] && [ "$waited" -lt 600 ]; do
    sleep 0.05
    waited=$((waited + 1))
  done
  if [ -e "$faults/postinst-fail/$pkg" ]; then
    echo "$pkg: post-installation check failed on this host (lab fault postinst-fail)" >&2
    exit 1
  fi
  if [ -e "$faults/health-break/$pkg" ]; then
    mkdir -p "$DPKG_ROOT/var/lib/patchwarden-lab/broken"
    echo "$pkg: service does not start after the upgrade (lab fault health-break)" > "$DPKG_ROOT/var/lib/patchwarden-lab/broken/$pkg"
  fi
  if [ -e "$faults/reboot-required/$pkg" ]; then
    mkdir -p "$DPKG_ROOT/run"
    echo "*** System restart required ***" > "$DPKG_ROOT/run/reboot-required"
    echo "$pkg" >> "$DPKG_ROOT/run/reboot-required.pkgs"
  fi
fi
exit 0
"#;

/// One binary package of the lab, at the two versions the repository offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabPackage {
    pub package: String,
    pub source: String,
    pub architecture: String,
    /// The version hosts start at (what the real host had installed).
    pub installed_version: String,
    /// The version the repository offers as the fix.
    pub candidate_version: String,
    /// Source version of the installed binary when it differs (binNMU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_source_version: Option<String>,
}

/// Builds the missing `.deb` files and writes the repository index when anything changed.
pub(crate) fn build_repository(repo: &Path, packages: &[LabPackage]) -> Result<(), LabError> {
    let pool = repo.join("pool");
    let scratch = repo.join(".build");
    create_dir(&pool)?;
    let mut missing = Vec::new();
    for p in packages {
        for (version, postinst) in [
            (&p.installed_version, BASELINE_POSTINST),
            (&p.candidate_version, CANDIDATE_POSTINST),
        ] {
            let deb = pool.join(deb_file_name(&p.package, version, &p.architecture));
            if !deb.exists() {
                missing.push((deb, p, version.as_str(), postinst));
            }
        }
    }
    // dpkg-deb is one short process per package: two at a time halves the wall time.
    let half = missing.len().div_ceil(2).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = missing
            .chunks(half)
            .map(|chunk| {
                let scratch = &scratch;
                scope.spawn(move || {
                    chunk.iter().try_for_each(|(deb, p, version, postinst)| {
                        build_deb(scratch, deb, p, version, postinst)
                    })
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join().unwrap_or_else(|_| {
                Err(LabError::Command {
                    command: "dpkg-deb --build".into(),
                    status: "builder thread panicked".into(),
                    stderr: String::new(),
                })
            })
        })
    })?;
    if scratch.exists() {
        fs::remove_dir_all(&scratch).map_err(|e| LabError::Io {
            path: scratch.clone(),
            action: "remove",
            source: e,
        })?;
    }
    if missing.is_empty() && repo.join("Release").exists() {
        return Ok(());
    }
    write_index(repo)
}

/// Adds `p` at `version` to the repository and writes the index: a re-release whose
/// maintainer scripts carry no lab fault (as the baseline's), the way a vendor ships a fixed
/// package after a broken one.
pub(crate) fn add_release(repo: &Path, p: &LabPackage, version: &str) -> Result<(), LabError> {
    let deb = repo
        .join("pool")
        .join(deb_file_name(&p.package, version, &p.architecture));
    let scratch = repo.join(".build");
    build_deb(&scratch, &deb, p, version, BASELINE_POSTINST)?;
    fs::remove_dir_all(&scratch).map_err(|e| LabError::Io {
        path: scratch.clone(),
        action: "remove",
        source: e,
    })?;
    write_index(repo)
}

/// `name_version_arch.deb`, without the epoch as in Debian's pool.
fn deb_file_name(package: &str, version: &str, arch: &str) -> String {
    let version = version.split_once(':').map_or(version, |(_, v)| v);
    format!("{package}_{version}_{arch}.deb")
}

fn build_deb(
    scratch: &Path,
    deb: &Path,
    p: &LabPackage,
    version: &str,
    postinst: &str,
) -> Result<(), LabError> {
    let tree = scratch.join(format!("{}_{}", p.package, version.replace(':', "_")));
    if tree.exists() {
        fs::remove_dir_all(&tree).map_err(|e| LabError::Io {
            path: tree.clone(),
            action: "remove",
            source: e,
        })?;
    }
    let doc = tree.join("usr/share/doc").join(&p.package);
    create_dir(&tree.join("DEBIAN"))?;
    create_dir(&doc)?;
    let source_version = p
        .installed_source_version
        .as_deref()
        .filter(|_| version == p.installed_version);
    let source_field = match source_version {
        Some(sv) => format!("Source: {} ({sv})\n", p.source),
        None if p.source == p.package => String::new(),
        None => format!("Source: {}\n", p.source),
    };
    write(
        &tree.join("DEBIAN/control"),
        &format!(
            "Package: {pkg}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: {LAB_MAINTAINER}\n\
             {source_field}Section: misc\nPriority: optional\n\
             Description: lab mirror of Debian 12 {pkg} {version}\n \
             Empty payload standing in for the real {pkg} from source {src}.\n",
            pkg = p.package,
            arch = p.architecture,
            src = p.source,
        ),
    )?;
    write_executable(&tree.join("DEBIAN/postinst"), postinst)?;
    write(
        &doc.join("README.patchwarden-lab"),
        &format!(
            "{} {} (lab package, source {})\n",
            p.package, version, p.source
        ),
    )?;
    let partial = deb.with_extension("deb.partial");
    run(Command::new("dpkg-deb")
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .args(["--root-owner-group", "-Zgzip", "--build"])
        .arg(&tree)
        .arg(&partial))?;
    // Renamed only when complete, so an interrupted build is redone rather than reused.
    fs::rename(&partial, deb).map_err(|e| LabError::Io {
        path: deb.to_path_buf(),
        action: "rename into place",
        source: e,
    })
}

fn write_index(repo: &Path) -> Result<(), LabError> {
    let scan = run(Command::new("dpkg-scanpackages").current_dir(repo).args([
        "--multiversion",
        "pool",
        "/dev/null",
    ]))?;
    write_bytes(&repo.join("Packages"), &scan.stdout)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let compressed = gz
        .write_all(&scan.stdout)
        .and_then(|()| gz.finish())
        .map_err(|e| LabError::Io {
            path: repo.join("Packages.gz"),
            action: "compress",
            source: e,
        })?;
    write_bytes(&repo.join("Packages.gz"), &compressed)?;
    let release_path = repo.join("Release");
    if release_path.exists() {
        // apt-ftparchive would list an old Release in the new one.
        fs::remove_file(&release_path).map_err(|e| LabError::Io {
            path: release_path.clone(),
            action: "remove",
            source: e,
        })?;
    }
    let release = run(Command::new("apt-ftparchive").current_dir(repo).args([
        "-o",
        "APT::FTPArchive::Release::Origin=patchwarden-lab",
        "-o",
        "APT::FTPArchive::Release::Label=patchwarden-lab",
        "-o",
        "APT::FTPArchive::Release::Suite=bookworm-security",
        "release",
        ".",
    ]))?;
    write_bytes(&release_path, &release.stdout)
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), LabError> {
    fs::write(path, bytes).map_err(|e| LabError::Io {
        path: PathBuf::from(path),
        action: "write",
        source: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb_names_drop_the_epoch() {
        assert_eq!(
            deb_file_name("libnss3", "2:3.87.1-1+deb12u4", "amd64"),
            "libnss3_3.87.1-1+deb12u4_amd64.deb"
        );
    }
}
