//! `PatchPolicy`: what to patch (approval), by when (SLA), when (windows, emergencies) and how
//! (rollout, reboot, drain, hooks) for a set of asset groups.

// Printer columns repeat `type_`/`priority` values, which the lint mistakes for duplicates.
#![allow(clippy::duplicated_attributes)]

mod history;
mod incident;
mod outcomes;
mod rollout;
mod status;

use kube::CustomResource;
use patchwarden_core::Severity;
use patchwarden_core::compliance::ProfileId;
use patchwarden_core::sla::EmergencyRule;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::DurationValue;

pub use history::{HistoryPoint, HistorySpec};
pub use incident::{IncidentRecord, IncidentResponse, IncidentTaint, IncidentWebhook, TaintEffect};
pub use outcomes::{OutcomeSummary, PredictedLoad, QuarantineSpec, QuarantinedUpdate};
pub use rollout::{
    Drain, HealthCheck, HealthMetric, Hook, Hooks, HttpCheck, MetricNumber, RebootPolicy, Rollout,
};
pub use status::{
    ComplianceSummary, EpssRise, NextWindow, PatchPolicyStatus, ProfileCompliance, RunReference,
    SeverityCounts, SlaForecast,
};

/// What to patch, by when, when and how, for a set of asset groups.
#[derive(CustomResource, Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "patchwarden.io",
    version = "v1alpha1",
    kind = "PatchPolicy",
    namespaced,
    status = "PatchPolicyStatus",
    shortname = "pp",
    category = "patchwarden",
    derive = "PartialEq",
    doc = "Which patches to approve for a set of asset groups, their SLA deadlines, and how and when to roll them out.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status",
        description = "Whether the policy is reconciled"
    ),
    printcolumn(
        name = "Compliant %",
        type_ = "number",
        json_path = ".status.compliance.percent",
        description = "Share of assets with every approved patch applied"
    ),
    printcolumn(
        name = "Open Critical",
        type_ = "integer",
        json_path = ".status.openFindings.critical",
        description = "Open critical findings in scope"
    ),
    printcolumn(
        name = "KEV",
        type_ = "integer",
        json_path = ".status.openFindings.knownExploited",
        description = "Open KEV-listed findings in scope"
    ),
    printcolumn(
        name = "Out of SLA",
        type_ = "integer",
        json_path = ".status.assetsOutOfSla",
        description = "Assets with a finding past its deadline"
    ),
    printcolumn(
        name = "Next Window",
        type_ = "string",
        json_path = ".status.nextWindow.opensAt",
        description = "Next opening of one of the policy's windows"
    ),
    printcolumn(
        name = "Active Run",
        type_ = "string",
        json_path = ".status.activeRun",
        description = "PatchRun in progress",
        priority = 1
    ),
    printcolumn(
        name = "Mode",
        type_ = "string",
        json_path = ".spec.mode",
        description = "Enforce or Plan",
        priority = 1
    ),
    printcolumn(
        name = "Status",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].message",
        description = "Ready message",
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
pub struct PatchPolicySpec {
    /// Names of the AssetGroups (same namespace) whose members the policy patches.
    #[schemars(length(min = 1))]
    pub asset_groups: Vec<String>,
    /// Names of the MaintenanceWindows (same namespace) in which rollouts may start. With none,
    /// only emergencies start rollouts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintenance_windows: Vec<String>,
    /// Which available updates are approved.
    #[serde(default)]
    pub approval: Approval,
    /// Deadlines for fixing findings, per severity, counted from the advisory's publication.
    #[serde(default)]
    pub sla: Sla,
    /// When a rollout may start outside the maintenance windows: `KnownExploited` (an approved
    /// fix for a CISA KEV-listed vulnerability starts at once), `SlaBreach` (an asset whose SLA
    /// would pass before the next window starts at once), `EpssAbove` (an approved fix for a
    /// finding whose EPSS probability is above `emergencyThresholds.epss` starts at once),
    /// `Compromised` (an asset annotated or labelled `patchwarden.io/compromised: "true"` by
    /// another system starts at once with every approved fix), or `Never` (the default;
    /// overrides the others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "emergency_rules_schema")]
    pub emergency: Vec<EmergencyRule>,
    /// Thresholds of the emergency rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_thresholds: Option<EmergencyThresholds>,
    /// Compliance profiles the policy must satisfy: `PCI-DSS-4.0-6.3.3`, `CISA-BOD-22-01`,
    /// `NIST-SP-800-40r4`, `CIS-v8-7.3`, `CIS-v8-7.4`. Each is checked against the spec
    /// (`patchwarden validate`, `plan` and the controller name the field and the numbers) and,
    /// on every reconcile, against outcomes: whether each finding in scope was fixed by the
    /// profile's deadline. The status carries a `Compliant-<profile>` condition and a
    /// `complianceProfiles` entry with counts per profile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "compliance_profiles_schema")]
    pub compliance: Vec<ProfileId>,
    /// How a rollout proceeds across the assets.
    #[serde(default)]
    pub rollout: Rollout,
    /// When to reboot after patching: `Never` (the default), `IfRequired` (when the asset's
    /// inventory after the install says a reboot is required, e.g. `/run/reboot-required`) or
    /// `Always`. A reboot is proven by a new boot id; verification runs after it.
    #[serde(default)]
    pub reboot: RebootPolicy,
    /// How long an asset may take to come back with a new boot id after its reboot command
    /// (default `10m`); longer fails the asset like a failed install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_timeout: Option<DurationValue>,
    /// The reboot command, as an argument list run like other commands (through sudo where
    /// configured). Default `["systemctl", "reboot"]`; neither it nor an argument may be empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_command: Option<Vec<String>>,
    /// How `node` Assets are drained before patching: cordoned, their pods evicted through the
    /// Eviction API (PodDisruptionBudgets hold) within a timeout, uncordoned after. The
    /// `DrainBlocked` condition names what would block a drain before a window opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<Drain>,
    /// Commands run around a rollout and around each asset's patching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Hooks>,
    /// How much of the policy's past is kept (`keepRuns`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistorySpec>,
    /// What is done to an asset in incident — an Internet-exposed asset with a KEV-listed
    /// finding unpatched past its due date, or an asset reported compromised: labels, a Node
    /// taint or cordon, a containment manifest, a signed webhook. Reversed when the incident
    /// ends unless `keep` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_response: Option<IncidentResponse>,
    /// When an update that failed on canaries is quarantined fleet-wide, and for how long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<QuarantineSpec>,
    /// `Enforce` patches; `Plan` only reports what it would do.
    #[serde(default)]
    pub mode: PolicyMode,
    /// Stops new rollouts while true, and pauses the active run: assets in flight finish, no
    /// further asset starts until it is false again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspend: bool,
}

