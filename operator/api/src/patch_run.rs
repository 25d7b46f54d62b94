//! `PatchRun`: one rollout. The spec is the frozen plan (assets, packages and versions, waves,
//! limits); the status is the audit trail (phase, current wave, per-asset results).

// Printer columns repeat `type_`/`priority` values, which the lint mistakes for duplicates.
#![allow(clippy::duplicated_attributes)]

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use patchwarden_core::rollout::RunPhase;

use crate::asset::FixedFinding;
use crate::common::impl_common_status;
use crate::patch_policy::{HealthCheck, Hooks, RebootPolicy};
use crate::values::DurationValue;

/// The frozen plan of one rollout.
#[derive(CustomResource, Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "patchwarden.io",
    version = "v1alpha1",
    kind = "PatchRun",
    namespaced,
    status = "PatchRunStatus",
    shortname = "pr",
    category = "patchwarden",
    derive = "PartialEq",
    doc = "One rollout of approved patches: the frozen plan in spec, the audit trail in status.",
    printcolumn(
        name = "Policy",
        type_ = "string",
        json_path = ".spec.policy",
        description = "The policy that planned it"
    ),
    printcolumn(
        name = "Phase",
        type_ = "string",
        json_path = ".status.phase",
        description = "Where the run is"
    ),
    printcolumn(
        name = "Wave",
        type_ = "integer",
        json_path = ".status.currentWave",
        description = "Wave in progress (0 is the canary)"
    ),
    printcolumn(
        name = "Assets",
        type_ = "integer",
        json_path = ".status.counts.total",
        description = "Assets in the plan"
    ),
    printcolumn(
        name = "Succeeded",
        type_ = "integer",
        json_path = ".status.counts.succeeded",
        description = "Assets patched and verified"
    ),
    printcolumn(
        name = "Failed",
        type_ = "integer",
        json_path = ".status.counts.failed",
        description = "Assets that failed"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".spec.trigger",
        description = "Why the run exists",
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
    {"rule": "self.assets == oldSelf.assets && self.waves == oldSelf.waves", "message": "the plan (assets and waves) is frozen once created"}
]))]
pub struct PatchRunSpec {
    /// The PatchPolicy that planned the run (empty for a run written by a person).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Why the run exists.
    #[serde(default)]
    #[schemars(schema_with = "run_trigger_schema")]
    pub trigger: RunTrigger,
    /// The MaintenanceWindow the run was planned into, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// The first wave must start by this instant (the window's close minus its cutoff): a run
    /// that has not started its first wave by then does not start, and ends `Halted` with a
    /// message naming the deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_deadline: Option<Time>,
    /// The assets and the package versions each gets.
    #[schemars(length(min = 1))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub assets: Vec<PlannedAsset>,
    /// The order of the assets: wave 0 is the canary; each wave's assets are patched at the same
    /// time.
    #[serde(default)]
    pub waves: Vec<Wave>,
    /// The limits and behaviour of the rollout, copied from the policy when the run was planned.
    #[serde(default)]
    pub limits: RunLimits,
    /// Pauses the run while true: assets in flight finish, no further asset starts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspend: bool,
}

pub use patchwarden_core::policy::RunTrigger;

/// Schema of the `trigger` field: the names of `RunTrigger`.
fn run_trigger_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = RunTrigger::ALL.iter().map(|t| t.as_str()).collect();
    schemars::json_schema!({
        "type": "string",
        "enum": names,
        "default": RunTrigger::default().as_str(),
    })
}

/// One asset of the plan and the package versions it gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedAsset {
    /// Name of the Asset.
    pub name: String,
    /// The asset group whose `maxUnavailable` budget it counts against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Package updates to install.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PlannedPackage>,
    /// Whether the updates are expected to need a reboot. Informational: `limits.reboot` and
    /// the asset's inventory after the install decide whether it is rebooted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reboot_expected: bool,
}

/// One package update of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedPackage {
    /// Package name.
    pub name: String,
    /// Installed version when planned (restored on rollback).
    pub from: String,
    /// Version to install.
    pub to: String,
    /// Vulnerabilities the update fixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<String>,
    /// The findings it fixes as assessed when the run was planned (severity, publication, KEV
    /// due date): what compliance profiles hold the fix's time to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FixedFinding>,
}

/// One wave of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Wave {
    /// Names of the assets patched in this wave.
    pub assets: Vec<String>,
    /// Whether this is the canary wave.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub canary: bool,
    /// How long the wave is expected to take: the longest estimate of its assets, from the
    /// outcome history of their profiles (a default before there is any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_duration: Option<DurationValue>,
}

