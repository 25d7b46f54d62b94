//! The one evaluation of a patch policy. The PatchPolicy controller calls it to decide what to
//! write and whether to start a run; `plan` calls it for the base and the head revision and
//! renders the difference. Nothing about a policy's meaning is decided anywhere else.
//!
//! Input: the compiled rules, the members of the policy's groups with their upgrade candidates,
//! the windows, the policy's runs and `now`. Output: per-member approval with reasons,
//! compliance, the window standing, SLA forecasts, emergencies, and the decision — the run to
//! freeze (assets, packages, groups, waves) or why none starts.

mod decide;
mod evaluation;
mod freeze;
mod held_back;
mod input;
mod membership;
mod runs;
mod sla_classes;
mod window_fit;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::approval::{ApprovalOutcome, HeldBack, HoldReason, UpgradeCandidate};
use crate::index::fx::FxSet;
use crate::sla::{self, SlaFinding};
use crate::window::{self, WindowDefinition};

pub use decide::emergency_trigger;
pub use evaluation::{
    AssetEmergency, AssetForecast, Compliance, Decision, HoldCause, PolicyEvaluation, Verdict,
};
pub use freeze::{FrozenAsset, FrozenRun, RunTrigger};
pub use held_back::held_back_note;
pub use input::{Member, NamedOpening, NamedWindow, PolicyInput, PolicyRules};
pub use membership::is_member;
pub use runs::{RunRecord, RunStanding};
pub use sla_classes::{SLA_HORIZON, SlaClassForecast, SlaFeasibility, sla_class_forecasts};

/// Evaluates a policy. Pure: the same input gives the same evaluation.
pub fn evaluate(input: &PolicyInput<'_>) -> PolicyEvaluation {
    let rules = input.rules;
    let now = input.now;
    let verdicts: Vec<Verdict> = input
        .members
        .iter()
        .map(|member| {
            let outcome = match &member.suspended {
                Some(reason) => suspended_outcome(&member.candidates, reason),
                None => rules.approval.approve(&member.candidates, now),
            };
            Verdict {
                name: member.name.clone(),
                group: member.group.clone(),
                approved: outcome.approved,
                held_back: outcome.held_back,
                failing: member.failing,
            }
        })
        .collect();
    let definitions: Vec<WindowDefinition> =
        input.windows.iter().map(|w| w.definition.clone()).collect();
    let open_window = open_window(input.windows, now);
    let next_window = open_window
        .clone()
        .or_else(|| next_opening(input.windows, now));
    let next_start = window::next_start_opportunity(&definitions, now);

    let (sla_forecasts, emergencies) =
        deadlines_and_emergencies(rules, input.members, &verdicts, &definitions, now);
    let scheduled_run = freeze::freeze(
        rules,
        input.members,
        &verdicts,
        RunTrigger::Scheduled,
        next_window.clone(),
    );
    let runs = runs::standing(input.runs, input.generation, input.requested_at);
    let decision = decide::decide(
        input,
        &verdicts,
        &emergencies,
        open_window.as_ref(),
        next_window.as_ref(),
        next_start,
        &scheduled_run,
        &runs,
    );
    PolicyEvaluation {
        compliance: Compliance::of(&verdicts),
        verdicts,
        open_window,
        next_window,
        next_start,
        sla_forecasts,
        emergencies,
        scheduled_run,
        runs,
        decision,
    }
}

/// Every candidate of a suspended member, held back with the suspension's reason.
fn suspended_outcome(candidates: &[Arc<UpgradeCandidate>], reason: &str) -> ApprovalOutcome {
    ApprovalOutcome {
        approved: Vec::new(),
        held_back: candidates
            .iter()
            .map(|candidate| HeldBack {
                candidate: candidate.clone(),
                reason: HoldReason::Suspended {
                    reason: reason.to_string(),
                },
            })
            .collect(),
    }
}

