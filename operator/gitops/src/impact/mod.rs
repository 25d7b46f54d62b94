//! The impact of a change between two revisions, per policy: a pure function of the two
//! resource sets, the live state and `now`.
//!
//! For every policy whose spec, asset groups or windows changed it explains: assets entering
//! or leaving scope, findings newly approved or held back, the next start opportunity before
//! and after, SLA forecasts whose verdict changes, and emergency behaviour changes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use patchwarden_api::{Asset, PatchPolicySpec};
use patchwarden_core::Duration;

use crate::diff::ResourceDiff;
use crate::resources::ResourceSet;
use crate::revision::RevisionProblem;
use crate::snapshot::Snapshot;
use crate::source::Revision;

mod approvals;
mod compliance;
mod drain;
mod emergency;
mod notes;
mod report;
mod rollout;
mod side;
mod sla;
mod view;

use approvals::{approval_impact, scope_impact};
use compliance::compliance_impact;
use drain::drain_impact;
use emergency::emergency_impact;
use notes::{live_drift, notes};
pub use patchwarden_core::policy::SLA_HORIZON;
pub use report::{
    ApprovalImpact, ComplianceImpact, DrainImpact, EmergencyImpact, FindingImpact,
    FirstWindowShare, LiveState, NextWindowImpact, PlanReport, PlanSummary, PolicyChange,
    PolicyImpact, RolloutForecast, RolloutImpact, ScopeImpact, SlaImpact,
};
use rollout::{next_window_impact, rollout_impact};
use side::PolicySide;
use sla::sla_impact;
use view::{ChangeSummary, NamedKey, RevisionView, dependency_causes, summarise_changes};

/// Everything `plan` computes from its inputs.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub base: &'a Revision,
    pub head: &'a Revision,
    pub base_resources: &'a ResourceSet,
    /// The head's resources as far as they parse (empty when they do not).
    pub head_resources: &'a ResourceSet,
    /// Why the head revision is invalid; empty when it is valid.
    pub head_problems: &'a [RevisionProblem],
    /// The live Assets and policies, when known.
    pub live: Option<&'a Snapshot>,
    /// Namespace of resources that do not name one.
    pub default_namespace: &'a str,
    pub now: DateTime<Utc>,
}

/// Computes the plan. Pure: everything comes from `input`.
pub fn compute_plan(input: &PlanInput<'_>) -> PlanReport {
    let changes = ResourceDiff::between(input.base_resources, input.head_resources);
    let base = RevisionView::new(input.base_resources, input.default_namespace);
    let head = RevisionView::new(input.head_resources, input.default_namespace);
    let changed_keys = summarise_changes(&changes, input.default_namespace);

    let mut names: BTreeSet<NamedKey> = base.policies.keys().cloned().collect();
    names.extend(head.policies.keys().cloned());
    let policies: Vec<PolicyImpact> = names
        .iter()
        .filter_map(|key| policy_impact(key, &base, &head, &changed_keys, input))
        .collect();
    PlanReport {
        base: input.base.clone(),
        head: input.head.clone(),
        evaluated_at: input.now,
        valid: input.head_problems.is_empty(),
        problems: input.head_problems.to_vec(),
        live_state: input.live.map(|s| LiveState {
            taken_at: s.taken_at,
            assets: s.assets.len(),
        }),
        summary: PlanSummary::of(&policies),
        changes,
        policies,
    }
}

