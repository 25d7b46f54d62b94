//! The reboot step of the rollout state machine: after a successful install, a plan that may
//! reboot moves the asset to `Rebooting` before verification; a failed reboot fails the asset
//! like a failed install; a reboot asked for again after a crash keeps its operation id.

use chrono::{DateTime, TimeDelta, Utc};
use patchwarden_core::CountOrPercent;
use patchwarden_core::rollout::{
    Action, AssetState, Observations, OperationState, PlanAsset, RebootMode, RolloutPlan,
    RolloutSettings, RunPhase, RunStatus, StartGate, Step, decide, operation_id, plan_rollout,
};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-07T02:00:00Z")
        .expect("test time")
        .with_timezone(&Utc)
}

fn plan(reboot: RebootMode, rollback_on_failure: bool) -> RolloutPlan {
    let assets: Vec<PlanAsset> = (0..2)
        .map(|i| PlanAsset {
            name: format!("node-{i}"),
            group: None,
            risk: f64::from(2 - i),
            estimated_duration: None,
        })
        .collect();
    let settings = RolloutSettings {
        canary: None,
        max_unavailable: CountOrPercent::Count(2),
        max_failures: CountOrPercent::Count(1),
        rollback_on_failure,
        ..RolloutSettings::default()
    };
    let mut plan = plan_rollout("prod/nodes", &assets, &settings);
    plan.run_id = "run-1".into();
    plan.reboot = reboot;
    plan
}

fn observations(ops: &[(&str, Step, OperationState)]) -> Observations {
    Observations {
        operations: ops
            .iter()
            .map(|(asset, step, state)| (operation_id("run-1", asset, *step), state.clone()))
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

fn state(status: &RunStatus, asset: &str) -> AssetState {
    status.assets[asset].state
}

/// Both assets started, and node-0's install succeeded.
fn installed(p: &RolloutPlan) -> (RunStatus, Observations) {
    let started = decide(p, &RunStatus::new(p), &observations(&[]), t0());
    let ops = observations(&[
        ("node-0", Step::Patch, OperationState::Succeeded),
        ("node-1", Step::Patch, OperationState::Running),
    ]);
    (started.status, ops)
}

#[test]
fn without_reboots_a_successful_install_goes_straight_to_verification() {
    let p = plan(RebootMode::Never, false);
    let (status, ops) = installed(&p);
    let d = decide(&p, &status, &ops, t0() + TimeDelta::minutes(1));
    assert_eq!(state(&d.status, "node-0"), AssetState::Verifying);
    assert_eq!(
        lines(&d.actions),
        ["verify node-0: re-inventory and health checks (operation run-1/node-0/verify)"]
    );
}

#[test]
fn a_plan_that_may_reboot_reboots_then_verifies() {
    for mode in [RebootMode::IfRequired, RebootMode::Always] {
        let p = plan(mode, false);
        let (status, ops) = installed(&p);
        let d = decide(&p, &status, &ops, t0() + TimeDelta::minutes(1));
        assert_eq!(state(&d.status, "node-0"), AssetState::Rebooting, "{mode}");
        assert!(AssetState::Rebooting.is_in_flight());
        assert_eq!(
            lines(&d.actions),
            ["reboot node-0 if needed, and wait for a new boot id (operation run-1/node-0/reboot)"]
        );
        let rebooting = observations(&[
            ("node-0", Step::Patch, OperationState::Succeeded),
            ("node-0", Step::Reboot, OperationState::Running),
            ("node-1", Step::Patch, OperationState::Running),
        ]);
        let d = decide(&p, &d.status, &rebooting, t0() + TimeDelta::minutes(2));
        assert!(d.actions.is_empty(), "a running reboot is waited for");
        let rebooted = observations(&[
            ("node-0", Step::Patch, OperationState::Succeeded),
            ("node-0", Step::Reboot, OperationState::Succeeded),
            ("node-1", Step::Patch, OperationState::Running),
        ]);
        let d = decide(&p, &d.status, &rebooted, t0() + TimeDelta::minutes(3));
        assert_eq!(state(&d.status, "node-0"), AssetState::Verifying);
        assert_eq!(
            lines(&d.actions),
            ["verify node-0: re-inventory and health checks (operation run-1/node-0/verify)"]
        );
    }
}

#[test]
fn a_failed_reboot_fails_the_asset_rolls_it_back_and_counts_toward_max_failures() {
    let p = plan(RebootMode::Always, true);
    let (status, ops) = installed(&p);
    let d = decide(&p, &status, &ops, t0() + TimeDelta::minutes(1));
    let failed = observations(&[
        ("node-0", Step::Patch, OperationState::Succeeded),
        (
            "node-0",
            Step::Reboot,
            OperationState::Failed {
                message:
                    "node-0: did not answer with a new boot id within the reboot timeout of 600s"
                        .into(),
            },
        ),
        ("node-1", Step::Patch, OperationState::Running),
    ]);
    let d = decide(&p, &d.status, &failed, t0() + TimeDelta::minutes(11));
    assert_eq!(d.status.failed, 1);
    assert_eq!(state(&d.status, "node-0"), AssetState::RollingBack);
    assert!(
        d.status.assets["node-0"]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("reboot timeout")),
    );
    assert_eq!(
        lines(&d.actions),
        ["roll node-0 back to its recorded versions (operation run-1/node-0/rollback)"]
    );
    assert_eq!(d.status.halted, None, "one failure is within maxFailures 1");
}

#[test]
fn a_failed_reboot_without_rollback_fails_the_asset_and_the_run_finishes_failed() {
    let p = plan(RebootMode::IfRequired, false);
    let (status, ops) = installed(&p);
    let d = decide(&p, &status, &ops, t0() + TimeDelta::minutes(1));
    let done = observations(&[
        ("node-0", Step::Patch, OperationState::Succeeded),
        (
            "node-0",
            Step::Reboot,
            OperationState::Failed {
                message: "node-0: host answered but did not reboot".into(),
            },
        ),
        ("node-1", Step::Patch, OperationState::Succeeded),
        ("node-1", Step::Reboot, OperationState::Succeeded),
        ("node-1", Step::Verify, OperationState::Succeeded),
    ]);
    let mut status = d.status;
    for minute in 2..5 {
        status = decide(&p, &status, &done, t0() + TimeDelta::minutes(minute)).status;
    }
    assert_eq!(state(&status, "node-0"), AssetState::Failed);
    assert_eq!(state(&status, "node-1"), AssetState::Succeeded);
    assert_eq!(status.phase, RunPhase::Failed);
}

#[test]
fn after_a_crash_mid_reboot_the_reboot_is_asked_for_again_with_the_same_id() {
    let p = plan(RebootMode::Always, false);
    let (status, ops) = installed(&p);
    let d = decide(&p, &status, &ops, t0() + TimeDelta::minutes(1));
    // A restarted operator's journal knows none of the operations.
    let d = decide(
        &p,
        &d.status,
        &observations(&[]),
        t0() + TimeDelta::minutes(2),
    );
    assert_eq!(state(&d.status, "node-0"), AssetState::Rebooting);
    assert!(
        lines(&d.actions).contains(
            &"reboot node-0 if needed, and wait for a new boot id (operation run-1/node-0/reboot)"
                .to_string()
        ),
        "{:?}",
        lines(&d.actions)
    );
    // Verification is not skipped: the reboot step must succeed first.
    assert!(
        !d.actions
            .iter()
            .any(|a| matches!(a, Action::VerifyAsset { asset, .. } if asset == "node-0"))
    );
}
