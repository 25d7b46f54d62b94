//! The observed state of a PatchPolicy: compliance, open findings, SLA forecasts, the next
//! window and the runs, as controllers write them and `kubectl` shows them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::impl_common_status;
use crate::patch_run::RunPhase;

/// Compliance counts of the assets in scope.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceSummary {
    /// Assets in scope.
    #[serde(default)]
    pub assets: u32,
    /// Assets with every approved patch applied.
    #[serde(default)]
    pub compliant: u32,
    /// Assets with approved patches still to apply.
    #[serde(default)]
    pub pending: u32,
    /// Assets whose last patch attempt failed, quarantined or unreachable.
    #[serde(default)]
    pub failed: u32,
    /// `compliant / assets` as a percentage with one decimal (100 when there are no assets).
    #[serde(default)]
    pub percent: f64,
}

/// Open findings in scope, by severity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeverityCounts {
    /// Critical findings.
    #[serde(default)]
    pub critical: u32,
    /// High findings.
    #[serde(default)]
    pub high: u32,
    /// Medium findings.
    #[serde(default)]
    pub medium: u32,
    /// Low findings.
    #[serde(default)]
    pub low: u32,
    /// Negligible findings and those without a published severity.
    #[serde(default)]
    pub other: u32,
    /// Findings listed in CISA KEV (also counted under their severity).
    #[serde(default)]
    pub known_exploited: u32,
}

/// The next opening among a policy's windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextWindow {
    /// The MaintenanceWindow that opens next.
    pub name: String,
    /// When it opens.
    pub opens_at: Time,
    /// When it closes.
    pub closes_at: Time,
}

/// A short record of a PatchRun.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunReference {
    /// Name of the PatchRun.
    pub name: String,
    /// Its phase when last seen.
    #[schemars(schema_with = "crate::values::run_phase_schema")]
    pub phase: RunPhase,
    /// When it finished, if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
}

/// An asset past one of its SLA deadlines, or forecast to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlaForecast {
    /// The Asset.
    pub asset: String,
    /// Its earliest deadline.
    pub deadline: Time,
    /// Whether the deadline has already passed.
    pub breached: bool,
    /// What happens and why, e.g. "will breach on 2026-12-03 unless patched out of window:
    /// next window opens 2026-12-05".
    pub message: String,
}

/// A member's finding whose EPSS score rose above `spec.emergencyThresholds.epss`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EpssRise {
    /// The Asset.
    pub asset: String,
    /// The finding (CVE id).
    pub finding: String,
    /// Its EPSS probability.
    pub epss: f64,
    /// The score date of the EPSS feed that scored it (`YYYY-MM-DD`), when the feed has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_date: Option<String>,
    /// For people, e.g. "EPSS of CVE-2026-1 rose to 0.62 on 2026-12-05 (feed date), above
    /// the policy's 0.5".
    pub message: String,
}

/// Where the policy stands against one compliance profile it lists.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileCompliance {
    /// The profile (`PCI-DSS-4.0-6.3.3`).
    pub profile: String,
    /// `True` when the spec satisfies the profile and no finding in scope missed its deadline.
    pub status: String,
    /// `Compliant`, `SpecViolatesProfile` or `DeadlinesMissed`.
    pub reason: String,
    /// The violations, for people: the spec fields with the numbers, then the findings that
    /// missed their deadline (asset, finding, days late).
    #[serde(default)]
    pub message: String,
    /// The profile's revision the check used.
    #[serde(default)]
    pub revision: u32,
    /// How the spec breaks the profile, one entry per field.
    #[serde(default)]
    pub spec_violations: u32,
    /// Findings the profile sets a deadline for.
    #[serde(default)]
    pub findings_in_scope: u32,
    /// Fixed by their deadline.
    #[serde(default)]
    pub met: u32,
    /// Open, deadline still ahead.
    #[serde(default)]
    pub pending: u32,
    /// Fixed after their deadline.
    #[serde(default)]
    pub late: u32,
    /// Open past their deadline.
    #[serde(default)]
    pub overdue: u32,
}

/// Observed state of a PatchPolicy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatchPolicyStatus {
    /// The `metadata.generation` this status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The last handled value of the `reconcile.fluxcd.io/requestedAt` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// Conditions (`Ready`, `Compliant`, `Progressing`, `Degraded`, `Stalled`, `Reconciling`),
    /// one per type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// Compliance counts and percentage of the assets in scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance: Option<ComplianceSummary>,
    /// Open findings in scope, by severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_findings: Option<SeverityCounts>,
    /// Number of assets with a finding past its SLA deadline.
    #[serde(default)]
    pub assets_out_of_sla: u32,
    /// Assets past, or forecast to miss, an SLA deadline, earliest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sla_forecasts: Vec<SlaForecast>,
    /// Members' findings whose EPSS score rose above the `EpssAbove` threshold, with the
    /// feed's date: those above it now first, then the earlier ones on record (fixed or fallen
    /// since), at most 20. An `EpssRose` Event marks each when it first appears.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub epss_rises: Vec<EpssRise>,
    /// One entry per profile in `spec.compliance`: its standing and counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compliance_profiles: Vec<ProfileCompliance>,
    /// The next opening among the policy's windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_window: Option<NextWindow>,
    /// The PatchRun in progress, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_run: Option<String>,
    /// The last finished PatchRun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<RunReference>,
    /// The policy's counts over time, one point per change, at most 200 points (crowded
    /// stretches are thinned): what trend charts read once old runs are pruned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<super::HistoryPoint>,
    /// The finished PatchRuns still present that `history` has counted: each run is counted
    /// once, and pruned only after it is. Absent in a status written before runs were
    /// tracked by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_counted_runs: Option<Vec<String>>,
    /// Updates quarantined fleet-wide after they failed on canaries that hold back an update
    /// this policy's members are offered (lifted by the `patchwarden.io/lift-quarantine`
    /// annotation on the ConfigMap `patchwarden-outcomes`, or once every member is offered a
    /// newer version).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quarantined: Vec<super::QuarantinedUpdate>,
    /// What the next window opening can expect: assets to patch, work, new findings and SLA
    /// breaches, from the members' advisory rate over the last 90 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_load: Option<super::PredictedLoad>,
    /// The responses to assets in incident (see `spec.incidentResponse`), by asset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["asset"]))]
    pub incidents: Vec<super::IncidentRecord>,
    /// The fleet's outcome statistics in brief.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<super::OutcomeSummary>,
}

impl_common_status!(PatchPolicyStatus);
