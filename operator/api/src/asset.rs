//! `Asset`: one host or Kubernetes node, how to reach it, and what is known about it: OS,
//! inventory, findings and patch state.

// Printer columns repeat `type_`/`priority` values, which the lint mistakes for duplicates.
#![allow(clippy::duplicated_attributes)]

use std::hash::{Hash, Hasher};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use patchwarden_core::Severity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{ConnectionKind, Criticality, Exposure, SecretReference, impl_common_status};

/// How to reach one host or node.
#[derive(CustomResource, Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "patchwarden.io",
    version = "v1alpha1",
    kind = "Asset",
    namespaced,
    status = "AssetStatus",
    shortname = "as",
    category = "patchwarden",
    derive = "PartialEq",
    doc = "One host or Kubernetes node: how it is reached, its inventory, findings and patch state.",
    printcolumn(
        name = "Connection",
        type_ = "string",
        json_path = ".spec.connection",
        description = "How the asset is reached"
    ),
    printcolumn(
        name = "OS",
        type_ = "string",
        json_path = ".status.os.prettyName",
        description = "Operating system"
    ),
    printcolumn(
        name = "State",
        type_ = "string",
        json_path = ".status.patchState",
        description = "Patch state"
    ),
    printcolumn(
        name = "Critical",
        type_ = "integer",
        json_path = ".status.findings.critical",
        description = "Open critical findings"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".status.findings.high",
        description = "Open high findings"
    ),
    printcolumn(
        name = "KEV",
        type_ = "integer",
        json_path = ".status.findings.knownExploited",
        description = "Open findings listed in CISA KEV"
    ),
    printcolumn(
        name = "Reboot",
        type_ = "boolean",
        json_path = ".status.rebootRequired",
        description = "Whether a reboot is pending",
        priority = 1
    ),
    printcolumn(
        name = "Packages",
        type_ = "integer",
        json_path = ".status.packageCount",
        description = "Installed packages",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "Time since creation"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "self.connection != 'ssh' || has(self.address)", "message": "address is required for ssh assets"}
]))]
pub struct AssetSpec {
    /// How patchwarden reaches the asset.
    pub connection: ConnectionKind,
    /// Where the asset is: the host name or IP for `ssh`, the Node name for `node`, the lab host's
    /// name for `lab`; the agent's id for `agent` (defaults to the Asset's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub address: Option<String>,
    /// SSH port (for `ssh`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u16>,
    /// User to log in as (for `ssh`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Secret with key `ssh-privatekey` and key `known_hosts` (for `ssh`); defaults to the group's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_ref: Option<SecretReference>,
    // Both override what the asset's group sets.
    /// How much an asset matters to the business; raises or lowers the risk of its findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::values::optional_criticality_schema")]
    pub criticality: Option<Criticality>,
    /// How reachable an asset is from an attacker's point of view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::values::optional_exposure_schema")]
    pub exposure: Option<Exposure>,
    /// Stops inventory and patching of this asset while true: policies hold its updates back,
    /// and a run that has not started on it skips it (`Skipped`, with the reason).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspend: bool,
}

/// Where an asset stands with its patches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub enum PatchState {
    /// Every approved patch is applied.
    Compliant,
    /// Approved patches wait for a window or a run.
    #[default]
    Pending,
    /// A run is patching it now.
    Patching,
    /// The last patch attempt failed.
    Failed,
    /// Held out of rollouts after repeated failures until a person releases it.
    Quarantined,
    /// The last inventory could not reach it.
    Unreachable,
}

/// The package format of an operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum PackageFormat {
    /// Debian, Ubuntu: dpkg and apt.
    Dpkg,
    /// RHEL, Rocky, Alma, Fedora, SUSE: rpm with dnf or zypper.
    Rpm,
    /// Alpine: apk.
    Apk,
}

/// The operating system of an asset, from `/etc/os-release`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OsIdentity {
    /// `ID` from os-release, e.g. `debian`.
    pub id: String,
    /// `VERSION_ID` from os-release, e.g. `12`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `PRETTY_NAME` from os-release, e.g. `Debian GNU/Linux 12 (bookworm)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// The OSV ecosystem the asset's packages are matched in, e.g. `Debian:12`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// The package format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_format: Option<PackageFormat>,
    /// The machine architecture, e.g. `amd64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// The running kernel release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
}

