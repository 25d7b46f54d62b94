//! The one evaluation of a patch policy. The PatchPolicy controller calls it to decide what to
//! write and whether to start a run; `plan` calls it for the base and the head revision and
//! renders the difference. Nothing about a policy's meaning is decided anywhere else.
//!
//! Input: the compiled rules, the members of the policy's groups with their upgrade candidates,
//! the windows, the policy's runs and `now`. Output: per-member approval with reasons,
//! compliance, the window standing, SLA forecasts, emergencies, and the decision — the run to
//! freeze (assets, packages, groups, waves) or why none starts.

mod freeze;
mod held_back;
mod membership;
mod runs;
mod sla_classes;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::approval::{ApprovalOutcome, ApprovalPolicy, HeldBack, HoldReason, UpgradeCandidate};
use crate::rollout::RolloutSettings;
use crate::sla::{self, EmergencyReason, EmergencyRule, Forecast, SlaFinding, SlaRules};
use crate::window::{self, Opening, WindowDefinition};

pub use freeze::{FrozenAsset, FrozenRun, RunTrigger};
pub use held_back::held_back_note;
pub use membership::is_member;
pub use runs::{RunRecord, RunStanding};
pub use sla_classes::{SLA_HORIZON, SlaClassForecast, SlaFeasibility, sla_class_forecasts};

/// A policy's spec, compiled into core rules.
pub struct PolicyRules {
    /// `namespace/name`: seeds the rollout order so that equal inputs give equal waves.
    pub key: String,
    pub approval: ApprovalPolicy,
    pub sla: SlaRules,
    /// The declared emergency rules (`Never` is resolved here, not by callers).
    pub emergency: Vec<EmergencyRule>,
    pub rollout: RolloutSettings,
    /// `mode: Plan`: evaluate and report, never start a run.
    pub plan_only: bool,
    /// `suspend: true`: no new run starts.
    pub suspended: bool,
}

/// One member asset of the policy's groups, as observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub name: String,
    /// The first of the policy's groups the asset belongs to: its `maxUnavailable` pool.
    pub group: String,
    /// The asset's risk score, riskiest patched first.
    pub risk: f64,
    /// One candidate per fixable package.
    pub candidates: Vec<UpgradeCandidate>,
    /// The findings each candidate fixes, by package, for SLA deadlines.
    pub findings: Vec<(String, SlaFinding)>,
    /// The last patch attempt failed, or the asset is unreachable or quarantined.
    pub failing: bool,
    /// Why the asset is not patched (it or its group is suspended): every candidate is held
    /// back with this reason, so no run plans it.
    pub suspended: Option<String>,
}

/// A maintenance window the policy names, compiled.
#[derive(Debug, Clone)]
pub struct NamedWindow {
    pub name: String,
    pub definition: WindowDefinition,
}

/// An opening of a named window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedOpening {
    pub window: String,
    pub opening: Opening,
}

/// Everything the evaluation reads.
pub struct PolicyInput<'a> {
    pub rules: &'a PolicyRules,
    /// Members with an assessment, each once.
    pub members: &'a [Member],
    /// Members (or groups) whose assessment is not ready yet: no run starts while any is.
    pub unassessed: &'a [String],
    pub windows: &'a [NamedWindow],
    pub runs: &'a [RunRecord],
    /// The policy's generation and its current reconcile request, which a failed run blocks.
    pub generation: Option<i64>,
    pub requested_at: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// One member's standing under the policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub name: String,
    pub group: String,
    pub approved: Vec<UpgradeCandidate>,
    pub held_back: Vec<HeldBack>,
    pub failing: bool,
}

impl Verdict {
    /// Nothing approved is missing and the asset is not failing.
    pub fn compliant(&self) -> bool {
        self.approved.is_empty() && !self.failing
    }
}

/// Compliance counts over the members.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Compliance {
    pub assets: u32,
    pub compliant: u32,
    pub pending: u32,
    pub failed: u32,
    /// Compliant share in percent, one decimal.
    pub percent: f64,
}

impl Compliance {
    fn of(verdicts: &[Verdict]) -> Compliance {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let assets = count(verdicts.len());
        let compliant = count(verdicts.iter().filter(|v| v.compliant()).count());
        let failed = count(verdicts.iter().filter(|v| v.failing).count());
        let percent = if assets == 0 {
            100.0
        } else {
            (f64::from(compliant) * 1000.0 / f64::from(assets)).round() / 10.0
        };
        Compliance {
            assets,
            compliant,
            pending: assets.saturating_sub(compliant).saturating_sub(failed),
            failed,
            percent,
        }
    }
}

/// An asset whose SLA deadline passes, or will pass before a window lets work start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetForecast {
    pub asset: String,
    pub forecast: Forecast,
}

/// An asset that may be patched out of window, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetEmergency {
    pub asset: String,
    pub reason: EmergencyReason,
}

