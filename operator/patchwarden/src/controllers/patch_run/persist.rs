//! Persist: the machine's status goes onto the run, in the `patchwarden.io/rollout-state`
//! annotation, before anything acts on the decision. A restarted operator then finds every
//! step the machine started, and never starts one twice.

use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use patchwarden_api::patch_run::PatchRun;
use patchwarden_core::rollout::RunStatus;

use super::ROLLOUT_STATE_ANNOTATION;
use crate::controllers::error::ReconcileError;

/// Writes `decided` onto the run when it differs from the `persisted` status.
pub async fn machine_status(
    api: &kube::Api<PatchRun>,
    run: &PatchRun,
    persisted: &RunStatus,
    decided: &RunStatus,
) -> Result<(), ReconcileError> {
    if decided == persisted {
        return Ok(());
    }
    let text = serde_json::to_string(decided)
        .map_err(|e| ReconcileError::transient("serialising the rollout state", e))?;
    let patch = serde_json::json!({"metadata": {"annotations": {ROLLOUT_STATE_ANNOTATION: text}}});
    api.patch(
        &run.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await?;
    Ok(())
}