/// Open findings of an asset, counted by severity, with the riskiest ones explained.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindingsSummary {
    /// Open findings of severity Critical.
    #[serde(default)]
    pub critical: u32,
    /// Open findings of severity High.
    #[serde(default)]
    pub high: u32,
    /// Open findings of severity Medium.
    #[serde(default)]
    pub medium: u32,
    /// Open findings of severity Low.
    #[serde(default)]
    pub low: u32,
    /// Open findings of severity Negligible.
    #[serde(default)]
    pub negligible: u32,
    /// Open findings without a published severity.
    #[serde(default)]
    pub unknown: u32,
    /// Open findings listed in the CISA Known Exploited Vulnerabilities catalog.
    #[serde(default)]
    pub known_exploited: u32,
    /// Open findings for which a fixed version is available.
    #[serde(default)]
    pub fixable: u32,
    /// Fixable findings whose fix the asset's own package sources do not offer yet (counted
    /// in `fixable` too); nothing can be installed for them until the sources have it.
    #[serde(default)]
    pub fix_not_yet_available: u32,
    /// The asset's risk score (the highest finding score, adjusted for criticality and exposure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<f64>,
    /// The riskiest findings, highest score first, each with the reasons for its score.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_risks: Vec<RiskEntry>,
}

/// One finding with its risk score and the inputs that produced it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RiskEntry {
    /// Vulnerability id (CVE id, or the advisory id when there is none).
    pub id: String,
    /// Affected package.
    pub package: String,
    /// Installed version of the package.
    pub installed_version: String,
    /// Version that fixes it, when one is available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// Severity of the finding.
    #[schemars(schema_with = "crate::values::severity_schema")]
    pub severity: Severity,
    /// Whether CISA KEV lists it as exploited in the wild.
    #[serde(default)]
    pub known_exploited: bool,
    /// EPSS probability of exploitation in the next 30 days (0 to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<f64>,
    /// The risk score (0 to 100).
    pub score: f64,
    /// Why the score is what it is, in one line (e.g. "KEV-listed; CVSS 9.8; internet-facing").
    pub explanation: String,
}

/// An upgrade that fixes open findings: what a policy approves or holds back. Policies and
/// `plan` read the same list, so a preview is computed from what the controller uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailableUpgrade {
    /// Binary package to upgrade.
    pub package: String,
    /// Source package it is built from, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_package: Option<String>,
    /// Installed version.
    pub installed_version: String,
    /// Version that fixes the findings.
    pub fixed_version: String,
    /// The highest severity among the findings it fixes.
    #[schemars(schema_with = "crate::values::severity_schema")]
    pub severity: Severity,
    /// Whether a finding it fixes is listed in CISA KEV.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub known_exploited: bool,
    /// When the earliest advisory it fixes was published, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Time>,
    /// Whether an advisory it fixes is a security advisory (a DSA or DLA, a USN, a security
    /// erratum); bug-fix and enhancement errata are not, and `approval.securityOnly` holds
    /// them back. Absent means true.
    #[serde(default = "upgrade_is_security")]
    pub security: bool,
    /// The findings it fixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<FixedFinding>,
    /// The version the asset's own package sources offer (apt's candidate), when they were
    /// read. A patch installs it when it is at least `fixedVersion`, so a newer security upload
    /// is taken; without it the patch installs `fixedVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_candidate_version: Option<String>,
    /// Where the host's candidate comes from: archive URI, suite and component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_origin: Option<String>,
    /// Set when the asset's sources do not offer the fix yet ("fix not yet available from the
    /// host's sources: …"); such an upgrade is not a patch target until they do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_available_reason: Option<String>,
}

impl Asset {
    /// The Kubernetes Node a `node` Asset is: its address, or its name when it has none.
    pub fn node_name(&self) -> Option<String> {
        (self.spec.connection == ConnectionKind::Node).then(|| {
            self.spec
                .address
                .clone()
                .unwrap_or_else(|| self.metadata.name.clone().unwrap_or_default())
        })
    }
}

fn upgrade_is_security() -> bool {
    true
}