/// Why an asset is not patched: it is suspended, or its group (named) is; `None` when neither.
pub fn suspension_reason(asset_suspended: bool, suspended_group: Option<&str>) -> Option<String> {
    match (asset_suspended, suspended_group) {
        (true, _) => Some(String::from("the Asset is suspended")),
        (false, Some(group)) => Some(format!("its AssetGroup {group} is suspended")),
        (false, None) => None,
    }
}

/// The at-risk SLA forecasts (earliest deadline first) and the emergencies of the members
/// with approved patches.
fn deadlines_and_emergencies(
    rules: &PolicyRules,
    members: &[Member],
    verdicts: &[Verdict],
    windows: &[WindowDefinition],
    now: DateTime<Utc>,
) -> (Vec<AssetForecast>, Vec<AssetEmergency>) {
    let mut forecasts = Vec::new();
    let mut emergencies = Vec::new();
    for (member, verdict) in members.iter().zip(verdicts) {
        if verdict.approved.is_empty() {
            continue;
        }
        // Fx, not SipHash: short package names, hashed per member and evaluation.
        let approved: FxSet<&str> = verdict
            .approved
            .iter()
            .map(|c| c.package.as_str())
            .collect();
        let findings = approved_findings(member, &approved);
        let forecast = sla::forecast(&rules.sla, &findings, windows, now);
        let known_exploited: Vec<&str> = verdict
            .approved
            .iter()
            .filter(|c| c.known_exploited)
            .map(|c| c.cve_ids.first().map_or(c.package.as_str(), String::as_str))
            .collect();
        if let Some(reason) = emergency(rules, member, &approved, &known_exploited, &forecast) {
            emergencies.push(AssetEmergency {
                asset: member.name.clone(),
                reason,
            });
        }
        if forecast.is_at_risk() {
            forecasts.push(AssetForecast {
                asset: member.name.clone(),
                forecast,
            });
        }
    }
    forecasts.sort_by_key(|f| f.forecast.deadline().map(|d| d.at));
    (forecasts, emergencies)
}

/// Why a member may start out of window: a compromise first, then a KEV fix, then an EPSS
/// score above the threshold, then an SLA breach.
fn emergency(
    rules: &PolicyRules,
    member: &Member,
    approved: &FxSet<&str>,
    known_exploited: &[&str],
    forecast: &sla::Forecast,
) -> Option<sla::EmergencyReason> {
    if let Some(reason) = crate::threats::compromise_emergency(&rules.emergency, member) {
        return Some(reason);
    }
    let declared = sla::emergency_reason(&rules.emergency, known_exploited, forecast);
    if matches!(declared, Some(sla::EmergencyReason::KnownExploited { .. })) {
        return declared;
    }
    let scores: Vec<(&str, f64)> = member
        .epss
        .iter()
        .filter(|(package, _, _)| approved.contains(package.as_str()))
        .map(|(_, id, p)| (id.as_str(), *p))
        .collect();
    sla::epss_emergency(&rules.emergency, rules.epss_threshold, &scores).or(declared)
}

/// The findings a member's approved upgrades (by package) fix.
fn approved_findings(member: &Member, approved: &FxSet<&str>) -> Vec<SlaFinding> {
    member
        .findings
        .iter()
        .filter(|f| approved.contains(f.package.as_str()))
        .map(|f| f.finding.clone())
        .collect()
}

/// The first of the windows (in the policy's order) that lets work start now.
fn open_window(windows: &[NamedWindow], now: DateTime<Utc>) -> Option<NamedOpening> {
    windows.iter().find_map(|w| {
        window::current_opening(&w.definition, now)
            .filter(|o| o.may_start_at(now))
            .map(|opening| NamedOpening {
                window: w.name.clone(),
                opening,
            })
    })
}

/// The earliest next opening of any of the windows.
fn next_opening(windows: &[NamedWindow], now: DateTime<Utc>) -> Option<NamedOpening> {
    windows
        .iter()
        .filter_map(|w| {
            window::next_openings(&w.definition, now, 1)
                .into_iter()
                .next()
                .map(|opening| NamedOpening {
                    window: w.name.clone(),
                    opening,
                })
        })
        .min_by_key(|o| o.opening.opens_at)
}

#[cfg(test)]
mod tests;
