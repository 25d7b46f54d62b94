//! The start deadline of a run: a run that has not started its first wave by then does not
//! start, and says why; one that started before it goes on.

use chrono::{DateTime, TimeDelta, Utc};
use patchwarden_core::Duration;
use patchwarden_core::rollout::{
    Action, HaltReason, Observations, OperationState, PlanAsset, RolloutPlan, RolloutSettings,
    RunPhase, RunStatus, StartGate, Step, decide, operation_id, plan_rollout,
};
use patchwarden_core::window::WindowDefinition;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test time")
        .with_timezone(&Utc)
}

fn plan_with_deadline(deadline: &str) -> RolloutPlan {
    let assets: Vec<PlanAsset> = (0..2)
        .map(|i| PlanAsset {
            name: format!("node-{i}"),
            group: None,
            risk: 1.0,
            estimated_duration: None,
        })
        .collect();
    let mut plan = plan_rollout("prod/nodes", &assets, &RolloutSettings::default());
    plan.run_id = "run-1".into();
    plan.start_deadline = Some(utc(deadline));
    plan
}

fn observations(gate: StartGate, ops: &[(&str, OperationState)]) -> Observations {
    Observations {
        operations: ops
            .iter()
            .map(|(asset, state)| (operation_id("run-1", asset, Step::Patch), state.clone()))
            .collect(),
        gate,
        emergency: None,
        suspended: false,
        skipped_assets: Default::default(),
    }
}

#[test]
fn a_run_that_has_not_started_by_its_deadline_halts_without_starting() {
    let plan = plan_with_deadline("2026-06-07T04:30:00Z");
    // The window opens only after the deadline: the run waits, then gives up at the deadline.
    let window =
        WindowDefinition::parse("0 6 * * SUN", "UTC", Duration::from_hours(2)).expect("window");
    let gate = StartGate::Windows(vec![window]);
    let waiting = decide(
        &plan,
        &RunStatus::new(&plan),
        &observations(gate.clone(), &[]),
        utc("2026-06-07T04:00:00Z"),
    );
    assert_eq!(waiting.status.phase, RunPhase::Pending);
    let late = decide(
        &plan,
        &waiting.status,
        &observations(gate, &[]),
        utc("2026-06-07T06:00:00Z"),
    );
    assert!(
        !late
            .actions
            .iter()
            .any(|a| matches!(a, Action::StartAsset { .. })),
        "{:?}",
        late.actions
    );
    assert_eq!(late.status.phase, RunPhase::Halted);
    let reason = late.status.halted.expect("halted");
    assert_eq!(
        reason,
        HaltReason::StartDeadlinePassed {
            deadline: utc("2026-06-07T04:30:00Z")
        }
    );
    assert_eq!(
        reason.to_string(),
        "the start deadline 2026-06-07 04:30:00 UTC passed before the first wave started, so the run does not start"
    );
    assert!(late.status.finished_at.is_some());
}

#[test]
fn a_run_that_started_before_its_deadline_goes_on_after_it() {
    let plan = plan_with_deadline("2026-06-07T04:30:00Z");
    let t = utc("2026-06-07T04:00:00Z");
    let started = decide(
        &plan,
        &RunStatus::new(&plan),
        &observations(StartGate::Anytime, &[]),
        t,
    );
    assert_eq!(started.status.phase, RunPhase::Running);
    let running = observations(StartGate::Anytime, &[("node-0", OperationState::Running)]);
    let later = decide(&plan, &started.status, &running, t + TimeDelta::hours(1));
    assert_eq!(later.status.halted, None);
    assert_eq!(later.status.phase, RunPhase::Running);
}
