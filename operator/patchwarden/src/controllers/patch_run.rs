//! The PatchRun controller: drives a run's frozen plan through the core rollout state
//! machine — canary, waves within `maxUnavailable`, verification by re-inventory and health
//! checks, halt after `maxFailures`, roll back — and keeps the run's audit trail.
//!
//! Pipeline: observe (the run, its window, the operation journal) → validate (the plan) →
//! decide (`rollout::decide`) → persist the machine's status (annotation) and the audit trail
//! (status) → act (start operations through the executors). Persisting before acting is what
//! makes a crash safe: a restarted operator finds every started step recorded, and the
//! machine asks again for any operation it cannot see.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use patchwarden_api::CheckSpec;
use patchwarden_api::asset::{Asset, LastOperation, OperationKind, OperationResult};
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::labels;
use patchwarden_api::maintenance_window::MaintenanceWindow;
use patchwarden_api::patch_run::{
    AssetResult, AssetRunState, PatchRun, PatchRunStatus, PlannedAsset, RunCounts, RunPhase,
    RunTrigger,
};
use patchwarden_api::time::to_k8s;
use patchwarden_core::rollout::{
    self, AssetState, Observations, OperationState, RolloutPlan, RunStatus, StartGate, Step,
};
use patchwarden_core::sla::EmergencyReason;
use patchwarden_executor::HealthCheck;
use tokio::sync::watch;

use super::error::{ReconcileError, Terminal};
use super::operations::{self, OperationRequest, StepKind};
use super::{
    Context, drive, mark_abnormal, mark_ready, now, object_key, requeue_at, status, stopped,
};

/// Controller name in logs and metrics.
pub const NAME: &str = "PatchRun";

/// Annotation holding the rollout state machine's persisted status (JSON).
pub const ROLLOUT_STATE_ANNOTATION: &str = "patchwarden.io/rollout-state";

/// How often a run with operations in flight is looked at even without a wake-up.
const POLL: Duration = Duration::from_secs(15);

/// Runs the controller until `stop` turns true; finished operations wake their run at once.
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    // A finished operation wakes the runs (few are active at once; finished ones return
    // at once).
    let wake_stream =
        futures::stream::unfold(context.operations.subscribe(), |mut rx| async move {
            match rx.recv().await {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Some(((), rx)),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => None,
            }
        });
    let controller = Controller::new(context.api::<PatchRun>(), watcher::Config::default())
        .reconcile_all_on(wake_stream.boxed())
        .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, reconcile).await;
}

/// The core's plan for a run's frozen spec.
pub fn rollout_plan(run: &PatchRun) -> RolloutPlan {
    let spec = &run.spec;
    let waves: Vec<rollout::Wave> = if spec.waves.is_empty() {
        vec![rollout::Wave {
            index: 0,
            canary: false,
            assets: spec.assets.iter().map(|a| a.name.clone()).collect(),
            estimated_duration: patchwarden_core::Duration::ZERO,
        }]
    } else {
        spec.waves
            .iter()
            .enumerate()
            .map(|(index, w)| rollout::Wave {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                canary: w.canary,
                assets: w.assets.clone(),
                estimated_duration: patchwarden_core::Duration::ZERO,
            })
            .collect()
    };
    RolloutPlan {
        run_id: object_key(run),
        waves,
        groups: spec
            .assets
            .iter()
            .map(|a| (a.name.clone(), a.group.clone().unwrap_or_default()))
            .collect(),
        max_unavailable: spec
            .limits
            .max_unavailable_by_group
            .iter()
            .map(|(group, limit)| (group.clone(), (*limit).max(1)))
            .chain([(String::new(), spec.limits.max_unavailable.max(1))])
            .collect(),
        max_failures: spec.limits.max_failures,
        pause_between_waves: spec
            .limits
            .pause_between_waves
            .as_ref()
            .and_then(|d| d.parse().ok())
            .unwrap_or_default(),
        rollback_on_failure: spec.limits.rollback_on_failure,
        estimated_duration: patchwarden_core::Duration::ZERO,
        poll_interval: patchwarden_core::Duration::from_secs(POLL.as_secs()),
    }
}

/// The machine's persisted status of a run, or a fresh one.
pub fn machine_status(run: &PatchRun, plan: &RolloutPlan) -> RunStatus {
    run.annotations()
        .get(ROLLOUT_STATE_ANNOTATION)
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| RunStatus::new(plan))
}

