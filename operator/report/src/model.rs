//! The report's data: plain numbers and names, serialised as the JSON report and read by the
//! HTML and Markdown templates.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Everything the report shows, computed from the resources at `generatedAt`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The instant the numbers are computed for.
    pub generated_at: DateTime<Utc>,
    /// Fleet-wide totals.
    pub summary: Summary,
    /// Compliance per policy, with its profiles.
    pub policies: Vec<PolicyReport>,
    /// SLA adherence and mean time to remediate per severity, and for KEV-listed findings.
    pub sla: Vec<SlaRow>,
    /// Open KEV-listed findings, per asset, oldest first.
    pub kev_exposure: Vec<KevExposure>,
    /// Per-policy counts over time.
    pub trends: Vec<PolicyTrend>,
    /// The assets most at risk, riskiest first.
    pub top_assets: Vec<AssetRisk>,
    /// The runs, newest first.
    pub runs: Vec<RunRow>,
    /// What the fleet learned from its runs: outcome counts and quarantined updates.
    pub outcomes: OutcomesReport,
}

/// Outcome statistics in brief and the updates quarantined fleet-wide.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomesReport {
    /// Finished runs counted.
    pub runs: u32,
    /// Asset patch attempts.
    pub attempts: u32,
    /// Attempts patched and verified.
    pub successes: u32,
    /// Attempts that failed (rolled back ones included).
    pub failures: u32,
    /// Failures rolled back.
    pub rollbacks: u32,
    /// Median patch duration of an asset.
    pub duration_p50: Option<String>,
    /// 90th percentile patch duration of an asset.
    pub duration_p90: Option<String>,
    /// Updates no policy installs, by package and version.
    pub quarantined: Vec<QuarantineRow>,
    /// What each policy's next window opening can expect, by policy.
    pub predicted_load: Vec<LoadRow>,
}

/// One policy's predicted load.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadRow {
    /// `namespace/name` of the policy.
    pub policy: String,
    /// The opening forecast (RFC 3339).
    pub opens_at: String,
    pub expected_assets: f64,
    pub expected_work: String,
    pub expected_new_findings: f64,
    pub expected_sla_breaches: f64,
    pub recent_advisories: u32,
}

/// One quarantined update.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineRow {
    /// The ecosystem (`Debian:12`).
    pub ecosystem: String,
    /// Package name.
    pub package: String,
    /// The version held back.
    pub version: String,
    /// Why, naming the runs whose canaries failed.
    pub reason: String,
    /// Since when.
    pub since: Option<DateTime<Utc>>,
    /// When it ends by itself.
    pub expires_at: Option<DateTime<Utc>>,
    /// The policies (`namespace/name`) it holds back.
    pub policies: Vec<String>,
}

/// Fleet-wide totals.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// PatchPolicies read.
    pub policies: u32,
    /// Assets read.
    pub assets: u32,
    /// Assets whose patch state is `Compliant`.
    pub compliant_assets: u32,
    /// Open critical findings over all assets.
    pub open_critical: u32,
    /// Open high findings over all assets.
    pub open_high: u32,
    /// Open KEV-listed findings over all assets.
    pub open_known_exploited: u32,
    /// PatchRuns read.
    pub runs: u32,
    /// Runs that succeeded.
    pub runs_succeeded: u32,
    /// Runs that failed or halted.
    pub runs_failed: u32,
}

/// One policy's compliance.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyReport {
    /// `namespace/name`.
    pub name: String,
    /// Assets in scope.
    pub assets: u32,
    /// Assets with every approved patch applied.
    pub compliant: u32,
    /// `compliant / assets` in percent.
    pub percent: f64,
    /// Open critical findings in scope.
    pub open_critical: u32,
    /// Open high findings in scope.
    pub open_high: u32,
    /// Open KEV-listed findings in scope.
    pub open_known_exploited: u32,
    /// Assets past an SLA deadline.
    pub assets_out_of_sla: u32,
    /// The `Ready` condition's status, when written.
    pub ready: Option<String>,
    /// One row per compliance profile the policy lists.
    pub profiles: Vec<ProfileRow>,
}

