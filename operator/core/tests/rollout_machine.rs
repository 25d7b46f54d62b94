//! The rollout state machine, step by step through the situations a run meets.

use chrono::{DateTime, TimeDelta, Utc};
use patchwarden_core::rollout::{
    Action, AssetState, Observations, OperationState, PauseReason, PlanAsset, RolloutPlan,
    RolloutSettings, RunPhase, RunStatus, StartGate, Step, decide, operation_id, plan_rollout,
};
use patchwarden_core::window::WindowDefinition;
use patchwarden_core::{CountOrPercent, Duration};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test time")
        .with_timezone(&Utc)
}

fn plan(n: usize, settings: RolloutSettings) -> RolloutPlan {
    let assets: Vec<PlanAsset> = (0..n)
        .map(|i| PlanAsset {
            name: format!("node-{i}"),
            group: None,
            risk: (n - i) as f64,
            estimated_duration: None,
        })
        .collect();
    let mut plan = plan_rollout("prod/nodes", &assets, &settings);
    plan.run_id = "run-1".into();
    plan
}

fn observations(ops: &[(&str, &str, Step, OperationState)]) -> Observations {
    Observations {
        operations: ops
            .iter()
            .map(|(run, asset, step, state)| (operation_id(run, asset, *step), state.clone()))
            .collect(),
        gate: StartGate::Anytime,
        emergency: None,
        suspended: false,
        skipped_assets: Default::default(),
    }
}

fn lines(actions: &[Action]) -> Vec<String> {
    actions.iter().map(ToString::to_string).collect()
}

#[test]
fn canary_then_a_wave_then_complete() {
    let p = plan(
        3,
        RolloutSettings {
            canary: Some(CountOrPercent::Count(1)),
            max_unavailable: CountOrPercent::Count(2),
            ..RolloutSettings::default()
        },
    );
    let t = utc("2026-06-07T02:00:00Z");
    let status = RunStatus::new(&p);
    let d = decide(&p, &status, &observations(&[]), t);
    assert_eq!(
        lines(&d.actions),
        vec!["start patching node-0 (operation run-1/node-0/patch)"]
    );
    assert_eq!(d.status.phase, RunPhase::Running);
    assert_eq!(d.requeue_at, Some(t + TimeDelta::seconds(15)));

    // Still running: nothing new, nothing re-sent.
    let running = observations(&[("run-1", "node-0", Step::Patch, OperationState::Running)]);
    let d = decide(&p, &d.status, &running, t + TimeDelta::minutes(1));
    assert!(d.actions.is_empty());

    let patched = observations(&[("run-1", "node-0", Step::Patch, OperationState::Succeeded)]);
    let d = decide(&p, &d.status, &patched, t + TimeDelta::minutes(5));
    assert_eq!(
        lines(&d.actions),
        vec!["verify node-0: re-inventory and health checks (operation run-1/node-0/verify)"]
    );
    let verified = observations(&[
        ("run-1", "node-0", Step::Patch, OperationState::Succeeded),
        ("run-1", "node-0", Step::Verify, OperationState::Succeeded),
    ]);
    let d = decide(&p, &d.status, &verified, t + TimeDelta::minutes(6));
    assert_eq!(
        lines(&d.actions),
        vec![
            "start patching node-1 (operation run-1/node-1/patch)",
            "start patching node-2 (operation run-1/node-2/patch)"
        ]
    );
    let mut all = verified.clone();
    for asset in ["node-1", "node-2"] {
        for step in [Step::Patch, Step::Verify] {
            all.operations.insert(
                operation_id("run-1", asset, step),
                OperationState::Succeeded,
            );
        }
    }
    let d = decide(&p, &d.status, &all, t + TimeDelta::minutes(10));
    // Patches observed done: verifications start.
    assert_eq!(d.actions.len(), 2);
    let d = decide(&p, &d.status, &all, t + TimeDelta::minutes(11));
    assert_eq!(
        lines(&d.actions),
        vec!["run finished Succeeded: 3 assets succeeded, 0 failed"]
    );
    assert_eq!(d.status.phase, RunPhase::Succeeded);
    assert_eq!(d.requeue_at, None);
    // A finished run stays finished.
    let again = decide(&p, &d.status, &all, t + TimeDelta::minutes(12));
    assert!(again.actions.is_empty());
    assert_eq!(again.status, d.status);
}