fn api_phase(status: &RunStatus) -> RunPhase {
    match status.phase {
        rollout::RunPhase::Pending => RunPhase::Pending,
        rollout::RunPhase::Running => RunPhase::Running,
        rollout::RunPhase::Paused => RunPhase::Paused,
        rollout::RunPhase::Succeeded => RunPhase::Succeeded,
        rollout::RunPhase::Failed => RunPhase::Failed,
        rollout::RunPhase::Halted => RunPhase::Halted,
    }
}

fn api_asset_state(state: AssetState, finished: bool) -> AssetRunState {
    match state {
        AssetState::Pending if finished => AssetRunState::Skipped,
        AssetState::Pending => AssetRunState::Pending,
        AssetState::Patching => AssetRunState::Patching,
        AssetState::Verifying => AssetRunState::Verifying,
        AssetState::Succeeded => AssetRunState::Succeeded,
        AssetState::Failed | AssetState::RollingBack | AssetState::RollbackFailed => {
            AssetRunState::Failed
        }
        AssetState::RolledBack => AssetRunState::RolledBack,
    }
}

/// The audit trail of a run from the machine's status, what finished operations found, and
/// what was recorded before.
fn audit_trail(
    run: &PatchRun,
    plan: &RolloutPlan,
    machine: &RunStatus,
    journal: &operations::Journal,
    stored: &PatchRunStatus,
) -> PatchRunStatus {
    let finished = machine.finished_at.is_some();
    let mut assets = Vec::new();
    let mut counts = RunCounts::default();
    for planned in &run.spec.assets {
        let progress = machine.assets.get(&planned.name);
        let previous = stored.assets.iter().find(|a| a.name == planned.name);
        let mut result = previous.cloned().unwrap_or_else(|| AssetResult {
            name: planned.name.clone(),
            ..AssetResult::default()
        });
        if let Some(progress) = progress {
            result.wave = progress.wave;
            result.state = api_asset_state(progress.state, finished);
            result.started_at = progress.started_at.map(to_k8s);
            result.finished_at = progress.finished_at.map(to_k8s);
            result.duration_seconds = match (progress.started_at, progress.finished_at) {
                (Some(s), Some(f)) => u64::try_from((f - s).num_seconds()).ok(),
                _ => None,
            };
            // Later steps refine what earlier ones recorded: verify's re-inventory wins over
            // patch, and a roll back's versions win over both.
            for step in [Step::Patch, Step::Verify, Step::RollBack] {
                let id = rollout::operation_id(&plan.run_id, &planned.name, step);
                if let Some(details) = journal.details(&id) {
                    if !details.packages.is_empty() {
                        result.packages = details.packages.clone();
                    }
                    if step == Step::Verify {
                        result.cves_closed = details.cves_closed.clone();
                        result.cves_remaining = details.cves_remaining.clone();
                    }
                    if step == Step::RollBack {
                        result.cves_closed.clear();
                    }
                    result.message = details.message.clone();
                }
            }
            if let Some(message) = &progress.message
                && progress.state.has_failed()
                && !result.message.contains(message.as_str())
            {
                result.message = message.clone();
            }
        }
        if result.packages.is_empty() {
            result.packages = planned
                .packages
                .iter()
                .map(|p| patchwarden_api::patch_run::PackageResult {
                    name: p.name.clone(),
                    before: Some(p.from.clone()),
                    after: None,
                })
                .collect();
        }
        counts.total += 1;
        match result.state {
            AssetRunState::Pending => counts.pending += 1,
            AssetRunState::Patching | AssetRunState::Verifying => counts.in_progress += 1,
            AssetRunState::Succeeded => counts.succeeded += 1,
            AssetRunState::Failed => counts.failed += 1,
            AssetRunState::RolledBack => {
                counts.failed += 1;
                counts.rolled_back += 1;
            }
            AssetRunState::Skipped => counts.skipped += 1,
        }
        assets.push(result);
    }
    let paused_until = machine.paused.as_ref().and_then(|p| match p {
        rollout::PauseReason::BetweenWaves { until } => Some(to_k8s(*until)),
        rollout::PauseReason::OutsideWindow { next_start } => next_start.map(to_k8s),
        rollout::PauseReason::Suspended => None,
    });
    let message = if let Some(halted) = &machine.halted {
        let failures: Vec<&str> = assets
            .iter()
            .filter(|a| matches!(a.state, AssetRunState::Failed | AssetRunState::RolledBack))
            .map(|a| a.message.as_str())
            .collect();
        Some(format!("halted: {halted}: {}", failures.join("; ")))
    } else if let Some(paused) = &machine.paused {
        Some(paused.to_string())
    } else if finished {
        Some(format!(
            "{:?}: {} of {} assets succeeded, {} failed",
            api_phase(machine),
            counts.succeeded,
            counts.total,
            counts.failed
        ))
    } else {
        Some(format!(
            "wave {} of {}: {} assets in progress, {} succeeded",
            machine
                .current_wave
                .saturating_add(1)
                .min(u32::try_from(plan.waves.len()).unwrap_or(u32::MAX)),
            plan.waves.len(),
            counts.in_progress,
            counts.succeeded
        ))
    };
    PatchRunStatus {
        observed_generation: run.metadata.generation,
        last_handled_reconcile_at: super::reconcile_requested_at(run)
            .or(stored.last_handled_reconcile_at.clone()),
        conditions: stored.conditions.clone(),
        phase: api_phase(machine),
        current_wave: (!finished).then_some(machine.current_wave),
        paused_until,
        started_at: machine.started_at.map(to_k8s),
        finished_at: machine.finished_at.map(to_k8s),
        counts: Some(counts),
        assets,
        message,
    }
}

