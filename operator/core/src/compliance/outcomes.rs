//! The outcome check: was each finding in scope fixed by the deadline the profile sets? Open
//! findings come from the members' assessments, fixed ones from the runs that closed them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ProfileId;
use super::profiles::{OutcomeRule, profile};
use crate::Severity;
use crate::sla::{self, SlaFinding, SlaRules};

/// A finding of a member asset: open (`fixed_at` none) or fixed by a run at `fixed_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedFinding {
    pub asset: String,
    pub finding: SlaFinding,
    pub fixed_at: Option<DateTime<Utc>>,
}

/// Where a finding stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FindingOutcome {
    /// Fixed by the deadline.
    Met,
    /// Open, the deadline still ahead.
    Pending,
    /// Fixed after the deadline.
    Late,
    /// Open past the deadline.
    Overdue,
}

/// A finding that missed the profile's deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeViolation {
    pub asset: String,
    pub finding: String,
    pub deadline: DateTime<Utc>,
    /// When a run fixed it; none while it is open.
    pub fixed_at: Option<DateTime<Utc>>,
    /// Whole days (rounded up) from the deadline to the fix, or to now while open.
    pub days_late: u32,
}

impl std::fmt::Display for OutcomeViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let due = self.deadline.format("%Y-%m-%d %H:%M UTC");
        match self.fixed_at {
            Some(fixed) => write!(
                f,
                "{} {} patched {} day(s) late (due {due}, patched {})",
                self.asset,
                self.finding,
                self.days_late,
                fixed.format("%Y-%m-%d %H:%M UTC")
            ),
            None => write!(
                f,
                "{} {} open {} day(s) past its deadline (due {due})",
                self.asset, self.finding, self.days_late
            ),
        }
    }
}

/// The outcome check of one profile, with counts of the findings in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileOutcome {
    pub profile: ProfileId,
    /// Findings the profile sets a deadline for.
    pub in_scope: u32,
    pub met: u32,
    pub pending: u32,
    pub late: u32,
    pub overdue: u32,
    /// The late and overdue findings, most days late first.
    pub violations: Vec<OutcomeViolation>,
}

impl ProfileOutcome {
    pub fn compliant(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Holds each of `findings` to `profile`'s deadline: the policy's own `sla` rules are the
/// deadlines of a profile that checks the policy's maintenance plan. A finding listed twice
/// for an asset (open again after a fix) counts each time.
pub fn check_outcomes(
    id: ProfileId,
    sla: &SlaRules,
    findings: &[TrackedFinding],
    now: DateTime<Utc>,
) -> ProfileOutcome {
    let rules = deadline_rules(profile(id).outcome, sla);
    let mut outcome = ProfileOutcome {
        profile: id,
        in_scope: 0,
        met: 0,
        pending: 0,
        late: 0,
        overdue: 0,
        violations: Vec::new(),
    };
    for tracked in findings {
        let Some(deadline) = sla::deadline(&rules, &tracked.finding) else {
            continue;
        };
        outcome.in_scope += 1;
        let (standing, days_late) = judge(deadline.at, tracked.fixed_at, now);
        match standing {
            FindingOutcome::Met => outcome.met += 1,
            FindingOutcome::Pending => outcome.pending += 1,
            FindingOutcome::Late => outcome.late += 1,
            FindingOutcome::Overdue => outcome.overdue += 1,
        }
        if matches!(standing, FindingOutcome::Late | FindingOutcome::Overdue) {
            outcome.violations.push(OutcomeViolation {
                asset: tracked.asset.clone(),
                finding: tracked.finding.id.clone(),
                deadline: deadline.at,
                fixed_at: tracked.fixed_at,
                days_late,
            });
        }
    }
    outcome.violations.sort_by(|a, b| {
        b.days_late
            .cmp(&a.days_late)
            .then_with(|| a.asset.cmp(&b.asset))
            .then_with(|| a.finding.cmp(&b.finding))
    });
    outcome
}

/// The SLA rules that give each finding the profile's deadline.
fn deadline_rules(rule: OutcomeRule, policy: &SlaRules) -> SlaRules {
    match rule {
        OutcomeRule::SinceRelease {
            min_severity,
            within,
        } => SlaRules {
            deadlines: Severity::ALL
                .into_iter()
                .filter(|s| *s >= min_severity)
                .map(|s| (s, within))
                .collect::<BTreeMap<_, _>>(),
            kev_due_date: false,
        },
        OutcomeRule::KevDueDate => SlaRules {
            deadlines: BTreeMap::new(),
            kev_due_date: true,
        },
        OutcomeRule::PolicySla => policy.clone(),
    }
}

/// A finding's standing against `deadline`, and the whole days (rounded up) it is late.
fn judge(
    deadline: DateTime<Utc>,
    fixed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (FindingOutcome, u32) {
    let until = fixed_at.unwrap_or(now);
    if until <= deadline {
        let standing = if fixed_at.is_some() {
            FindingOutcome::Met
        } else {
            FindingOutcome::Pending
        };
        return (standing, 0);
    }
    let seconds = (until - deadline).num_seconds();
    let days = u32::try_from((seconds + 86_399) / 86_400).unwrap_or(u32::MAX);
    let standing = if fixed_at.is_some() {
        FindingOutcome::Late
    } else {
        FindingOutcome::Overdue
    };
    (standing, days)
}