/// The impact on one policy; `None` when neither it nor a group or window it names changed.
fn policy_impact(
    key: &NamedKey,
    base: &RevisionView,
    head: &RevisionView,
    changed_keys: &BTreeMap<(String, String, String), ChangeSummary>,
    input: &PlanInput<'_>,
) -> Option<PolicyImpact> {
    let assets: &[Asset] = input.live.map(|s| s.assets.as_slice()).unwrap_or(&[]);
    let before = base.policies.get(key);
    let after = head.policies.get(key);
    let own = changed_keys.get(&("PatchPolicy".to_string(), key.0.clone(), key.1.clone()));
    let causes = dependency_causes(&key.0, before, after, changed_keys);
    if after.is_none() && head.unreadable_policies.contains(key) {
        // Comparing against a spec that cannot be read would report it as removed.
        return Some(unreadable_policy_impact(key, causes));
    }
    let change = match (before, after) {
        (None, Some(_)) => PolicyChange::Added,
        (Some(_), None) => PolicyChange::Removed,
        _ if own.is_some() => PolicyChange::Modified,
        _ if !causes.is_empty() => PolicyChange::Indirect,
        _ => return None,
    };
    let spec_changes = own
        .map(|summary| {
            summary
                .fields
                .iter()
                .filter(|c| c.path.starts_with("spec"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let side_before = before.map(|spec| PolicySide::new(key, spec, base, assets, input.now));
    let side_after = after.map(|spec| PolicySide::new(key, spec, head, assets, input.now));
    let (side_before, side_after) = (side_before.as_ref(), side_after.as_ref());
    Some(PolicyImpact {
        namespace: key.0.clone(),
        name: key.1.clone(),
        change,
        causes,
        spec_changes,
        scope: scope_impact(side_before, side_after),
        approvals: approval_impact(side_before, side_after, change),
        next_window: next_window_impact(side_before, side_after),
        sla: sla_impact(side_before, side_after, input.now),
        compliance: compliance_impact(side_before, side_after, input.now),
        rollout: rollout_impact(side_before, side_after, input.now),
        emergency: emergency_impact(side_before, side_after),
        drain: drain_impact(side_after, input.live),
        notes: policy_notes(key, before, after, side_after, input.live),
    })
}

/// A policy whose head spec does not deserialise: reported as modified, with no impact.
fn unreadable_policy_impact(key: &NamedKey, causes: Vec<String>) -> PolicyImpact {
    PolicyImpact {
        namespace: key.0.clone(),
        name: key.1.clone(),
        change: PolicyChange::Modified,
        causes,
        spec_changes: Vec::new(),
        scope: ScopeImpact::default(),
        approvals: ApprovalImpact::default(),
        next_window: NextWindowImpact::default(),
        sla: Vec::new(),
        compliance: Vec::new(),
        rollout: None,
        emergency: None,
        drain: None,
        notes: vec![
            "its spec in the head revision is invalid (see the problems above), so its impact is not computed".into(),
        ],
    }
}

fn policy_notes(
    key: &NamedKey,
    before: Option<&PatchPolicySpec>,
    after: Option<&PatchPolicySpec>,
    side_after: Option<&PolicySide<'_>>,
    live: Option<&Snapshot>,
) -> Vec<String> {
    let mut notes = notes(before, after, side_after);
    if let Some(drift) = live_drift(live, key, before) {
        notes.push(drift);
    }
    notes
}

/// "14 days", "6.5 days", "12 hours", "45 minutes".
pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    const DAY: u64 = 86_400;
    if seconds >= DAY {
        if seconds.is_multiple_of(DAY) {
            let days = seconds / DAY;
            format!("{days} day{}", if days == 1 { "" } else { "s" })
        } else {
            format!("{:.1} days", seconds as f64 / DAY as f64)
        }
    } else if seconds >= 3_600 {
        format!("{:.1} hours", seconds as f64 / 3_600.0).replace(".0 hours", " hours")
    } else {
        format!("{} minutes", seconds / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_days(14)), "14 days");
        assert_eq!(human_duration(Duration::from_days(1)), "1 day");
        assert_eq!(human_duration(Duration::from_hours(36)), "1.5 days");
        assert_eq!(human_duration(Duration::from_hours(12)), "12 hours");
        assert_eq!(human_duration(Duration::from_mins(45)), "45 minutes");
    }
}
