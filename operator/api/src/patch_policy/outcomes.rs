//! What a policy learns from outcomes: its quarantine bounds (spec) and, in status, the
//! updates quarantined fleet-wide and a compact summary of the outcome statistics.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use patchwarden_core::outcomes::quarantine::QuarantineSettings;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::convert::SpecError;
use crate::values::DurationValue;

/// When an update is quarantined fleet-wide (no policy's run installs that version). Failures
/// are counted across all policies; each policy applies its own bounds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineSpec {
    /// Canary failures blamed on an update (package and target version) that quarantine it;
    /// 2 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub after_canary_failures: Option<u32>,
    /// A failure rate (percent of the attempts) above which the update is quarantined too,
    /// once it has `minSample` attempts; 50 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub max_failure_percent: Option<u32>,
    /// Attempts before the failure rate counts; 4 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub min_sample: Option<u32>,
    /// How long a quarantine lasts from its last canary failure; 7d when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<DurationValue>,
}

impl QuarantineSpec {
    /// The bounds as the core reads them, defaults filled in.
    pub fn settings(&self) -> Result<QuarantineSettings, SpecError> {
        let defaults = QuarantineSettings::default();
        let expire_after = match &self.expire_after {
            Some(value) => value
                .parse()
                .map_err(|e| SpecError::new("spec.quarantine.expireAfter", e))?,
            None => defaults.expire_after,
        };
        Ok(QuarantineSettings {
            after_canary_failures: self
                .after_canary_failures
                .unwrap_or(defaults.after_canary_failures),
            max_failure_rate: self
                .max_failure_percent
                .map_or(defaults.max_failure_rate, |p| f64::from(p.min(100)) / 100.0),
            min_sample: self.min_sample.unwrap_or(defaults.min_sample),
            expire_after,
        })
    }
}

/// An update no policy installs, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuarantinedUpdate {
    /// The ecosystem (`Debian:12`).
    pub ecosystem: String,
    /// Package name.
    pub package: String,
    /// The quarantined version.
    pub version: String,
    /// When the failure that crossed the bound happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Time>,
    /// When the quarantine ends by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Time>,
    /// Why, naming the runs whose canaries failed.
    pub reason: String,
    /// The PatchRuns whose canaries failed with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<String>,
}

/// The fleet's outcome statistics in brief (the full record is the ConfigMap
/// `patchwarden-outcomes`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeSummary {
    /// Finished runs counted (fleet-wide).
    pub runs: u32,
    /// Asset patch attempts counted.
    pub attempts: u32,
    /// Of those, patched and verified.
    pub successes: u32,
    /// Of those, failed (rolled back ones included).
    pub failures: u32,
    /// Of the failures, rolled back.
    pub rollbacks: u32,
    /// Updates (package version transitions) with a recorded outcome.
    pub updates: u32,
    /// Median patch duration of an asset (`5m`), when any is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_p50: Option<String>,
    /// 90th percentile patch duration of an asset, when any is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_p90: Option<String>,
    /// Predicted duration of the policy's next run (its waves and pauses, from the members'
    /// history), when a run is planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_duration: Option<String>,
}

/// What the policy's next window opening can expect, from the rate at which its members'
/// package sets drew advisories over the last 90 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PredictedLoad {
    /// The opening forecast.
    pub opens_at: Time,
    /// Advisories that concerned the members' packages in the last 90 days.
    pub recent_advisories: u32,
    /// New findings expected on the members before the opening.
    pub expected_new_findings: f64,
    /// Members expected to need patching at the opening (those with approved patches now count
    /// fully).
    pub expected_assets: f64,
    /// Their expected patching time (`1h20m`).
    pub expected_work: String,
    /// New findings expected to pass their SLA deadline before the opening.
    pub expected_sla_breaches: f64,
    /// The forecast in words.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_unset_bounds_and_bad_durations_name_the_field() {
        let settings = QuarantineSpec::default().settings().expect("defaults");
        assert_eq!(settings, QuarantineSettings::default());
        let spec = QuarantineSpec {
            after_canary_failures: Some(3),
            max_failure_percent: Some(25),
            min_sample: Some(10),
            expire_after: Some(DurationValue::new("2d")),
        };
        let settings = spec.settings().expect("settings");
        assert_eq!(settings.after_canary_failures, 3);
        assert!((settings.max_failure_rate - 0.25).abs() < 1e-9);
        assert_eq!(settings.min_sample, 10);
        assert_eq!(
            settings.expire_after,
            patchwarden_core::Duration::from_days(2)
        );
        let bad = QuarantineSpec {
            expire_after: Some(DurationValue::new("soon")),
            ..QuarantineSpec::default()
        };
        let error = bad.settings().expect_err("invalid");
        assert_eq!(error.field, "spec.quarantine.expireAfter");
        // `patchwarden validate` and the controller refuse it the same way.
        let policy = super::super::PatchPolicy::new(
            "p",
            super::super::PatchPolicySpec {
                asset_groups: vec!["web".into()],
                quarantine: Some(bad),
                ..Default::default()
            },
        );
        let errors = crate::CheckSpec::spec_errors(&policy);
        assert!(
            errors
                .iter()
                .any(|e| e.field == "spec.quarantine.expireAfter"),
            "{errors:?}"
        );
    }
}
