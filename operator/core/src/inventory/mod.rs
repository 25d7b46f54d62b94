//! Installed-package inventories: the package databases of dpkg, rpm and apk read into one
//! shape, and `/etc/os-release` mapped to the asset's ecosystem.

pub mod apk;
pub mod dpkg;
pub mod os_release;
pub mod rpm;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::version::VersionScheme;

pub use os_release::{OsRelease, ecosystem_from_os_release};

/// One installed binary package. Names and versions are shared strings, so a fleet of
/// assets that run the same builds shares their memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstalledPackage {
    /// The binary package name (`libc6`, `openssl-libs`).
    pub name: Arc<str>,
    /// The installed binary version (`2.36-9+deb12u4`, `1:3.0.1-43.el9_0`).
    pub version: Arc<str>,
    /// The source package (`glibc`), when the database names one.
    pub source: Option<Arc<str>>,
    /// The source version, when it differs from the binary version (dpkg `Source: x (v)`).
    pub source_version: Option<Arc<str>>,
    /// The architecture (`amd64`, `x86_64`, `noarch`), when known.
    pub arch: Option<Arc<str>>,
}

impl InstalledPackage {
    /// A package whose source has the same name and version.
    pub fn new(name: &str, version: &str) -> Self {
        InstalledPackage {
            name: Arc::from(name),
            version: Arc::from(version),
            source: None,
            source_version: None,
            arch: None,
        }
    }

    /// The source package name (the binary name when no source is recorded).
    pub fn source_name(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.name)
    }

    /// The source version (the binary version when no other is recorded).
    pub fn source_version(&self) -> &str {
        self.source_version.as_deref().unwrap_or(&self.version)
    }
}

/// Which package database an inventory was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InventoryFormat {
    /// `/var/lib/dpkg/status`.
    DpkgStatus,
    /// `rpm -qa --queryformat` output.
    RpmQuery,
    /// A container-catalog rpm-manifest JSON document.
    RpmManifest,
    /// `/lib/apk/db/installed`.
    ApkInstalled,
}

impl InventoryFormat {
    /// The version ordering of the packages this database holds.
    pub fn scheme(self) -> VersionScheme {
        match self {
            InventoryFormat::DpkgStatus => VersionScheme::Dpkg,
            InventoryFormat::RpmQuery | InventoryFormat::RpmManifest => VersionScheme::Rpm,
            InventoryFormat::ApkInstalled => VersionScheme::Apk,
        }
    }

    /// Recognises the format from the content's first bytes.
    pub fn detect(text: &str) -> Option<InventoryFormat> {
        let head = text.trim_start();
        if head.starts_with('{') {
            return head
                .contains("\"rpms\"")
                .then_some(InventoryFormat::RpmManifest);
        }
        let first = head.lines().next().unwrap_or_default();
        if head.starts_with("Package:") || head.contains("\nPackage:") {
            return Some(InventoryFormat::DpkgStatus);
        }
        let bytes = first.as_bytes();
        if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
            return Some(InventoryFormat::ApkInstalled);
        }
        if !first.is_empty() {
            return Some(InventoryFormat::RpmQuery);
        }
        None
    }
}

/// The installed packages of one asset, in database order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The packages, each shared so that fleets can reuse identical records.
    pub packages: Vec<Arc<InstalledPackage>>,
}

impl Inventory {
    /// Number of installed packages.
    pub fn len(&self) -> usize {
        self.packages.len()
    }

    /// Whether nothing is installed.
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    /// Reads an inventory in the given format.
    pub fn parse(format: InventoryFormat, text: &str) -> Result<Inventory, InventoryError> {
        match format {
            InventoryFormat::DpkgStatus => dpkg::parse_status(text),
            InventoryFormat::RpmQuery => rpm::parse_query_output(text),
            InventoryFormat::RpmManifest => rpm::parse_manifest(text),
            InventoryFormat::ApkInstalled => apk::parse_installed(text),
        }
    }
}

/// A package database that cannot be read. Names the record (1-based), the package when
/// known, the field and the reason; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record}{}, field {field}: {reason}", package.as_ref().map(|p| format!(" (package {p})")).unwrap_or_default())]
pub struct InventoryError {
    /// 1-based record number (paragraph, line or array element).
    pub record: usize,
    /// The package name, when it was read before the error.
    pub package: Option<String>,
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl InventoryError {
    pub(crate) fn new(
        record: usize,
        package: Option<&str>,
        field: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        InventoryError {
            record,
            package: package.map(str::to_string),
            field,
            reason: reason.into(),
        }
    }
}

/// Validates a version read from a database, turning a rejection into an inventory error.
pub(crate) fn checked_version(
    scheme: VersionScheme,
    record: usize,
    package: &str,
    field: &'static str,
    version: &str,
) -> Result<Arc<str>, InventoryError> {
    scheme
        .validate(version)
        .map_err(|e| InventoryError::new(record, Some(package), field, e.to_string()))?;
    Ok(Arc::from(version))
}
