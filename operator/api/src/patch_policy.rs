//! `PatchPolicy`: what to patch (approval), by when (SLA), when (windows, emergencies) and how
//! (rollout, reboot, drain, hooks) for a set of asset groups.

// Printer columns repeat `type_`/`priority` values, which the lint mistakes for duplicates.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use patchwarden_core::Severity;
use patchwarden_core::sla::EmergencyRule;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::impl_common_status;
use crate::patch_run::RunPhase;
use crate::values::{CountOrPercentValue, DurationValue};

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
    /// would pass before the next window starts at once), or `Never` (the default; overrides the
    /// others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "emergency_rules_schema")]
    pub emergency: Vec<EmergencyRule>,
    /// How a rollout proceeds across the assets.
    #[serde(default)]
    pub rollout: Rollout,
    /// When to reboot after patching. Only `Never` (the default) is supported yet: `IfRequired`
    /// and `Always` are refused until reboots are carried out.
    #[serde(default)]
    pub reboot: RebootPolicy,
    /// How Kubernetes nodes are drained before patching. Not supported yet: a drain that is
    /// enabled is refused until nodes are drained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<Drain>,
    /// Commands run around a rollout and around each asset's patching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Hooks>,
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

/// Schema of the `emergency` list: names of `patchwarden_core::sla::EmergencyRule`.
fn emergency_rules_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": {"type": "string", "enum": ["KnownExploited", "SlaBreach", "Never"]},
    })
}

/// How a rollout proceeds across the assets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    /// Assets patched first, alone, before any wave: a count or a percentage (rounded up).
    /// Defaults to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<CountOrPercentValue>,
    /// Most assets patched at the same time (the wave size): a count or a percentage of each
    /// asset group's size, rounded down as Kubernetes rounds a Deployment's `maxUnavailable`,
    /// and at least 1 (`25%` of 10 assets is 2). Defaults to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<CountOrPercentValue>,
    /// The run halts once more assets than this have failed: a count or a percentage (rounded
    /// down). Defaults to 0: the first failure halts the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_failures: Option<CountOrPercentValue>,
    /// Wait between waves, to let problems surface (e.g. `10m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_between_waves: Option<DurationValue>,
    /// Checks run on each asset before and after patching; a failing check after patching fails
    /// the asset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub health_checks: Vec<HealthCheck>,
    /// Restore the recorded versions on an asset whose patching or health check failed.
    #[serde(default = "default_true")]
    pub rollback_on_failure: bool,
}

impl Default for Rollout {
    fn default() -> Self {
        Rollout {
            canary: None,
            max_unavailable: None,
            max_failures: None,
            pause_between_waves: None,
            health_checks: Vec::new(),
            rollback_on_failure: true,
        }
    }
}

impl Rollout {
    /// The canary size as written, or the default of 1.
    pub fn canary_or_default(&self) -> CountOrPercentValue {
        self.canary.clone().unwrap_or(CountOrPercentValue::Count(1))
    }

    /// The wave size as written, or the default of 1.
    pub fn max_unavailable_or_default(&self) -> CountOrPercentValue {
        self.max_unavailable
            .clone()
            .unwrap_or(CountOrPercentValue::Count(1))
    }

    /// The failure limit as written, or the default of 0.
    pub fn max_failures_or_default(&self) -> CountOrPercentValue {
        self.max_failures
            .clone()
            .unwrap_or(CountOrPercentValue::Count(0))
    }
}

/// A check of an asset's health: a command run on the asset, or an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "has(self.command) != has(self.http)", "message": "exactly one of command and http must be set"}
]))]
pub struct HealthCheck {
    /// Name of the check, shown in results.
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// Command run on the asset, as an argument vector (no shell); exit status 0 is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// HTTP request made from the operator; the expected status is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheck>,
    /// How long the check may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationValue>,
    /// Attempts before the check counts as failed.
    #[serde(default = "default_attempts")]
    #[schemars(range(min = 1, max = 20))]
    pub attempts: u32,
}

fn default_attempts() -> u32 {
    3
}

/// An HTTP health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpCheck {
    /// URL the operator requests (GET) for each asset; `{address}` is replaced by the asset's
    /// address (its name when it has none) and `{asset}` by its name. Runs before patching as
    /// a baseline and after: a check already failing before patching does not fail the asset.
    #[schemars(length(min = 1))]
    pub url: String,
    /// The status code that means healthy.
    #[serde(default = "default_http_status")]
    #[schemars(range(min = 100, max = 599))]
    pub expect_status: u16,
    /// Text the response body must contain to be healthy (compared byte for byte, after
    /// decoding the body as UTF-8); unset accepts any body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub body_contains: Option<String>,
}

fn default_http_status() -> u16 {
    200
}

/// When to reboot after patching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub enum RebootPolicy {
    /// Reboot when the asset asks for it (e.g. a new kernel). Not supported yet: refused.
    IfRequired,
    /// Never reboot; the asset keeps `rebootRequired` until someone does.
    #[default]
    Never,
    /// Always reboot after patching. Not supported yet: refused.
    Always,
}

/// How a Kubernetes node is drained before patching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Drain {
    /// Cordon and drain the node before patching it.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Give up draining after this long and fail the asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationValue>,
    /// Evict pods that use emptyDir volumes (their data is lost).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_empty_dir_data: bool,
}

/// Commands run around a rollout and around each asset's patching.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hooks {
    /// Run on each asset before it is patched; a failure skips the asset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre_patch: Vec<Hook>,
    /// Run on each asset after it is patched (and rebooted); a failure fails the asset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_patch: Vec<Hook>,
}

/// One hook command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hook {
    /// Name of the hook, shown in results.
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// Command run on the asset, as an argument vector (no shell).
    #[schemars(length(min = 1))]
    pub command: Vec<String>,
    /// How long the command may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationValue>,
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
    /// The next opening among the policy's windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_window: Option<NextWindow>,
    /// The PatchRun in progress, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_run: Option<String>,
    /// The last finished PatchRun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<RunReference>,
}

impl_common_status!(PatchPolicyStatus);
