//! How a PatchPolicy rolls patches out: canary and wave sizes, the failure limit, pauses,
//! health checks, reboots, node drains and hooks. PatchRuns carry the same health checks, reboot
//! policy and hooks in their limits.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::default_true;
use crate::values::{CountOrPercentValue, DurationValue};

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
    /// How long patching one asset is expected to take (install, reboot, checks) until the
    /// outcomes of past runs predict it for the asset's group and OS: it decides how many waves
    /// fit the window's remaining time. Defaults to `10m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_asset_duration: Option<DurationValue>,
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
            expected_asset_duration: None,
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
    /// A behavioural check: the number the command prints, or the number at `jsonPath` in the
    /// HTTP response, is read before patching (the baseline) and after; a value beyond these
    /// bounds fails the asset like a failed check (rolled back when the policy rolls back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<HealthMetric>,
}

/// The number a health check measures and how far it may move after patching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "has(self.maxIncreasePercent) || has(self.max)", "message": "set maxIncreasePercent, max or both"}
]))]
pub struct HealthMetric {
    /// For an HTTP check: the JSONPath (RFC 9535) of the number in the JSON response body,
    /// e.g. `$.latency_ms`. A command check prints the number instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub json_path: Option<String>,
    /// The value after patching may exceed the baseline by at most this percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_increase_percent: Option<MetricNumber>,
    /// The value after patching may be at most this, whatever the baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<MetricNumber>,
}

impl HealthMetric {
    /// The bounds, as the core compares them.
    pub fn bound(&self) -> patchwarden_core::health_comparison::MetricBound {
        patchwarden_core::health_comparison::MetricBound {
            max_increase_percent: self.max_increase_percent.map(|n| n.0),
            max: self.max.map(|n| n.0),
        }
    }
}

/// A number of a health metric bound. Compared by its bits, so that specs holding one stay
/// `Eq` (a bound is never NaN: the schema admits only numbers).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct MetricNumber(pub f64);

impl PartialEq for MetricNumber {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for MetricNumber {}

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
    /// Reboot when the asset asks for it after the install (e.g. a new kernel wrote
    /// `/run/reboot-required`).
    IfRequired,
    /// Never reboot; the asset keeps `rebootRequired` until someone does.
    #[default]
    Never,
    /// Always reboot after patching.
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