/// Equal upgrades hash equally; times count to the second, as Kubernetes stores them, so an
/// upgrade read back from a stored status hashes as the one written. The fields are named, not
/// skipped with `..`, so that a new field cannot be left out.
impl Hash for AvailableUpgrade {
    fn hash<H: Hasher>(&self, hasher: &mut H) {
        let AvailableUpgrade {
            package,
            source_package,
            installed_version,
            fixed_version,
            severity,
            known_exploited,
            published,
            security,
            fixes,
            host_candidate_version,
            host_origin,
            not_available_reason,
        } = self;
        (package, source_package, installed_version, fixed_version).hash(hasher);
        (severity, known_exploited, security).hash(hasher);
        to_the_second(published).hash(hasher);
        (host_candidate_version, host_origin, not_available_reason).hash(hasher);
        fixes.hash(hasher);
    }
}

impl Hash for FixedFinding {
    fn hash<H: Hasher>(&self, hasher: &mut H) {
        let FixedFinding {
            id,
            severity,
            published,
            kev_due_date,
        } = self;
        (id, severity, kev_due_date).hash(hasher);
        to_the_second(published).hash(hasher);
    }
}

/// A time as Kubernetes stores it: to the second.
fn to_the_second(time: &Option<Time>) -> Option<i64> {
    time.as_ref().map(|time| time.0.as_second())
}

impl AvailableUpgrade {
    /// Whether a patch may install it: the host's sources offer the fix, or were not read.
    pub fn is_patch_target(&self) -> bool {
        self.not_available_reason.is_none()
    }

    /// The version a patch installs: the host's candidate when its sources offer the fix,
    /// else the fixed version.
    pub fn target_version(&self) -> &str {
        match (&self.host_candidate_version, &self.not_available_reason) {
            (Some(candidate), None) => candidate,
            _ => &self.fixed_version,
        }
    }
}

/// A finding an upgrade fixes, with what its SLA deadline needs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FixedFinding {
    /// CVE id, or the advisory id when there is none.
    pub id: String,
    /// Its severity.
    #[schemars(schema_with = "crate::values::severity_schema")]
    pub severity: Severity,
    /// When it was published, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Time>,
    /// Its CISA KEV due date (`YYYY-MM-DD`), when listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev_due_date: Option<String>,
}

/// The kinds of operations run on an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum OperationKind {
    /// Reading the OS identity and installed packages.
    Inventory,
    /// Installing approved package versions.
    Patch,
    /// Restoring recorded package versions after a failure.
    Rollback,
    /// Rebooting.
    Reboot,
    /// Running health checks.
    HealthCheck,
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum OperationResult {
    /// It did what it was asked.
    Succeeded,
    /// It failed; see the message.
    Failed,
}

/// The last operation run on an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastOperation {
    /// What was done.
    pub kind: OperationKind,
    /// How it ended.
    pub result: OperationResult,
    /// The PatchRun it belonged to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
    /// What happened, for people (e.g. the failing command and its error).
    #[serde(default)]
    pub message: String,
}

/// Observed state of an Asset.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetStatus {
    /// The `metadata.generation` this status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The last handled value of the `reconcile.fluxcd.io/requestedAt` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// Conditions (`Ready`, `Reconciling`, `Stalled`, `Degraded`), one per type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// The operating system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsIdentity>,
    /// Number of installed packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_count: Option<u32>,
    /// Digest of the package inventory (`sha256:…` over the sorted name=version list); changes
    /// whenever a package is installed, removed or upgraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_digest: Option<String>,
    /// When the inventory was last read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_time: Option<Time>,
    /// Whether the asset asks for a reboot (e.g. `/run/reboot-required`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_required: Option<bool>,
    /// Open findings, counted and explained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<FindingsSummary>,
    /// Upgrades that fix open findings, one per package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upgrades: Vec<AvailableUpgrade>,
    /// When the findings were last computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessed_time: Option<Time>,
    /// Where the asset stands with its patches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_state: Option<PatchState>,
    /// The last operation run on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<LastOperation>,
    /// For `agent` assets: the operation the agent is asked for and its answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<crate::agent_exchange::AgentExchange>,
}

impl_common_status!(AssetStatus);