#[test]
fn outside_the_window_it_pauses_until_the_next_start() {
    let p = plan(2, RolloutSettings::default());
    let window = WindowDefinition::parse("0 2 * * SUN", "Europe/Berlin", Duration::from_hours(3))
        .expect("window");
    let mut obs = observations(&[]);
    obs.gate = StartGate::Windows(vec![window]);
    let t = utc("2026-06-03T12:00:00Z");
    let d = decide(&p, &RunStatus::new(&p), &obs, t);
    assert_eq!(
        lines(&d.actions),
        vec![
            "outside the maintenance window (or past its cutoff); the next wave may start 2026-06-07 00:00:00 UTC"
        ]
    );
    assert_eq!(d.status.phase, RunPhase::Pending);
    assert_eq!(d.requeue_at, Some(utc("2026-06-07T00:00:00Z")));
    // Deciding again while waiting does not repeat the pause action.
    let again = decide(&p, &d.status, &obs, t + TimeDelta::hours(1));
    assert!(again.actions.is_empty());
    // In the window it starts.
    let open = decide(&p, &again.status, &obs, utc("2026-06-07T00:00:00Z"));
    assert_eq!(open.actions.len(), 1);
    assert!(matches!(open.actions[0], Action::StartAsset { .. }));
}

#[test]
fn an_emergency_starts_out_of_window() {
    use patchwarden_core::sla::EmergencyReason;
    let p = plan(1, RolloutSettings::default());
    let mut obs = observations(&[]);
    obs.gate = StartGate::Windows(Vec::new());
    obs.emergency = Some(EmergencyReason::KnownExploited {
        finding: "CVE-2026-1".into(),
    });
    let d = decide(&p, &RunStatus::new(&p), &obs, utc("2026-06-03T12:00:00Z"));
    assert!(matches!(d.actions[0], Action::StartAsset { .. }));
}

#[test]
fn failures_roll_back_and_halt_after_max_failures() {
    let p = plan(
        4,
        RolloutSettings {
            max_unavailable: CountOrPercent::Count(2),
            max_failures: CountOrPercent::Count(1),
            rollback_on_failure: true,
            ..RolloutSettings::default()
        },
    );
    let t = utc("2026-06-07T02:00:00Z");
    let d = decide(&p, &RunStatus::new(&p), &observations(&[]), t);
    assert_eq!(d.actions.len(), 2);
    let failed = |m: &str| OperationState::Failed {
        message: m.to_string(),
    };
    let obs = observations(&[
        (
            "run-1",
            "node-0",
            Step::Patch,
            failed("dpkg: error processing package libc6"),
        ),
        ("run-1", "node-1", Step::Patch, OperationState::Succeeded),
    ]);
    let d = decide(&p, &d.status, &obs, t + TimeDelta::minutes(5));
    assert_eq!(
        lines(&d.actions),
        vec![
            "roll node-0 back to its recorded versions (operation run-1/node-0/rollback)",
            "verify node-1: re-inventory and health checks (operation run-1/node-1/verify)"
        ]
    );
    assert_eq!(d.status.failed, 1);
    assert_eq!(d.status.halted, None, "one failure is within maxFailures 1");
    assert_eq!(
        d.status.assets["node-0"].message.as_deref(),
        Some("dpkg: error processing package libc6")
    );

    let mut obs = obs.clone();
    obs.operations.insert(
        operation_id("run-1", "node-0", Step::RollBack),
        OperationState::Running,
    );
    obs.operations.insert(
        operation_id("run-1", "node-1", Step::Verify),
        failed("health check http://localhost/healthz returned 503"),
    );
    let d = decide(&p, &d.status, &obs, t + TimeDelta::minutes(6));
    assert_eq!(
        lines(&d.actions),
        vec![
            "roll node-1 back to its recorded versions (operation run-1/node-1/rollback)",
            "halt the run: 2 assets failed, more than maxFailures allows (1)"
        ]
    );
    assert_eq!(d.status.phase, RunPhase::Halted);
    obs.operations.insert(
        operation_id("run-1", "node-0", Step::RollBack),
        OperationState::Succeeded,
    );
    obs.operations.insert(
        operation_id("run-1", "node-1", Step::RollBack),
        failed("apt: version 1.0-1 no longer available"),
    );
    let d = decide(&p, &d.status, &obs, t + TimeDelta::minutes(8));
    assert_eq!(
        lines(&d.actions),
        vec!["run finished Halted: 0 assets succeeded, 2 failed"]
    );
    assert_eq!(d.status.assets["node-0"].state, AssetState::RolledBack);
    assert_eq!(d.status.assets["node-1"].state, AssetState::RollbackFailed);
    assert_eq!(d.status.assets["node-2"].state, AssetState::Pending);
}