/// A policy's standing against one compliance profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileRow {
    /// The profile (`PCI-DSS-4.0-6.3.3`).
    pub profile: String,
    /// `True` or `False`.
    pub status: String,
    /// `Compliant`, `SpecViolatesProfile` or `DeadlinesMissed`.
    pub reason: String,
    /// The violations, for people.
    pub message: String,
    /// Findings the profile sets a deadline for.
    pub findings_in_scope: u32,
    /// Fixed by their deadline.
    pub met: u32,
    /// Open, deadline ahead.
    pub pending: u32,
    /// Fixed after their deadline.
    pub late: u32,
    /// Open past their deadline.
    pub overdue: u32,
}

/// Remediation of one class of findings (a severity, or `KEV`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaRow {
    /// `Critical`, `High`, `Medium`, `Low`, `Other` (negligible or no severity) or `KEV`.
    pub class: String,
    /// Findings runs fixed.
    pub fixed: u32,
    /// Of those, fixed with a deadline set and by it.
    pub in_time: u32,
    /// Of those, fixed after their deadline.
    pub late: u32,
    /// Open findings of the class whose deadline has passed.
    pub open_overdue: u32,
    /// Open findings of the class whose deadline is ahead, or that have none.
    pub open_within: u32,
    /// `in_time / (in_time + late + open_overdue)` in percent; `None` when nothing had a
    /// deadline yet.
    pub adherence_percent: Option<f64>,
    /// Mean days from publication to the fix, over fixed findings with a publication date.
    pub mean_days_to_remediate: Option<f64>,
}

/// One open KEV-listed finding on one asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KevExposure {
    /// `namespace/name` of the Asset.
    pub asset: String,
    /// The vulnerability.
    pub id: String,
    /// The affected package.
    pub package: String,
    /// Whole days since the advisory was published, when known.
    pub days_open: Option<i64>,
    /// CISA's due date (`YYYY-MM-DD`), when known.
    pub due_date: Option<String>,
    /// Whether the due date has passed.
    pub past_due: bool,
}

/// A policy's counts over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTrend {
    /// `namespace/name` of the policy.
    pub policy: String,
    /// The points, oldest first.
    pub points: Vec<TrendPoint>,
}

/// A policy's counts at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    /// When.
    pub at: DateTime<Utc>,
    /// Open critical findings.
    pub open_critical: u32,
    /// Open high findings.
    pub open_high: u32,
    /// Open KEV-listed findings.
    pub open_known_exploited: u32,
    /// Compliant assets in percent.
    pub compliant_percent: f64,
    /// Succeeded runs over finished runs so far, in percent; `None` before the first.
    pub run_success_percent: Option<f64>,
}

/// One asset and what makes it risky.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetRisk {
    /// `namespace/name`.
    pub name: String,
    /// Its risk score (0 to 100).
    pub risk_score: f64,
    /// Its patch state.
    pub patch_state: Option<String>,
    /// Open critical findings.
    pub critical: u32,
    /// Open high findings.
    pub high: u32,
    /// Open KEV-listed findings.
    pub known_exploited: u32,
    /// Its riskiest findings, each with why.
    pub risks: Vec<RiskLine>,
}

/// One risky finding, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskLine {
    /// The vulnerability.
    pub id: String,
    /// The affected package.
    pub package: String,
    /// Its score.
    pub score: f64,
    /// Why the score is what it is.
    pub explanation: String,
}

/// One PatchRun and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    /// `namespace/name`.
    pub name: String,
    /// The policy that planned it.
    pub policy: Option<String>,
    /// Why it ran.
    pub trigger: String,
    /// Its phase.
    pub phase: String,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Planned assets.
    pub assets: u32,
    /// Assets patched and verified.
    pub succeeded: u32,
    /// Assets that failed.
    pub failed: u32,
    /// Vulnerabilities the run proved closed, over all assets.
    pub cves_closed: u32,
    /// The hash of the run's link in its policy's evidence chain, when recorded.
    pub evidence_hash: Option<String>,
    /// What happened, for people.
    pub message: Option<String>,
}
