//! A policy's history: how many runs it keeps, and the bounded time series of its counts
//! that trend charts read after old runs are pruned.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much of a policy's past is kept.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistorySpec {
    /// Keep at most this many finished PatchRuns of the policy; older finished runs are
    /// deleted (their counts stay in `status.history`). Unset keeps every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_runs: Option<u32>,
}

/// The policy's counts at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPoint {
    /// When the counts were observed.
    pub at: Time,
    /// Open critical findings in scope.
    #[serde(default)]
    pub open_critical: u32,
    /// Open high findings in scope.
    #[serde(default)]
    pub open_high: u32,
    /// Open KEV-listed findings in scope.
    #[serde(default)]
    pub open_known_exploited: u32,
    /// Assets with every approved patch applied.
    #[serde(default)]
    pub compliant_assets: u32,
    /// Assets in scope.
    #[serde(default)]
    pub total_assets: u32,
    /// Runs of the policy that succeeded, counted since the history began.
    #[serde(default)]
    pub runs_succeeded: u32,
    /// Runs of the policy that failed or halted, counted since the history began.
    #[serde(default)]
    pub runs_failed: u32,
}

impl HistoryPoint {
    /// Whether two points carry the same counts (their times aside).
    pub fn same_counts(&self, other: &HistoryPoint) -> bool {
        HistoryPoint {
            at: other.at.clone(),
            ..self.clone()
        } == *other
    }
}