#[test]
fn a_failed_canary_halts_the_run() {
    let p = plan(
        3,
        RolloutSettings {
            canary: Some(CountOrPercent::Count(1)),
            max_failures: CountOrPercent::Count(5),
            ..RolloutSettings::default()
        },
    );
    let t = utc("2026-06-07T02:00:00Z");
    let d = decide(&p, &RunStatus::new(&p), &observations(&[]), t);
    let obs = observations(&[(
        "run-1",
        "node-0",
        Step::Patch,
        OperationState::Failed {
            message: "postinst failed".into(),
        },
    )]);
    let d = decide(&p, &d.status, &obs, t + TimeDelta::minutes(3));
    assert_eq!(
        lines(&d.actions),
        vec![
            "halt the run: canary node-0 failed, so no further wave starts",
            "run finished Halted: 0 assets succeeded, 1 failed"
        ]
    );
}

#[test]
fn after_a_crash_the_recorded_step_is_asked_for_again_with_the_same_id() {
    let p = plan(1, RolloutSettings::default());
    let t = utc("2026-06-07T02:00:00Z");
    let first = decide(&p, &RunStatus::new(&p), &observations(&[]), t);
    // The status was persisted, then the process died before the executor saw the start.
    let persisted: RunStatus =
        serde_json::from_str(&serde_json::to_string(&first.status).expect("json")).expect("json");
    let again = decide(
        &p,
        &persisted,
        &observations(&[]),
        t + TimeDelta::seconds(30),
    );
    assert_eq!(again.actions, first.actions);
    assert_eq!(again.status.assets, first.status.assets);
}

#[test]
fn a_recorded_start_that_never_ran_goes_back_when_the_window_has_closed() {
    let p = plan(1, RolloutSettings::default());
    let window = WindowDefinition::parse("0 2 * * *", "UTC", Duration::from_hours(1)).expect("w");
    let mut obs = observations(&[]);
    obs.gate = StartGate::Windows(vec![window]);
    let first = decide(&p, &RunStatus::new(&p), &obs, utc("2026-06-07T02:30:00Z"));
    assert_eq!(first.status.assets["node-0"].state, AssetState::Patching);
    let later = decide(&p, &first.status, &obs, utc("2026-06-07T05:00:00Z"));
    assert_eq!(later.status.assets["node-0"].state, AssetState::Pending);
    assert!(matches!(
        later.actions.as_slice(),
        [Action::PauseUntil {
            reason: PauseReason::OutsideWindow { .. }
        }]
    ));
}

#[test]
fn waves_pause_between_each_other_and_suspend_stops_new_work() {
    let p = plan(
        2,
        RolloutSettings {
            pause_between_waves: Duration::from_mins(20),
            ..RolloutSettings::default()
        },
    );
    let t = utc("2026-06-07T02:00:00Z");
    let d = decide(&p, &RunStatus::new(&p), &observations(&[]), t);
    let done = observations(&[
        ("run-1", "node-0", Step::Patch, OperationState::Succeeded),
        ("run-1", "node-0", Step::Verify, OperationState::Succeeded),
    ]);
    let d = decide(&p, &d.status, &done, t + TimeDelta::minutes(5));
    let d = decide(&p, &d.status, &done, t + TimeDelta::minutes(6));
    assert_eq!(
        lines(&d.actions),
        vec!["pausing between waves until 2026-06-07 02:26:00 UTC"]
    );
    assert_eq!(d.status.phase, RunPhase::Paused);
    assert_eq!(d.requeue_at, Some(utc("2026-06-07T02:26:00Z")));
    let mut suspended = done.clone();
    suspended.suspended = true;
    let d = decide(&p, &d.status, &suspended, t + TimeDelta::minutes(30));
    assert_eq!(
        lines(&d.actions),
        vec!["suspended; nothing new starts until resumed"]
    );
    let d = decide(&p, &d.status, &done, t + TimeDelta::minutes(31));
    assert_eq!(
        lines(&d.actions),
        vec!["start patching node-1 (operation run-1/node-1/patch)"]
    );
}

#[test]
fn an_operation_the_executor_already_has_is_adopted_not_started_again() {
    let p = plan(1, RolloutSettings::default());
    let t = utc("2026-06-07T02:00:00Z");
    // The status write after the start was lost, but the executor has the operation.
    let obs = observations(&[("run-1", "node-0", Step::Patch, OperationState::Running)]);
    let d = decide(&p, &RunStatus::new(&p), &obs, t);
    assert!(d.actions.is_empty(), "{:?}", d.actions);
    assert_eq!(d.status.assets["node-0"].state, AssetState::Patching);
    let done = observations(&[("run-1", "node-0", Step::Patch, OperationState::Succeeded)]);
    let d = decide(&p, &d.status, &done, t + TimeDelta::minutes(2));
    assert!(matches!(d.actions.as_slice(), [Action::VerifyAsset { .. }]));
}

