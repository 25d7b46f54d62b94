//! Freezing a run: which assets and packages it carries, their groups, and the waves the
//! rollout planner gives them. A frozen run is what a PatchRun's spec records.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Member, NamedOpening, PolicyRules, Verdict};
use crate::approval::UpgradeCandidate;
use crate::rollout::{CanaryHint, PlanAsset, RolloutPlan, plan_rollout_with};
use crate::sla::epss_permille;

/// Why a run exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RunTrigger {
    /// Planned into a maintenance window.
    #[default]
    Scheduled,
    /// Started outside the windows for a KEV-listed finding.
    KnownExploited,
    /// Started outside the windows because an SLA deadline would pass first.
    SlaBreach,
    /// Started outside the windows for a finding whose EPSS score is above the threshold.
    EpssAbove,
    /// Started outside the windows for an asset reported compromised.
    Compromised,
    /// Written by a person ("patch now").
    Manual,
}

impl RunTrigger {
    /// Every trigger, in declaration order.
    pub const ALL: [RunTrigger; 6] = [
        RunTrigger::Scheduled,
        RunTrigger::KnownExploited,
        RunTrigger::SlaBreach,
        RunTrigger::EpssAbove,
        RunTrigger::Compromised,
        RunTrigger::Manual,
    ];

    /// The name written in a PatchRun's spec.
    pub fn as_str(self) -> &'static str {
        match self {
            RunTrigger::Scheduled => "Scheduled",
            RunTrigger::KnownExploited => "KnownExploited",
            RunTrigger::SlaBreach => "SlaBreach",
            RunTrigger::EpssAbove => "EpssAbove",
            RunTrigger::Compromised => "Compromised",
            RunTrigger::Manual => "Manual",
        }
    }
}

/// One asset of a frozen run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrozenAsset {
    pub name: String,
    /// Its `maxUnavailable` pool: the first of the policy's groups it belongs to.
    pub group: String,
    pub packages: Vec<Arc<UpgradeCandidate>>,
}

/// A run as the policy would freeze it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrozenRun {
    pub trigger: RunTrigger,
    /// The window it is planned into; none for an out-of-window emergency.
    pub window: Option<NamedOpening>,
    pub assets: Vec<FrozenAsset>,
    /// Canary, waves and limits per group.
    pub plan: RolloutPlan,
}

/// The scheduled run: every member with approved patches, all of them.
pub(super) fn freeze(
    rules: &PolicyRules,
    members: &[Member],
    verdicts: &[Verdict],
    trigger: RunTrigger,
    window: Option<NamedOpening>,
) -> Option<FrozenRun> {
    let assets: Vec<(&Member, Vec<Arc<UpgradeCandidate>>)> = members
        .iter()
        .zip(verdicts)
        .filter(|(_, verdict)| !verdict.approved.is_empty())
        .map(|(member, verdict)| (member, verdict.approved.clone()))
        .collect();
    build(rules, assets, trigger, window)
}

/// An out-of-window run for the named members: for `KnownExploited` only their KEV-listed
/// fixes, for `EpssAbove` only the fixes of findings above the threshold, otherwise every
/// approved fix.
pub(super) fn freeze_emergency(
    rules: &PolicyRules,
    members: &[Member],
    verdicts: &[Verdict],
    names: &[&str],
    trigger: RunTrigger,
) -> Option<FrozenRun> {
    let assets: Vec<(&Member, Vec<Arc<UpgradeCandidate>>)> = members
        .iter()
        .zip(verdicts)
        .filter(|(member, _)| names.contains(&member.name.as_str()))
        .map(|(member, verdict)| {
            let packages = verdict
                .approved
                .iter()
                .filter(|c| urgent(rules, member, c, trigger))
                .cloned()
                .collect();
            (member, packages)
        })
        .collect();
    build(rules, assets, trigger, None)
}

/// Whether an emergency run of `trigger` carries `candidate` of `member`.
fn urgent(
    rules: &PolicyRules,
    member: &Member,
    candidate: &UpgradeCandidate,
    trigger: RunTrigger,
) -> bool {
    match trigger {
        RunTrigger::KnownExploited => candidate.known_exploited,
        RunTrigger::EpssAbove => {
            let threshold = epss_permille(rules.epss_threshold);
            member.epss.iter().any(|(package, _, p)| {
                package == &candidate.package && epss_permille(*p) > threshold
            })
        }
        RunTrigger::Scheduled
        | RunTrigger::SlaBreach
        | RunTrigger::Compromised
        | RunTrigger::Manual => true,
    }
}

fn build(
    rules: &PolicyRules,
    assets: Vec<(&Member, Vec<Arc<UpgradeCandidate>>)>,
    trigger: RunTrigger,
    window: Option<NamedOpening>,
) -> Option<FrozenRun> {
    let assets: Vec<(&Member, Vec<Arc<UpgradeCandidate>>)> = assets
        .into_iter()
        .filter(|(_, packages)| !packages.is_empty())
        .collect();
    if assets.is_empty() {
        return None;
    }
    let plan_assets: Vec<PlanAsset> = assets
        .iter()
        .map(|(member, _)| PlanAsset {
            name: member.name.clone(),
            group: Some(member.group.clone()),
            risk: crate::threats::rollout_priority(member.risk, member.compromised.is_some()),
            estimated_duration: member.estimated_duration,
        })
        .collect();
    // The canary wave covers the members' profiles, those that failed before first.
    let hints: BTreeMap<String, CanaryHint> = assets
        .iter()
        .filter_map(|(member, _)| Some((member.name.clone(), member.canary_hint.clone()?)))
        .collect();
    let plan = plan_rollout_with(&rules.key, &plan_assets, &rules.rollout, &hints);
    Some(FrozenRun {
        trigger,
        window,
        assets: assets
            .into_iter()
            .map(|(member, packages)| FrozenAsset {
                name: member.name.clone(),
                group: member.group.clone(),
                packages,
            })
            .collect(),
        plan,
    })
}
