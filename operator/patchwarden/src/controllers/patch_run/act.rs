//! Act: carry out the machine's decision — start each asset operation through its executor
//! (holding the asset for the run), publish the run's Events, and release the assets whose
//! part of the run ended, recording their last operation on them.

use std::collections::BTreeMap;

use chrono::Utc;
use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use patchwarden_api::asset::{Asset, LastOperation, OperationKind, OperationResult};
use patchwarden_api::labels;
use patchwarden_api::patch_run::{AssetResult, PatchRun, PatchRunStatus, RunPhase};
use patchwarden_api::time::to_k8s;
use patchwarden_core::rollout::{self, AssetProgress, AssetState, Decision, RunStatus};

use super::request::{AssetStep, RequestError, request};
use crate::controllers::error::ReconcileError;
use crate::controllers::operations::{self, StepKind};
use crate::controllers::{Context, object_key};

/// What the run was before this decision.
pub struct Before<'a> {
    /// The machine's persisted status.
    pub machine: &'a RunStatus,
    /// The phase its status showed.
    pub phase: RunPhase,
}

/// Acts on `decision`; `desired` is the status just written (its messages go into Events).
pub async fn act(
    context: &Context,
    run: &PatchRun,
    before: &Before<'_>,
    decision: &Decision,
    desired: &PatchRunStatus,
) -> Result<(), ReconcileError> {
    let assets = context.assets_by_name(run).await?;
    for action in &decision.actions {
        match asset_step(action) {
            Some(step) => {
                start(context, run, &assets, &step, before.machine.current_wave).await?;
            }
            None => announce(context, run, action, before.phase, desired).await,
        }
    }
    release_finished(context, run, before.machine, &decision.status, desired).await
}

/// The asset step an action asks for, if it is one.
fn asset_step(action: &rollout::Action) -> Option<AssetStep<'_>> {
    let (asset, step, operation) = match action {
        rollout::Action::StartAsset { asset, operation } => (asset, StepKind::Patch, operation),
        rollout::Action::RebootAsset { asset, operation } => (asset, StepKind::Reboot, operation),
        rollout::Action::VerifyAsset { asset, operation } => (asset, StepKind::Verify, operation),
        rollout::Action::RollBackAsset { asset, operation } => {
            (asset, StepKind::RollBack, operation)
        }
        _ => return None,
    };
    Some(AssetStep {
        asset,
        step,
        operation,
    })
}

/// Starts one asset step; a patch first holds the asset for the run.
async fn start(
    context: &Context,
    run: &PatchRun,
    assets: &BTreeMap<String, Asset>,
    step: &AssetStep<'_>,
    wave: u32,
) -> Result<(), ReconcileError> {
    let request = match request(context, run, assets, step).await {
        Ok(request) => request,
        // A failed read of the credentials waits for the next reconcile instead of failing
        // the step.
        Err(RequestError::Connection(error)) if error.is_transient() => {
            return Err(error.into());
        }
        Err(error) => {
            // The asset cannot be acted on: record the step as failed so the machine moves on.
            let journal = &context.operations;
            journal.fail_now(&object_key(run), step.operation, error.to_string());
            return Ok(());
        }
    };
    if step.step == StepKind::Patch {
        hold_asset(context, run, step.asset, None).await?;
        let note = format!("patching {} (wave {wave})", step.asset);
        context.events.normal(run, "AssetStarted", note).await;
    }
    operations::start(&context.operations, request);
    Ok(())
}

/// The Event of a run-level action: halted, paused, completed.
async fn announce(
    context: &Context,
    run: &PatchRun,
    action: &rollout::Action,
    phase_before: RunPhase,
    desired: &PatchRunStatus,
) {
    let events = &context.events;
    let message = desired.message.clone();
    match action {
        rollout::Action::HaltRun { reason } if phase_before != RunPhase::Halted => {
            let note = format!("{reason}: {}", message.unwrap_or_default());
            events.warning(run, "RunHalted", note).await;
        }
        rollout::Action::PauseUntil { reason } => {
            events.normal(run, "Paused", reason.to_string()).await;
        }
        rollout::Action::CompleteRun {
            phase,
            succeeded,
            failed,
        } => {
            context.metrics.run_finished(&format!("{phase:?}"));
            let note = message
                .unwrap_or_else(|| format!("{phase:?}: {succeeded} succeeded, {failed} failed"));
            if *phase == rollout::RunPhase::Succeeded {
                events.normal(run, "RunSucceeded", note).await;
            } else {
                events.warning(run, &format!("Run{phase:?}"), note).await;
            }
        }
        _ => {}
    }
}

/// Releases the assets whose part of the run ended with this decision, recording their
/// last operation, with an Event for each.
async fn release_finished(
    context: &Context,
    run: &PatchRun,
    before: &RunStatus,
    decided: &RunStatus,
    desired: &PatchRunStatus,
) -> Result<(), ReconcileError> {
    for (name, progress) in &decided.assets {
        let was = before.assets.get(name).map(|p| p.state);
        if !progress.state.is_done() || was == Some(progress.state) {
            continue;
        }
        let result = desired.assets.iter().find(|a| &a.name == name);
        let message = result.map(|r| r.message.clone()).unwrap_or_default();
        if progress.state == AssetState::Skipped {
            // Never held by the run: only say why it was left out.
            context.events.normal(run, "AssetSkipped", message).await;
            continue;
        }
        let last = last_operation(run, progress, result);
        hold_asset(context, run, name, Some(last)).await?;
        if progress.state == AssetState::Succeeded {
            context.events.normal(run, "AssetPatched", message).await;
        } else {
            context.events.warning(run, "AssetFailed", message).await;
        }
    }
    Ok(())
}

/// What the Asset records of its part of the run.
fn last_operation(
    run: &PatchRun,
    progress: &AssetProgress,
    result: Option<&AssetResult>,
) -> LastOperation {
    LastOperation {
        kind: if progress.state == AssetState::RolledBack {
            OperationKind::Rollback
        } else {
            OperationKind::Patch
        },
        result: if progress.state == AssetState::Succeeded {
            OperationResult::Succeeded
        } else {
            OperationResult::Failed
        },
        run: Some(run.name_any()),
        started_at: progress.started_at.map(to_k8s),
        finished_at: progress.finished_at.map(to_k8s),
        message: result.map(|r| r.message.clone()).unwrap_or_default(),
    }
}

/// Marks an Asset as held by the run (`released` is `None`), or releases it and records its
/// last operation. A released Asset is asked to re-read its inventory at once.
async fn hold_asset(
    context: &Context,
    run: &PatchRun,
    asset: &str,
    released: Option<LastOperation>,
) -> Result<(), ReconcileError> {
    let api = context.api_for::<Asset, _>(run);
    let metadata = match &released {
        None => serde_json::json!({"labels": {labels::RUN: run.name_any()}}),
        Some(_) => serde_json::json!({
            "labels": {labels::RUN: serde_json::Value::Null},
            "annotations": {labels::RECONCILE_REQUESTED_AT: Utc::now().to_rfc3339()},
        }),
    };
    let patch = serde_json::json!({"metadata": metadata});
    match api
        .patch(asset, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => {}
        // An Asset deleted meanwhile has nothing to hold or release.
        Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    if let Some(last) = released {
        let body = serde_json::json!({"status": {"lastOperation": last}});
        api.patch_status(asset, &PatchParams::default(), &Patch::Merge(&body))
            .await?;
    }
    Ok(())
}