/// Sets the run's conditions from its phase.
fn set_conditions(status: &mut PatchRunStatus, generation: Option<i64>, now: DateTime<Utc>) {
    let message = status.message.clone().unwrap_or_default();
    let conditions = &mut status.conditions;
    match status.phase {
        RunPhase::Succeeded => {
            mark_ready(
                conditions,
                c::TRUE,
                reason::SUCCEEDED,
                &message,
                generation,
                now,
            );
            mark_abnormal(conditions, c::PROGRESSING, None, generation, now);
            mark_abnormal(conditions, c::DEGRADED, None, generation, now);
        }
        RunPhase::Failed | RunPhase::Halted | RunPhase::RolledBack => {
            let why = if status.phase == RunPhase::Halted {
                reason::RUN_HALTED
            } else {
                reason::FAILED
            };
            mark_ready(conditions, c::FALSE, why, &message, generation, now);
            mark_abnormal(conditions, c::PROGRESSING, None, generation, now);
            mark_abnormal(
                conditions,
                c::DEGRADED,
                Some((why, &message)),
                generation,
                now,
            );
        }
        RunPhase::Pending | RunPhase::Paused | RunPhase::Running => {
            let why = if status.phase == RunPhase::Running {
                reason::PROGRESSING
            } else {
                reason::WAITING_FOR_WINDOW
            };
            mark_ready(conditions, c::FALSE, why, &message, generation, now);
            mark_abnormal(
                conditions,
                c::PROGRESSING,
                Some((why, &message)),
                generation,
                now,
            );
        }
    }
}

/// When new work of this run may start.
async fn start_gate(context: &Context, run: &PatchRun) -> Result<StartGate, String> {
    let Some(window) = &run.spec.window else {
        return Ok(StartGate::Anytime);
    };
    let api = context.api_for::<MaintenanceWindow, _>(run);
    let found = api
        .get_opt(window)
        .await
        .map_err(|e| format!("reading MaintenanceWindow {window}: {e}"))?
        .ok_or_else(|| format!("spec.window: MaintenanceWindow {window:?} does not exist"))?;
    let definition = super::maintenance_window::window_definition(&found.spec)
        .map_err(|e| format!("MaintenanceWindow {window}: {e}"))?;
    Ok(StartGate::Windows(vec![definition]))
}

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
            forecast: patchwarden_core::sla::Forecast::NoDeadline,
        }),
        _ => None,
    }
}

