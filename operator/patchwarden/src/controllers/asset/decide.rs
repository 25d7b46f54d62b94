//! Decide: what an asset's inventory says (OS, packages, digest), its patch state, and the
//! message its `Ready` condition carries. Pure: the assessment itself is the shared
//! `assessment::Assessments` cache over the core's matching.

use kube::ResourceExt;
use patchwarden_api::asset::{Asset, OperationResult, OsIdentity, PackageFormat, PatchState};
use patchwarden_api::labels;
use patchwarden_core::inventory::os_release::OsReleaseError;
use patchwarden_core::inventory::{self, InventoryError, OsRelease};
use patchwarden_executor::Inventory;

use crate::controllers::assessment::AssetAssessment;

/// What an inventory says about the OS and packages.
pub struct ReadInventory {
    /// OS identity.
    pub os: OsIdentity,
    /// Parsed packages.
    pub packages: std::sync::Arc<inventory::Inventory>,
    /// `sha256:` digest of the dpkg database.
    pub digest: String,
}

/// Why an executor's inventory cannot be read; names the file at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnreadableInventory {
    /// `/etc/os-release` does not parse.
    #[error("/etc/os-release: {0}")]
    OsRelease(#[from] OsReleaseError),
    /// The dpkg database does not parse.
    #[error("/var/lib/dpkg/status: {0}")]
    DpkgStatus(#[from] InventoryError),
}

/// The `sha256:` digest of an executor's dpkg database.
pub fn inventory_digest(raw: &Inventory) -> String {
    format!("sha256:{}", raw.dpkg_status_sha256)
}

/// Parses an executor's inventory, its dpkg database with `parse_dpkg_status`. `known` is
/// the package list last read from a dpkg database with the same digest, if any: parsing it
/// again would give the same packages (an unchanged host's periodic inventory, a feed load's
/// re-assessment), and parsing is most of what such a reconcile costs.
pub fn read_inventory(
    raw: &Inventory,
    known: Option<std::sync::Arc<inventory::Inventory>>,
    parse_dpkg_status: impl FnOnce(&str) -> Result<inventory::Inventory, InventoryError>,
) -> Result<ReadInventory, UnreadableInventory> {
    let os = OsRelease::parse(&raw.os_release)?;
    let ecosystem = inventory::ecosystem_from_os_release(&raw.os_release)
        .map(|e| e.as_str().to_string())
        .ok();
    let packages = match known {
        Some(packages) => packages,
        None => std::sync::Arc::new(parse_dpkg_status(&raw.dpkg_status)?),
    };
    Ok(ReadInventory {
        os: OsIdentity {
            id: os.get("ID").unwrap_or_default().to_string(),
            version_id: os.get("VERSION_ID").map(str::to_string),
            pretty_name: os.get("PRETTY_NAME").map(str::to_string),
            ecosystem,
            package_format: Some(PackageFormat::Dpkg),
            architecture: raw.architecture.clone(),
            kernel: raw.kernel.clone(),
        },
        packages,
        digest: inventory_digest(raw),
    })
}

/// The patch state from what is known: a run holding the asset, the last operation, and
/// whether fixable findings remain.
/// `approved` says whether a policy covering the asset approves an upgrade for it; without
/// a policy, any fixable finding counts.
pub fn patch_state(
    asset: &Asset,
    assessment: Option<&AssetAssessment>,
    approved: Option<bool>,
) -> PatchState {
    if asset.labels().contains_key(labels::RUN) {
        return PatchState::Patching;
    }
    let fixable = approved.unwrap_or_else(|| assessment.is_some_and(|a| a.summary.fixable > 0));
    let last_failed = asset
        .status
        .as_ref()
        .and_then(|s| s.last_operation.as_ref())
        .is_some_and(|o| o.result == OperationResult::Failed);
    match (fixable, last_failed) {
        (true, true) => PatchState::Failed,
        (true, false) => PatchState::Pending,
        (false, _) => PatchState::Compliant,
    }
}

/// The `Ready` message: the package count and what the assessment found, or that it waits
/// for feeds.
pub fn ready_message(
    packages: usize,
    assessment: Option<&AssetAssessment>,
    state: PatchState,
) -> String {
    match (assessment, state) {
        (None, _) => format!("{packages} packages; waiting for vulnerability feeds"),
        (Some(a), PatchState::Compliant) => format!(
            "{packages} packages; no fixable findings ({} open without a fix)",
            a.open_count()
        ),
        (Some(a), _) => format!(
            "{packages} packages; {} fixable findings ({} critical, {} high, {} known exploited)",
            a.summary.fixable, a.summary.critical, a.summary.high, a.summary.known_exploited
        ),
    }
}