/// Which available updates are approved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// Findings below this severity are not patched (KEV-listed findings always are).
    #[serde(default = "default_min_severity")]
    #[schemars(schema_with = "crate::values::severity_schema")]
    pub min_severity: Severity,
    /// An update is approved only once its advisory is at least this old, so broken updates are
    /// found by others first (KEV-listed findings are exempt unless `delayKnownExploited`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_after: Option<DurationValue>,
    /// Also hold KEV-listed findings for `approveAfter`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delay_known_exploited: bool,
    /// Only updates that fix a vulnerability are approved.
    #[serde(default = "default_true")]
    pub security_only: bool,
    /// Package name globs (e.g. `openssl*`); when given, only matching packages are patched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Package name globs that are never patched (e.g. `linux-image-*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Packages held within versions: never upgraded to a version the glob does not match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<PackagePin>,
    /// Package versions that must never be installed (known bad updates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<PackagePin>,
}

impl Default for Approval {
    fn default() -> Self {
        Approval {
            min_severity: default_min_severity(),
            approve_after: None,
            delay_known_exploited: false,
            security_only: true,
            include: Vec::new(),
            exclude: Vec::new(),
            pins: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

fn default_min_severity() -> Severity {
    Severity::Medium
}

fn default_true() -> bool {
    true
}

/// A package and a version, with the reason it is singled out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackagePin {
    /// Package name, or a glob over package names (`libssl*`).
    #[schemars(length(min = 1))]
    pub package: String,
    /// Version in the package manager's own syntax, or a glob over versions (`3.0.*`).
    #[schemars(length(min = 1))]
    pub version: String,
    /// Why, shown to people.
    #[serde(default)]
    pub reason: String,
}

/// Deadlines for fixing findings, counted from the advisory's publication. The earliest
/// applicable deadline wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sla {
    /// Deadline for Critical findings, e.g. `7d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical: Option<DurationValue>,
    /// Deadline for High findings, e.g. `30d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<DurationValue>,
    /// Deadline for Medium findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<DurationValue>,
    /// Deadline for Low findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<DurationValue>,
    /// Also honour the due date CISA publishes for each KEV entry.
    #[serde(default = "default_true")]
    pub kev_due_date: bool,
}

impl Default for Sla {
    fn default() -> Self {
        Sla {
            critical: None,
            high: None,
            medium: None,
            low: None,
            kev_due_date: true,
        }
    }
}

impl Sla {
    /// The deadline written for a severity, if any.
    pub fn for_severity(&self, severity: Severity) -> Option<&DurationValue> {
        match severity {
            Severity::Critical => self.critical.as_ref(),
            Severity::High => self.high.as_ref(),
            Severity::Medium => self.medium.as_ref(),
            Severity::Low => self.low.as_ref(),
            Severity::Negligible | Severity::Unknown => None,
        }
    }
}

/// Thresholds of the emergency rules.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmergencyThresholds {
    /// The EPSS probability (0 to 1) above which `EpssAbove` starts a run out of window;
    /// 0.5 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub epss: Option<f64>,
}

impl PatchPolicySpec {
    /// The drain settings when the policy drains its `node` members.
    pub fn enabled_drain(&self) -> Option<&Drain> {
        self.drain.as_ref().filter(|d| d.enabled)
    }

    /// The EPSS probability above which `EpssAbove` starts a run out of window.
    pub fn epss_threshold(&self) -> f64 {
        self.emergency_thresholds
            .as_ref()
            .and_then(|t| t.epss)
            .unwrap_or(patchwarden_core::sla::DEFAULT_EPSS_THRESHOLD)
    }
}

/// Schema of the `emergency` list: names of `patchwarden_core::sla::EmergencyRule`.
fn emergency_rules_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": {"type": "string", "enum": ["KnownExploited", "SlaBreach", "EpssAbove", "Compromised", "Never"]},
    })
}

/// Schema of the `compliance` list: names of `patchwarden_core::compliance::ProfileId`.
fn compliance_profiles_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = ProfileId::ALL.iter().map(|p| p.as_str()).collect();
    schemars::json_schema!({
        "type": "array",
        "items": {"type": "string", "enum": names},
    })
}

/// Whether a policy acts or only reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub enum PolicyMode {
    /// Create and drive PatchRuns.
    #[default]
    Enforce,
    /// Compute and report what would be patched, and when; change nothing.
    Plan,
}