/// The trigger of the run an emergency starts.
fn emergency_trigger(reason: &EmergencyReason) -> RunTrigger {
    match reason {
        EmergencyReason::KnownExploited { .. } => RunTrigger::KnownExploited,
        EmergencyReason::SlaBreach { .. } => RunTrigger::SlaBreach,
    }
}

/// What the policy does now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Decision {
    /// Freeze this run and start it.
    Start { run: FrozenRun },
    /// Approved patches wait for a window; `until` is the next start opportunity, if any.
    WaitForWindow {
        assets: usize,
        window: Option<String>,
        until: Option<DateTime<Utc>>,
    },
    /// No run starts, for this reason.
    Hold { reason: HoldCause },
}

/// Why no run starts although the policy may have approved patches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum HoldCause {
    NothingApproved,
    Suspended,
    PlanOnly,
    Unassessed {
        pending: Vec<String>,
    },
    RunActive {
        run: String,
    },
    /// The last run of this generation and reconcile request failed; a spec change or a
    /// reconcile request retries.
    RetryBlocked {
        run: String,
    },
}

/// The evaluation of one policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyEvaluation {
    pub verdicts: Vec<Verdict>,
    pub compliance: Compliance,
    /// The window open for new work now, if any.
    pub open_window: Option<NamedOpening>,
    /// The open window, or else the earliest next opening.
    pub next_window: Option<NamedOpening>,
    /// The first moment any window lets work start.
    pub next_start: Option<DateTime<Utc>>,
    /// At-risk SLA forecasts of members with approved patches, earliest deadline first.
    pub sla_forecasts: Vec<AssetForecast>,
    /// Members that may be patched out of window under the policy's emergency rules.
    pub emergencies: Vec<AssetEmergency>,
    /// The run a window would freeze now: every approved patch, canary and waves. `plan`
    /// previews it; the controller freezes exactly this run inside a window.
    pub scheduled_run: Option<FrozenRun>,
    pub runs: RunStanding,
    pub decision: Decision,
}

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
    let decision = decide(
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
fn suspended_outcome(candidates: &[UpgradeCandidate], reason: &str) -> ApprovalOutcome {
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
        let findings = approved_findings(member, verdict);
        let forecast = sla::forecast(&rules.sla, &findings, windows, now);
        let known_exploited: Vec<&str> = verdict
            .approved
            .iter()
            .filter(|c| c.known_exploited)
            .map(|c| c.cve_ids.first().map_or(c.package.as_str(), String::as_str))
            .collect();
        if let Some(reason) = sla::emergency_reason(&rules.emergency, &known_exploited, &forecast) {
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

/// The findings a member's approved upgrades fix.
fn approved_findings(member: &Member, verdict: &Verdict) -> Vec<SlaFinding> {
    member
        .findings
        .iter()
        .filter(|(package, _)| verdict.approved.iter().any(|c| &c.package == package))
        .map(|(_, finding)| finding.clone())
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

#[allow(clippy::too_many_arguments)]
fn decide(
    input: &PolicyInput<'_>,
    verdicts: &[Verdict],
    emergencies: &[AssetEmergency],
    open_window: Option<&NamedOpening>,
    next_window: Option<&NamedOpening>,
    next_start: Option<DateTime<Utc>>,
    scheduled_run: &Option<FrozenRun>,
    runs: &RunStanding,
) -> Decision {
    let rules = input.rules;
    let hold = |reason| Decision::Hold { reason };
    if rules.suspended {
        return hold(HoldCause::Suspended);
    }
    if rules.plan_only {
        return hold(HoldCause::PlanOnly);
    }
    let Some(scheduled) = scheduled_run else {
        return hold(HoldCause::NothingApproved);
    };
    if let Some(run) = &runs.active {
        return hold(HoldCause::RunActive { run: run.clone() });
    }
    if let Some(run) = &runs.retry_blocked_by {
        return hold(HoldCause::RetryBlocked { run: run.clone() });
    }
    if !input.unassessed.is_empty() {
        return hold(HoldCause::Unassessed {
            pending: input.unassessed.to_vec(),
        });
    }
    if let Some(open) = open_window {
        let mut run = scheduled.clone();
        run.window = Some(open.clone());
        return Decision::Start { run };
    }
    // Out of window: KEV fixes first (only those packages), then SLA breaches (all approved).
    for trigger in [RunTrigger::KnownExploited, RunTrigger::SlaBreach] {
        let assets: Vec<&str> = emergencies
            .iter()
            .filter(|e| emergency_trigger(&e.reason) == trigger)
            .map(|e| e.asset.as_str())
            .collect();
        if let Some(run) =
            freeze::freeze_emergency(rules, input.members, verdicts, &assets, trigger)
        {
            return Decision::Start { run };
        }
    }
    Decision::WaitForWindow {
        assets: scheduled.assets.len(),
        window: next_window.map(|w| w.window.clone()),
        until: next_start,
    }
}

#[cfg(test)]
mod tests;
