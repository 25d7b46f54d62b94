//! `lab.json`, the manifest of a lab: what it was built from (the package set and its digest),
//! its hosts, faults and unreachable hosts. The digest is how a rerun recognises that an
//! existing lab, image or host mirrors the same packages.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Fault;
use crate::error::LabError;
use crate::host::write;
use crate::repo::LabPackage;

/// Version of the lab's on-disk layout and package scripts; part of the package-set digest.
pub(super) const LAB_FORMAT: u32 = 1;
const MANIFEST: &str = "lab.json";

/// `lab.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Manifest {
    pub(super) format: u32,
    pub(super) origin: String,
    pub(super) package_set_digest: String,
    pub(super) packages: Vec<LabPackage>,
    pub(super) hosts: Vec<String>,
    pub(super) faults: Vec<Fault>,
    pub(super) unreachable: Vec<String>,
}

/// The digest of a package set, for this lab format.
pub(super) fn package_set_digest(packages: &[LabPackage]) -> Result<String, LabError> {
    let json = serde_json::to_vec(packages).map_err(|e| LabError::Manifest {
        path: PathBuf::from(MANIFEST),
        reason: e.to_string(),
    })?;
    let mut hasher = Sha256::new();
    hasher.update(LAB_FORMAT.to_le_bytes());
    hasher.update(&json);
    Ok(hex::encode(hasher.finalize()))
}

pub(super) fn read_manifest(dir: &Path) -> Result<Manifest, LabError> {
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

pub(super) fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), LabError> {
    let text = serde_json::to_string_pretty(manifest).map_err(|e| LabError::Manifest {
        path: dir.join(MANIFEST),
        reason: e.to_string(),
    })?;
    write(&dir.join(MANIFEST), &format!("{text}\n"))
}

/// The start of a digest, enough to tell two apart in a message.
pub(super) fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}
