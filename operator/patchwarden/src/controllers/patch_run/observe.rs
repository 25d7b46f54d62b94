//! Observe: what the rollout state machine sees — its own status as persisted on the run,
//! the run's operations in this process's journal, and whether the run is an emergency
//! (which lets it start outside its window).

use std::collections::BTreeMap;

use kube::ResourceExt;
use patchwarden_api::conditions::reason;
use patchwarden_api::patch_run::{PatchRun, RunTrigger};
use patchwarden_core::rollout::{
    self, Observations, OperationState, RolloutPlan, RunStatus, StartGate, Step,
};
use patchwarden_core::sla::{EmergencyReason, Forecast};

use super::ROLLOUT_STATE_ANNOTATION;
use crate::controllers::error::Terminal;
use crate::controllers::operations::Journal;

/// The machine's persisted status of a run, or a fresh one when none was persisted yet. A
/// persisted status that cannot be read is terminal (`InvalidState`): starting again at wave 0
/// could patch assets twice and would lose the audit trail.
pub fn machine_status(run: &PatchRun, plan: &RolloutPlan) -> Result<RunStatus, Terminal> {
    let Some(text) = run.annotations().get(ROLLOUT_STATE_ANNOTATION) else {
        return Ok(RunStatus::new(plan));
    };
    serde_json::from_str(text).map_err(|error| {
        Terminal::new(
            reason::INVALID_STATE,
            format!(
                "metadata.annotations[{ROLLOUT_STATE_ANNOTATION}]: the persisted rollout state cannot be read ({error}); the run does not start again from wave 0"
            ),
        )
    })
}

/// The observations the machine decides on. An operation this process never started reads
/// as absent, so the machine asks for it again after a restart.
pub fn observations(
    journal: &Journal,
    run: &PatchRun,
    plan: &RolloutPlan,
    gate: StartGate,
) -> Observations {
    let mut operations = BTreeMap::new();
    for asset in plan.groups.keys() {
        for step in [Step::Patch, Step::Verify, Step::RollBack] {
            let id = rollout::operation_id(&plan.run_id, asset, step);
            let state = journal.state(&id);
            if state != OperationState::Absent {
                operations.insert(id, state);
            }
        }
    }
    Observations {
        operations,
        gate,
        emergency: emergency(run),
        suspended: run.spec.suspend,
    }
}

/// Why the run may start outside its window, from the trigger the policy planned it for.
fn emergency(run: &PatchRun) -> Option<EmergencyReason> {
    let fixes = || {
        run.spec
            .assets
            .iter()
            .flat_map(|a| a.packages.iter().flat_map(|p| p.fixes.iter()))
            .next()
            .cloned()
            .unwrap_or_default()
    };
    match run.spec.trigger {
        RunTrigger::KnownExploited => Some(EmergencyReason::KnownExploited { finding: fixes() }),
        // The policy planned it because a deadline passes before the next window.
        RunTrigger::SlaBreach => Some(EmergencyReason::SlaBreach {
            forecast: Forecast::NoDeadline,
        }),
        _ => None,
    }
}
