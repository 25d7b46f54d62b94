//! The PatchRun controller: drives a run's frozen plan through the core rollout state
//! machine — canary, waves within `maxUnavailable`, verification by re-inventory and health
//! checks, halt after `maxFailures`, roll back — and keeps the run's audit trail.
//!
//! Pipeline, one module per step: [`validate`] (the frozen spec into the core plan, the
//! window it names into the start gate) → [`observe`] (the machine's persisted status, the
//! operation journal) → decide (`rollout::decide`, one core call) → [`persist`] (the
//! machine's status, on the run) → [`status`] (the audit trail and conditions) → [`act`]
//! (start operations through the executors, hold and release assets, Events). Persisting
//! before acting is what makes a crash safe: a restarted operator finds every started step
//! recorded, and the machine asks again for any operation it cannot see.

mod act;
mod node_drain;
mod observe;
mod persist;
mod reboot;
mod request;
mod sla_breach;
mod status;
mod validate;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{Controller, watcher};
use patchwarden_api::patch_policy::PatchPolicy;
use patchwarden_api::patch_run::PatchRun;
use patchwarden_core::rollout::{self, Decision};
use tokio::sync::watch;

use super::error::ReconcileError;
use super::wake_stream::wake_on;
use super::{Context, drive, now, requeue_at, stopped};

pub use observe::machine_status;
use validate::Validated;
pub use validate::rollout_plan;

/// Controller name in logs and metrics.
pub const NAME: &str = "PatchRun";

/// Annotation holding the rollout state machine's persisted status (JSON).
pub const ROLLOUT_STATE_ANNOTATION: &str = "patchwarden.io/rollout-state";

/// How often a run with operations in flight is looked at even without a wake-up.
const POLL: Duration = Duration::from_secs(15);

/// Runs the controller until `stop` turns true; finished operations wake their run at once,
/// and a change of a PatchPolicy (its `suspend`) wakes its active run.
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    // A finished operation wakes the runs (few are active at once; finished ones return
    // at once).
    let wake_stream = wake_on(context.operations.subscribe());
    let controller = Controller::new(context.api::<PatchRun>(), watcher::Config::default())
        .watches(
            context.api::<PatchPolicy>(),
            watcher::Config::default(),
            active_run_of,
        )
        .reconcile_all_on(wake_stream.boxed())
        .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, reconcile).await;
}

/// The active run of a policy, which a change of the policy (suspended or resumed) concerns.
fn active_run_of(policy: PatchPolicy) -> Option<ObjectRef<PatchRun>> {
    let namespace = policy.namespace()?;
    let run = policy.status?.active_run?;
    Some(ObjectRef::new(&run).within(&namespace))
}

async fn reconcile(object: Arc<PatchRun>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let run = object.as_ref();
    let api = context.api_for::<PatchRun, _>(run);
    let now = now();
    let stored = run.status.clone().unwrap_or_default();
    if stored.phase.is_finished() && stored.finished_at.is_some() {
        // A finished run's audit trail is final: it joins its policy's evidence chain.
        super::evidence::record_finished(&context, run).await?;
        // And its outcomes join the fleet's statistics (quarantines, predictions).
        super::outcomes::record_finished(&context, run).await?;
        return Ok(Action::await_change());
    }
    let Validated { plan, gate } = validate::validate(&context, run).await?;
    let machine = observe::machine_status(run, &plan)?;
    let suspensions = observe::suspensions(&context, run, &plan).await?;
    let mut observations =
        observe::observations(&context.operations, run, &plan, gate, suspensions);
    if let Some(emergency) = sla_breach::emergency(&context, run, now).await? {
        observations.emergency = Some(emergency);
    }
    let decision = rollout::decide(&plan, &machine, &observations, now);
    persist::machine_status(&api, run, &machine, &decision.status).await?;
    let desired = status::desired(
        run,
        &plan,
        &decision.status,
        &context.operations,
        &stored,
        now,
    );
    super::status::write_status(&api, run, &desired).await?;
    let before = act::Before {
        machine: &machine,
        phase: stored.phase,
    };
    act::act(&context, run, &before, &decision, &desired).await?;
    Ok(next_reconcile(&decision, now))
}