#[test]
fn without_any_window_it_says_none_opens() {
    let p = plan(1, RolloutSettings::default());
    let mut obs = observations(&[]);
    obs.gate = StartGate::Windows(Vec::new());
    let d = decide(&p, &RunStatus::new(&p), &obs, utc("2026-06-03T12:00:00Z"));
    assert_eq!(
        lines(&d.actions),
        vec!["outside the maintenance window, and no window opens in the next two years"]
    );
    assert_eq!(d.requeue_at, None);
}

#[test]
fn a_suspended_run_finishes_assets_in_flight_starts_none_and_resumes_when_unsuspended() {
    let p = plan(
        3,
        RolloutSettings {
            canary: Some(CountOrPercent::Count(1)),
            max_unavailable: CountOrPercent::Count(2),
            ..RolloutSettings::default()
        },
    );
    let t = utc("2026-06-07T02:00:00Z");
    let d = decide(&p, &RunStatus::new(&p), &observations(&[]), t);
    assert_eq!(d.status.assets["node-0"].state, AssetState::Patching);
    // Suspended while the canary is being patched: its verification still runs.
    let mut patched = observations(&[("run-1", "node-0", Step::Patch, OperationState::Succeeded)]);
    patched.suspended = true;
    let d = decide(&p, &d.status, &patched, t + TimeDelta::minutes(1));
    assert_eq!(
        lines(&d.actions),
        vec!["verify node-0: re-inventory and health checks (operation run-1/node-0/verify)"]
    );
    let mut verified = observations(&[
        ("run-1", "node-0", Step::Patch, OperationState::Succeeded),
        ("run-1", "node-0", Step::Verify, OperationState::Succeeded),
    ]);
    verified.suspended = true;
    let d = decide(&p, &d.status, &verified, t + TimeDelta::minutes(2));
    // The canary is done, and no asset of the next wave starts.
    assert_eq!(d.status.assets["node-0"].state, AssetState::Succeeded);
    assert_eq!(
        lines(&d.actions),
        vec!["suspended; nothing new starts until resumed"]
    );
    assert_eq!(d.status.phase, RunPhase::Paused);
    assert_eq!(d.status.count(AssetState::Pending), 2);
    let d = decide(&p, &d.status, &verified, t + TimeDelta::minutes(3));
    assert!(d.actions.is_empty(), "{:?}", d.actions);
    // Unsuspended: the next wave starts.
    verified.suspended = false;
    let d = decide(&p, &d.status, &verified, t + TimeDelta::minutes(4));
    assert_eq!(
        lines(&d.actions),
        vec![
            "start patching node-1 (operation run-1/node-1/patch)",
            "start patching node-2 (operation run-1/node-2/patch)"
        ]
    );
    assert_eq!(d.status.phase, RunPhase::Running);
}

#[test]
fn a_suspended_asset_is_skipped_with_its_reason_and_the_run_goes_on() {
    let p = plan(
        3,
        RolloutSettings {
            canary: Some(CountOrPercent::Count(1)),
            max_unavailable: CountOrPercent::Count(2),
            ..RolloutSettings::default()
        },
    );
    let t = utc("2026-06-07T02:00:00Z");
    let skip = |mut obs: Observations| {
        obs.skipped_assets
            .insert("node-0".into(), "the Asset is suspended".into());
        obs.skipped_assets
            .insert("node-2".into(), "its AssetGroup g is suspended".into());
        obs
    };
    // The canary is suspended: it is skipped, and the next wave starts without it.
    let d = decide(&p, &RunStatus::new(&p), &skip(observations(&[])), t);
    assert_eq!(d.status.assets["node-0"].state, AssetState::Skipped);
    assert_eq!(
        d.status.assets["node-0"].message.as_deref(),
        Some("the Asset is suspended")
    );
    assert_eq!(
        lines(&d.actions),
        vec!["start patching node-1 (operation run-1/node-1/patch)"]
    );
    assert_eq!(d.status.assets["node-2"].state, AssetState::Skipped);
    let done = skip(observations(&[
        ("run-1", "node-1", Step::Patch, OperationState::Succeeded),
        ("run-1", "node-1", Step::Verify, OperationState::Succeeded),
    ]));
    let d = decide(&p, &d.status, &done, t + TimeDelta::minutes(1));
    let d = decide(&p, &d.status, &done, t + TimeDelta::minutes(2));
    assert_eq!(d.status.phase, RunPhase::Succeeded);
    assert_eq!(d.status.count(AssetState::Skipped), 2);
    assert_eq!(d.status.count(AssetState::Succeeded), 1);
}
