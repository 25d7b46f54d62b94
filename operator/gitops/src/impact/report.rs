//! The plan as reviewers and tools read it: serialisable, in the order of the Markdown.

use chrono::{DateTime, Utc};
use patchwarden_core::Severity;
use patchwarden_core::sla::EmergencyRule;
use serde::Serialize;

use crate::diff::{FieldChange, ResourceDiff};
use crate::revision::RevisionProblem;
use crate::source::Revision;

/// The plan: validity, resource changes and per-policy impact.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanReport {
    pub base: Revision,
    pub head: Revision,
    pub evaluated_at: DateTime<Utc>,
    pub valid: bool,
    pub problems: Vec<RevisionProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_state: Option<LiveState>,
    pub summary: PlanSummary,
    pub changes: ResourceDiff,
    pub policies: Vec<PolicyImpact>,
}

/// Counts a reviewer reads first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    pub policies_affected: usize,
    pub findings_newly_approved: usize,
    pub findings_held_back: usize,
    pub sla_regressions: usize,
    pub emergency_changes: usize,
}

impl PlanSummary {
    pub(super) fn of(policies: &[PolicyImpact]) -> Self {
        Self {
            policies_affected: policies.len(),
            findings_newly_approved: policies
                .iter()
                .map(|p| p.approvals.newly_approved.len())
                .sum(),
            findings_held_back: policies.iter().map(|p| p.approvals.held_back.len()).sum(),
            sla_regressions: policies
                .iter()
                .map(|p| p.sla.iter().filter(|s| s.regression).count())
                .sum(),
            emergency_changes: policies.iter().filter(|p| p.emergency.is_some()).count(),
        }
    }
}

/// Which live state the impact was computed against.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveState {
    pub taken_at: DateTime<Utc>,
    pub assets: usize,
}

/// How a policy is touched by the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PolicyChange {
    Added,
    Removed,
    Modified,
    /// Its own spec is unchanged, but an asset group or window it uses changed.
    Indirect,
}

/// The impact of the change on one policy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyImpact {
    pub namespace: String,
    pub name: String,
    pub change: PolicyChange,
    /// Changed resources the policy uses, as `Kind name`.
    pub causes: Vec<String>,
    /// Field changes of the policy's own spec.
    pub spec_changes: Vec<FieldChange>,
    pub scope: ScopeImpact,
    pub approvals: ApprovalImpact,
    pub next_window: NextWindowImpact,
    pub sla: Vec<SlaImpact>,
    /// One line per compliance profile the policy lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compliance: Vec<ComplianceImpact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutImpact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<EmergencyImpact>,
    /// The drain preflight of the policy's nodes, when it drains any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drain: Option<DrainImpact>,
    /// Mode and suspension changes, in words.
    pub notes: Vec<String>,
}

/// What would block draining the nodes a policy drains after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrainImpact {
    /// The Nodes of the policy's `node` members.
    pub nodes: Vec<String>,
    /// A PodDisruptionBudget or pod would block the drain.
    pub blocked: bool,
    /// The live state held the cluster's workloads, so the preflight ran.
    pub checked: bool,
    pub message: String,
}

/// Assets in scope before and after.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeImpact {
    pub before: usize,
    pub after: usize,
    pub entering: Vec<String>,
    pub leaving: Vec<String>,
}

/// Findings whose approval changes.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalImpact {
    pub newly_approved: Vec<FindingImpact>,
    pub held_back: Vec<FindingImpact>,
}

/// One finding on one asset, and why its approval changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingImpact {
    pub asset: String,
    pub id: String,
    pub package: String,
    pub installed_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    pub severity: Severity,
    pub known_exploited: bool,
    pub reason: String,
}

/// The next moment work may start, before and after.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextWindowImpact {
    pub before: Option<DateTime<Utc>>,
    pub after: Option<DateTime<Utc>>,
    pub changed: bool,
}

/// An SLA class whose forecast changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaImpact {
    /// `critical`, `high`, `medium` or `low`.
    pub class: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_before: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_after: Option<bool>,
    /// True when the forecast got worse (a deadline that can no longer be met).
    pub regression: bool,
    pub message: String,
}

/// How the rollout of the approved patches would run, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutImpact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<RolloutForecast>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<RolloutForecast>,
    pub message: String,
}

/// The share of a run the first of its windows takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirstWindowShare {
    /// Assets whose waves fit the first window.
    pub assets: usize,
    /// The day it opens (`10 Jan`).
    pub date: String,
}

/// The rollout the core would plan for the assets with approved patches.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutForecast {
    pub assets: usize,
    pub waves: usize,
    pub canaries: usize,
    /// Waves and pauses, from the default per-asset estimate.
    pub estimated_duration: String,
    /// Window openings the waves are spread over.
    pub windows: usize,
    /// Some waves fit in no opening within the forecast horizon.
    pub unscheduled: bool,
    /// When the run needs more than one window: how much of it fits the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_window: Option<FirstWindowShare>,
    /// The assets of each wave, canary first: the waves the controller freezes.
    pub wave_assets: Vec<Vec<String>>,
}

impl std::fmt::Display for RolloutForecast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} asset{} in {} wave{}",
            self.assets,
            if self.assets == 1 { "" } else { "s" },
            self.waves,
            if self.waves == 1 { "" } else { "s" }
        )?;
        if self.canaries > 0 {
            write!(f, " ({} canary)", self.canaries)?;
        }
        write!(f, ", about {}", self.estimated_duration)?;
        if self.unscheduled {
            write!(f, ", not all waves fit the windows")
        } else if let Some(first) = self.first_window.as_ref().filter(|_| self.windows > 1) {
            write!(
                f,
                ", needs {} windows: {} of {} assets fit on {}",
                self.windows, first.assets, self.assets, first.date
            )
        } else {
            write!(
                f,
                ", {} window opening{}",
                self.windows,
                if self.windows == 1 { "" } else { "s" }
            )
        }
    }
}

/// Out-of-window behaviour before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmergencyImpact {
    pub before: Vec<EmergencyRule>,
    pub after: Vec<EmergencyRule>,
    pub messages: Vec<String>,
}

/// Whether the policy's spec satisfies one compliance profile it lists, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceImpact {
    pub profile: String,
    /// `None` when the side does not list the profile (or its rules are invalid).
    pub satisfied_before: Option<bool>,
    pub satisfied_after: Option<bool>,
    /// It was satisfied or not listed before, and is listed but not satisfied after.
    pub regression: bool,
    /// The head's violations, naming the field and the numbers.
    pub violations: Vec<String>,
    pub message: String,
}