/// Builds the operation request for an asset step.
fn request(
    context: &Context,
    run: &PatchRun,
    assets: &BTreeMap<String, Asset>,
    asset: &str,
    step: StepKind,
    operation: &str,
) -> Result<OperationRequest, String> {
    let planned: PlannedAsset = run
        .spec
        .assets
        .iter()
        .find(|a| a.name == asset)
        .cloned()
        .ok_or_else(|| format!("asset {asset} is not in the plan"))?;
    let object = assets
        .get(asset)
        .ok_or_else(|| format!("Asset {asset} does not exist"))?;
    let (executor, target) = super::asset::executor_for(context, object)?;
    let health_checks = run
        .spec
        .limits
        .health_checks
        .iter()
        .filter_map(|check| {
            let command = check.command.clone()?;
            let timeout = check
                .timeout
                .as_ref()
                .and_then(|t| t.parse().ok())
                .map(|d: patchwarden_core::Duration| Duration::from_secs(d.as_secs()))
                .unwrap_or(Duration::from_secs(60));
            Some((
                check.name.clone(),
                HealthCheck { command, timeout },
                check.attempts,
            ))
        })
        .collect();
    let hook = |h: &patchwarden_api::patch_policy::Hook| {
        let timeout = h
            .timeout
            .as_ref()
            .and_then(|t| t.parse().ok())
            .map(|d: patchwarden_core::Duration| Duration::from_secs(d.as_secs()))
            .unwrap_or(Duration::from_secs(300));
        (
            h.name.clone(),
            HealthCheck {
                command: h.command.clone(),
                timeout,
            },
        )
    };
    let hooks = run.spec.limits.hooks.clone().unwrap_or_default();
    Ok(OperationRequest {
        pre_patch: hooks.pre_patch.iter().map(hook).collect(),
        post_patch: hooks.post_patch.iter().map(hook).collect(),
        run: object_key(run),
        id: operation.to_string(),
        step,
        asset_name: asset.to_string(),
        target,
        executor,
        planned,
        health_checks,
        default_health_check: object.spec.connection == patchwarden_api::ConnectionKind::Lab,
    })
}

/// Marks an Asset as held by a run (or releases it) and records its last operation.
async fn hold_asset(
    context: &Context,
    run: &PatchRun,
    asset: &str,
    held: bool,
    last: Option<LastOperation>,
) -> Result<(), ReconcileError> {
    let api = context.api_for::<Asset, _>(run);
    let label = if held {
        serde_json::Value::String(run.name_any())
    } else {
        serde_json::Value::Null
    };
    let mut metadata = serde_json::json!({"labels": {labels::RUN: label}});
    if !held {
        // Ask the Asset controller to re-read the inventory now.
        metadata["annotations"] = serde_json::json!({
            labels::RECONCILE_REQUESTED_AT: Utc::now().to_rfc3339(),
        });
    }
    match api
        .patch(
            asset,
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({"metadata": metadata})),
        )
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    if let Some(last) = last {
        let body = serde_json::json!({"status": {"lastOperation": last}});
        api.patch_status(asset, &PatchParams::default(), &Patch::Merge(&body))
            .await?;
    }
    Ok(())
}

