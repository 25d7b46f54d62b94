//! The decision: start the scheduled run inside a window, an emergency run out of one, wait
//! for a window, or hold, with the reason.

use chrono::{DateTime, Utc};

use super::freeze;
use super::{
    AssetEmergency, Decision, FrozenRun, HoldCause, NamedOpening, PolicyInput, RunStanding,
    RunTrigger, Verdict,
};
use crate::sla::EmergencyReason;

/// The trigger of the run an emergency starts.
pub fn emergency_trigger(reason: &EmergencyReason) -> RunTrigger {
    match reason {
        EmergencyReason::KnownExploited { .. } => RunTrigger::KnownExploited,
        EmergencyReason::SlaBreach { .. } => RunTrigger::SlaBreach,
        EmergencyReason::EpssAbove { .. } => RunTrigger::EpssAbove,
        EmergencyReason::Compromised { .. } => RunTrigger::Compromised,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn decide(
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
        // Only the waves that finish before the window closes; the rest wait for the next.
        let run = super::window_fit::fit_to_window(rules, scheduled.clone(), open, input.now);
        return Decision::Start { run };
    }
    // Out of window: compromised assets first (all approved), then KEV fixes (only those
    // packages), then fixes of findings above the EPSS threshold (only those packages), then
    // SLA breaches (all approved).
    for trigger in [
        RunTrigger::Compromised,
        RunTrigger::KnownExploited,
        RunTrigger::EpssAbove,
        RunTrigger::SlaBreach,
    ] {
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