/// When to look at the run again: when the machine asks (at the latest after one poll
/// interval), never once it finished, else after one poll interval.
fn next_reconcile(decision: &Decision, now: chrono::DateTime<chrono::Utc>) -> Action {
    let poll = chrono::Duration::seconds(i64::try_from(POLL.as_secs()).unwrap_or(i64::MAX));
    match decision.requeue_at {
        Some(at) => requeue_at(at.min(now + poll), now),
        None if decision.status.finished_at.is_some() => Action::await_change(),
        None => Action::requeue(POLL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::patch_run::{
        AssetRunState, PatchRunSpec, PatchRunStatus, PlannedAsset, PlannedPackage, RunLimits,
        RunPhase, Wave,
    };
    use patchwarden_api::values::DurationValue;
    use patchwarden_core::rollout::{AssetState, RunStatus};

    use crate::controllers::operations;

    fn run() -> PatchRun {
        let asset = |name: &str| PlannedAsset {
            name: name.to_string(),
            group: None,
            packages: vec![PlannedPackage {
                name: "openssl".into(),
                from: "3.0.19-1~deb12u2".into(),
                to: "3.0.22-1~deb12u2".into(),
                fixes: vec!["CVE-2026-34180".into()],
                findings: Vec::new(),
            }],
            reboot_expected: false,
        };
        let mut run = PatchRun::new(
            "r",
            PatchRunSpec {
                assets: vec![asset("a"), asset("b"), asset("c")],
                waves: vec![
                    Wave {
                        assets: vec!["a".into()],
                        canary: true,
                        estimated_duration: None,
                    },
                    Wave {
                        assets: vec!["b".into(), "c".into()],
                        canary: false,
                        estimated_duration: None,
                    },
                ],
                limits: RunLimits {
                    max_unavailable: 2,
                    max_failures: 0,
                    rollback_on_failure: true,
                    ..RunLimits::default()
                },
                ..PatchRunSpec::default()
            },
        );
        run.metadata.namespace = Some("default".into());
        run
    }

    #[test]
    fn the_frozen_spec_becomes_the_core_plan_with_a_stable_run_id() {
        let plan = rollout_plan(&run());
        assert_eq!(plan.run_id, "default/r");
        assert_eq!(plan.waves.len(), 2);
        assert!(plan.waves[0].canary);
        assert_eq!(plan.limit_for("b"), 2);
        assert!(plan.rollback_on_failure);
        // Without a persisted state, every asset starts pending.
        let status = machine_status(&run(), &plan).expect("no persisted state");
        assert_eq!(status.count(AssetState::Pending), 3);
    }

    #[test]
    fn a_started_run_is_expected_to_finish_after_its_wave_estimates_and_pauses() {
        let mut run = run();
        run.spec.waves[0].estimated_duration = Some(DurationValue::new("10m"));
        run.spec.waves[1].estimated_duration = Some(DurationValue::new("20m"));
        run.spec.limits.pause_between_waves = Some(DurationValue::new("5m"));
        let plan = rollout_plan(&run);
        assert_eq!(
            plan.estimated_duration,
            patchwarden_core::Duration::from_mins(35)
        );
        let started = chrono::DateTime::parse_from_rfc3339("2026-06-07T02:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let mut machine = RunStatus::new(&plan);
        let trail = |machine: &RunStatus| {
            status::audit_trail(
                &run,
                &plan,
                machine,
                &operations::Journal::new(),
                &PatchRunStatus::default(),
            )
        };
        assert_eq!(trail(&machine).expected_finish_at, None, "not started");
        machine.started_at = Some(started);
        assert_eq!(
            trail(&machine).expected_finish_at,
            Some(patchwarden_api::time::to_k8s(
                started + chrono::Duration::minutes(35)
            ))
        );
        machine.finished_at = Some(started + chrono::Duration::minutes(50));
        assert_eq!(trail(&machine).expected_finish_at, None, "finished");

        // A run written without estimates expects nothing.
        let plain = rollout_plan(&self::run());
        assert_eq!(plain.estimated_duration, patchwarden_core::Duration::ZERO);
    }

    #[test]
    fn a_run_past_its_start_deadline_says_so_in_its_phase_and_message() {
        let mut run = run();
        let deadline = chrono::DateTime::parse_from_rfc3339("2026-06-07T04:30:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        run.spec.start_deadline = Some(patchwarden_api::time::to_k8s(deadline));
        let plan = rollout_plan(&run);
        assert_eq!(plan.start_deadline, Some(deadline));
        let observations = rollout::Observations {
            operations: Default::default(),
            gate: rollout::StartGate::Anytime,
            emergency: None,
            suspended: false,
            skipped_assets: Default::default(),
        };
        let late = deadline + chrono::Duration::minutes(1);
        let decision = rollout::decide(&plan, &RunStatus::new(&plan), &observations, late);
        assert!(
            decision
                .actions
                .iter()
                .all(|a| !matches!(a, rollout::Action::StartAsset { .. }))
        );
        let journal = operations::Journal::new();
        let trail = status::audit_trail(
            &run,
            &plan,
            &decision.status,
            &journal,
            &PatchRunStatus::default(),
        );
        assert_eq!(trail.phase, RunPhase::Halted);
        assert_eq!(
            trail.message.as_deref(),
            Some(
                "halted: the start deadline 2026-06-07 04:30:00 UTC passed before the first wave started, so the run does not start"
            )
        );
    }

    #[test]
    fn per_group_max_unavailable_of_the_spec_reaches_the_core_plan() {
        let mut run = run();
        for asset in &mut run.spec.assets {
            asset.group = Some(if asset.name == "a" { "db" } else { "web" }.to_string());
        }
        run.spec.limits.max_unavailable_by_group =
            [("db".to_string(), 1), ("web".to_string(), 3)].into();
        let plan = rollout_plan(&run);
        assert_eq!(plan.groups.get("a").map(String::as_str), Some("db"));
        assert_eq!(plan.groups.get("b").map(String::as_str), Some("web"));
        assert_eq!(plan.limit_for("a"), 1);
        assert_eq!(plan.limit_for("b"), 3);
        assert_eq!(plan.limit_for("c"), 3);
        // An asset without a group counts against the run's own limit.
        run.spec.assets[2].group = None;
        assert_eq!(rollout_plan(&run).limit_for("c"), 2);
    }

    #[test]
    fn a_persisted_state_that_cannot_be_read_stalls_the_run_instead_of_restarting_it() {
        let mut run = run();
        let plan = rollout_plan(&run);
        run.metadata.annotations = Some(
            [(
                ROLLOUT_STATE_ANNOTATION.to_string(),
                "{\"phase\":\"Running\",\"currentWa".to_string(),
            )]
            .into(),
        );
        let error = machine_status(&run, &plan).expect_err("truncated state");
        assert_eq!(error.reason, "InvalidState");
        assert!(
            error.message.starts_with(
                "metadata.annotations[patchwarden.io/rollout-state]: the persisted rollout state cannot be read ("
            ),
            "{}",
            error.message
        );
        assert!(
            error
                .message
                .ends_with("the run does not start again from wave 0")
        );
    }

    #[test]
    fn the_audit_trail_records_versions_and_skips_what_never_started_in_a_finished_run() {
        let run = run();
        let plan = rollout_plan(&run);
        let mut machine = RunStatus::new(&plan);
        let now = chrono::Utc::now();
        if let Some(a) = machine.assets.get_mut("a") {
            a.state = AssetState::RolledBack;
            a.started_at = Some(now - chrono::Duration::seconds(30));
            a.finished_at = Some(now);
        }
        machine.phase = rollout::RunPhase::Halted;
        machine.halted = Some(rollout::HaltReason::CanaryFailed { asset: "a".into() });
        machine.finished_at = Some(now);
        let journal = operations::Journal::new();
        let trail =
            status::audit_trail(&run, &plan, &machine, &journal, &PatchRunStatus::default());
        assert_eq!(trail.phase, RunPhase::Halted);
        assert_eq!(trail.assets[0].state, AssetRunState::RolledBack);
        assert_eq!(trail.assets[0].duration_seconds, Some(30));
        assert_eq!(trail.assets[1].state, AssetRunState::Skipped);
        assert_eq!(
            trail.assets[0].packages[0].before.as_deref(),
            Some("3.0.19-1~deb12u2")
        );
        let counts = trail.counts.expect("counts");
        assert_eq!(
            (counts.rolled_back, counts.skipped, counts.failed),
            (1, 2, 1)
        );
        assert!(
            trail
                .message
                .expect("message")
                .starts_with("halted: canary a failed")
        );
    }
}