async fn reconcile(object: Arc<PatchRun>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let run = object.as_ref();
    let api = context.api_for::<PatchRun, _>(run);
    let now = now();
    let generation = run.metadata.generation;
    let stored = run.status.clone().unwrap_or_default();
    if stored.phase.is_finished() && stored.finished_at.is_some() {
        return Ok(Action::await_change());
    }

    // Validate.
    if let Some(first) = run.spec_errors().into_iter().next() {
        return Err(Terminal::from(first).into());
    }
    let gate = start_gate(&context, run)
        .await
        .map_err(Terminal::reference_not_found)?;

    // Observe.
    let plan = rollout_plan(run);
    let machine = machine_status(run, &plan);
    let mut operations = BTreeMap::new();
    for asset in plan.groups.keys() {
        for step in [Step::Patch, Step::Verify, Step::RollBack] {
            let id = rollout::operation_id(&plan.run_id, asset, step);
            let state = context.operations.state(&id);
            if state != OperationState::Absent {
                operations.insert(id, state);
            }
        }
    }
    let observations = Observations {
        operations,
        gate,
        emergency: emergency(run),
        suspended: run.spec.suspend,
    };

    // Decide.
    let decision = rollout::decide(&plan, &machine, &observations, now);

    // Persist the machine's status before acting.
    if decision.status != machine {
        let text = serde_json::to_string(&decision.status)
            .map_err(|e| ReconcileError::Transient(format!("rollout state: {e}")))?;
        let patch =
            serde_json::json!({"metadata": {"annotations": {ROLLOUT_STATE_ANNOTATION: text}}});
        api.patch(
            &run.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await?;
    }
    let mut desired = audit_trail(run, &plan, &decision.status, &context.operations, &stored);
    set_conditions(&mut desired, generation, now);
    status::write_status(&api, run, &desired).await?;

    // Act.
    let assets = context.assets_by_name(run).await?;
    for action in &decision.actions {
        let (asset, step, operation) = match action {
            rollout::Action::StartAsset { asset, operation } => (asset, StepKind::Patch, operation),
            rollout::Action::VerifyAsset { asset, operation } => {
                (asset, StepKind::Verify, operation)
            }
            rollout::Action::RollBackAsset { asset, operation } => {
                (asset, StepKind::RollBack, operation)
            }
            rollout::Action::HaltRun { reason } => {
                if stored.phase != RunPhase::Halted {
                    context
                        .events
                        .warning(
                            run,
                            "RunHalted",
                            format!("{reason}: {}", desired.message.clone().unwrap_or_default()),
                        )
                        .await;
                }
                continue;
            }
            rollout::Action::PauseUntil { reason } => {
                context
                    .events
                    .normal(run, "Paused", reason.to_string())
                    .await;
                continue;
            }
            rollout::Action::CompleteRun {
                phase,
                succeeded,
                failed,
            } => {
                context.metrics.run_finished(&format!("{phase:?}"));
                let note = desired.message.clone().unwrap_or_else(|| {
                    format!("{phase:?}: {succeeded} succeeded, {failed} failed")
                });
                if *phase == rollout::RunPhase::Succeeded {
                    context.events.normal(run, "RunSucceeded", note).await;
                } else {
                    context
                        .events
                        .warning(run, &format!("Run{phase:?}"), note)
                        .await;
                }
                continue;
            }
        };
        let request = match request(&context, run, &assets, asset, step, operation) {
            Ok(request) => request,
            Err(message) => {
                // The asset cannot be acted on: record the step as failed so the machine moves on.
                context
                    .operations
                    .fail_now(&plan.run_id, operation, message);
                continue;
            }
        };
        if step == StepKind::Patch {
            hold_asset(&context, run, asset, true, None).await?;
            context
                .events
                .normal(
                    run,
                    "AssetStarted",
                    format!("patching {asset} (wave {})", machine.current_wave),
                )
                .await;
        }
        operations::start(&context.operations, request);
    }
    // Release assets whose part of the run ended, recording their last operation.
    for (name, progress) in &decision.status.assets {
        let before = machine.assets.get(name).map(|p| p.state);
        if progress.state.is_done() && before != Some(progress.state) {
            let result = desired.assets.iter().find(|a| &a.name == name);
            let succeeded = progress.state == AssetState::Succeeded;
            let last = LastOperation {
                kind: if progress.state == AssetState::RolledBack {
                    OperationKind::Rollback
                } else {
                    OperationKind::Patch
                },
                result: if succeeded {
                    OperationResult::Succeeded
                } else {
                    OperationResult::Failed
                },
                run: Some(run.name_any()),
                started_at: progress.started_at.map(to_k8s),
                finished_at: progress.finished_at.map(to_k8s),
                message: result.map(|r| r.message.clone()).unwrap_or_default(),
            };
            hold_asset(&context, run, name, false, Some(last)).await?;
            if succeeded {
                context
                    .events
                    .normal(
                        run,
                        "AssetPatched",
                        result.map(|r| r.message.clone()).unwrap_or_default(),
                    )
                    .await;
            } else {
                context
                    .events
                    .warning(
                        run,
                        "AssetFailed",
                        result.map(|r| r.message.clone()).unwrap_or_default(),
                    )
                    .await;
            }
        }
    }
    Ok(match decision.requeue_at {
        Some(at) => requeue_at(
            at.min(now + chrono::Duration::seconds(POLL.as_secs() as i64)),
            now,
        ),
        None if decision.status.finished_at.is_some() => Action::await_change(),
        None => Action::requeue(POLL),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::patch_run::{PatchRunSpec, PlannedPackage, RunLimits, Wave};

    fn run() -> PatchRun {
        let asset = |name: &str| PlannedAsset {
            name: name.to_string(),
            group: None,
            packages: vec![PlannedPackage {
                name: "openssl".into(),
                from: "3.0.19-1~deb12u2".into(),
                to: "3.0.22-1~deb12u2".into(),
                fixes: vec!["CVE-2026-34180".into()],
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
                    },
                    Wave {
                        assets: vec!["b".into(), "c".into()],
                        canary: false,
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
        let status = machine_status(&run(), &plan);
        assert_eq!(status.count(AssetState::Pending), 3);
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
        let trail = audit_trail(&run, &plan, &machine, &journal, &PatchRunStatus::default());
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