/// The limits and behaviour of a rollout, frozen when the run is planned.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunLimits {
    /// Most assets patched at the same time.
    #[serde(default = "default_one")]
    #[schemars(range(min = 1, max = 100000))]
    pub max_unavailable: u32,
    /// Most assets of each asset group patched at the same time; assets without a group use
    /// `maxUnavailable`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max_unavailable_by_group: BTreeMap<String, u32>,
    /// The run halts once more assets than this have failed.
    #[serde(default)]
    #[schemars(range(max = 100000))]
    pub max_failures: u32,
    /// Wait between waves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_between_waves: Option<DurationValue>,
    /// Restore recorded versions on a failed asset.
    #[serde(default)]
    pub rollback_on_failure: bool,
    /// When to reboot after patching: `Never` (the default), `IfRequired` (when the asset's
    /// inventory after the install says so) or `Always`. Verification runs after the reboot.
    #[serde(default)]
    pub reboot: RebootPolicy,
    /// How long an asset may take to come back with a new boot id (default `10m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_timeout: Option<DurationValue>,
    /// The reboot command as an argument list (default `["systemctl", "reboot"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_command: Option<Vec<String>>,
    /// Health checks run before and after patching each asset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_checks: Vec<HealthCheck>,
    /// Hook commands run around each asset's patching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Hooks>,
}

fn default_one() -> u32 {
    1
}

/// Where one asset of a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub enum AssetRunState {
    /// Not started.
    #[default]
    Pending,
    /// Being patched (drain, install, reboot).
    Patching,
    /// Patched; being re-inventoried and health-checked.
    Verifying,
    /// Patched and verified.
    Succeeded,
    /// Patching or verification failed.
    Failed,
    /// Failed, then restored to the recorded versions.
    RolledBack,
    /// Not patched (run halted, window closed, or a pre-patch hook failed).
    Skipped,
}

/// One package of an asset's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageResult {
    /// Package name.
    pub name: String,
    /// Version installed before the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Version installed after the run (after rollback, if any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The result of one asset of a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetResult {
    /// Name of the Asset.
    pub name: String,
    /// Wave it belongs to.
    #[serde(default)]
    pub wave: u32,
    /// Where it is.
    #[serde(default)]
    pub state: AssetRunState,
    /// Package versions before and after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackageResult>,
    /// Vulnerabilities the re-inventory proved closed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves_closed: Vec<String>,
    /// Targeted vulnerabilities still open after the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves_remaining: Vec<String>,
    /// Whether the asset was rebooted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rebooted: bool,
    /// The repositories the installed versions came from, as the asset's package lists named
    /// them when the run installed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<InstalledSource>,
    /// When work on it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When work on it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
    /// Seconds from start to finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u64>,
    /// What happened, for people (on failure: the step, the package and the error).
    #[serde(default)]
    pub message: String,
}

/// A repository a run installed package versions from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstalledSource {
    /// The archive URI (`http://deb.debian.org/debian-security`).
    pub uri: String,
    /// The suite (`bookworm-security`), from the repository's release file when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// The component (`main`), when the repository has components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The `Date:` of the repository's release file in the asset's package lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    /// Whether that release file is a signed `InRelease` (false: a bare `Release` of a source
    /// the asset marks trusted).
    #[serde(default)]
    pub signed: bool,
    /// The packages installed from it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
}

/// Counts of assets by outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    /// Assets in the plan.
    #[serde(default)]
    pub total: u32,
    /// Patched and verified.
    #[serde(default)]
    pub succeeded: u32,
    /// Failed (including rolled back).
    #[serde(default)]
    pub failed: u32,
    /// Restored to their recorded versions.
    #[serde(default)]
    pub rolled_back: u32,
    /// Not started yet.
    #[serde(default)]
    pub pending: u32,
    /// Being patched or verified now.
    #[serde(default)]
    pub in_progress: u32,
    /// Not patched.
    #[serde(default)]
    pub skipped: u32,
}

/// Observed state of a PatchRun: its audit trail.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatchRunStatus {
    /// The `metadata.generation` this status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The last handled value of the `reconcile.fluxcd.io/requestedAt` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// Conditions (`Ready`, `Progressing`, `Degraded`, `Stalled`), one per type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// Where the run is.
    #[serde(default)]
    #[schemars(schema_with = "crate::values::run_phase_schema")]
    pub phase: RunPhase,
    /// The wave in progress (0 is the canary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_wave: Option<u32>,
    /// The run waits until this instant before its next wave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_until: Option<Time>,
    /// When the run started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When a started run is expected to finish: its start plus the waves' estimates and the
    /// pauses between them. Absent once it finished, or when its waves carry no estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_finish_at: Option<Time>,
    /// When the run finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
    /// Counts of assets by outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<RunCounts>,
    /// Per-asset results, in plan order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub assets: Vec<AssetResult>,
    /// What happened, for people (e.g. why the run halted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl_common_status!(PatchRunStatus);
