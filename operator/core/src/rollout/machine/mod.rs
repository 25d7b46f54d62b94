//! The rollout state machine: given a frozen plan, the run's persisted status, what the executors
//! report about each operation, and `now`, decide what happens next.
//!
//! Idempotency: every asset step has an operation id derived from the run, the asset and the
//! step. A step is recorded in the status (`Patching`, `Rebooting`, `Verifying`, `RollingBack`)
//! in the same decision that asks for it, and the controller persists the status before it acts.
//! After a crash, the controller reports the operation as `Absent` if it never reached the
//! executor; the machine then asks for the same operation again (same id, so an executor that
//! did see it runs it once; a reboot compares the boot id recorded before it). A step that never started and may no longer start (the window closed, the run
//! halted) goes back to `Pending`. Conversely, when a status write was lost and the executor
//! already knows an asset's operation, the machine adopts and observes it instead of asking for
//! it again.

use chrono::{DateTime, Utc};

use super::plan::RolloutPlan;

mod action;
mod node;
mod observations;
mod observe;
mod progress;
mod status;

pub use action::{Action, Decision};
pub use node::{
    NodeAction, NodeDecision, NodeFacts, NodeOutcome, NodePhase, NodeSettings, PatchState,
    RebootLock, step_node,
};
pub use observations::{Observations, OperationState, StartGate, Step, operation_id};
pub use status::{AssetProgress, AssetState, HaltReason, PauseReason, RunPhase, RunStatus};

/// One decision in the making: the inputs, and the status and actions so far.
struct Decider<'a> {
    plan: &'a RolloutPlan,
    observations: &'a Observations,
    now: DateTime<Utc>,
    status: RunStatus,
    actions: Vec<Action>,
    may_start: Option<bool>,
}

/// Decides the next step of a run. Pure and deterministic: the same inputs give the same
/// decision, so a decision lost in a crash is made again.
pub fn decide(
    plan: &RolloutPlan,
    status: &RunStatus,
    observations: &Observations,
    now: DateTime<Utc>,
) -> Decision {
    let mut decider = Decider {
        plan,
        observations,
        now,
        status: status.clone(),
        actions: Vec::new(),
        may_start: None,
    };
    if decider.status.finished_at.is_some() {
        return Decision {
            actions: Vec::new(),
            status: decider.status,
            requeue_at: None,
        };
    }
    decider.status.started_at.get_or_insert(now);
    decider.observe();
    decider.check_halt();
    decider.progress();
    decider.finish_decision()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_written_and_read_by_their_names() {
        // The match fails to compile when a phase is added: give it its place in `ALL`.
        let position = |phase: RunPhase| match phase {
            RunPhase::Pending => 0,
            RunPhase::Running => 1,
            RunPhase::Paused => 2,
            RunPhase::Succeeded => 3,
            RunPhase::Failed => 4,
            RunPhase::Halted => 5,
        };
        for (i, phase) in RunPhase::ALL.into_iter().enumerate() {
            assert_eq!(position(phase), i);
            let json = serde_json::to_string(&phase).expect("serializes");
            assert_eq!(json, format!("\"{phase}\""));
            assert_eq!(serde_json::from_str::<RunPhase>(&json).ok(), Some(phase));
        }
        assert_eq!(RunPhase::default(), RunPhase::Pending);
    }
}
