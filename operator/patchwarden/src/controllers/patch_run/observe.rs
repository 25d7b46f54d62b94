//! Observe: what the rollout state machine sees — its own status as persisted on the run,
//! the run's operations in this process's journal, whether the run is an emergency (which
//! lets it start outside its window), and what is suspended: the run, its PatchPolicy, and
//! the Assets and AssetGroups it patches.

use std::collections::BTreeMap;

use kube::ResourceExt;
use kube::api::ListParams;
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::conditions::reason;
use patchwarden_api::patch_policy::PatchPolicy;
use patchwarden_api::patch_run::{PatchRun, RunTrigger};
use patchwarden_core::policy::suspension_reason;
use patchwarden_core::rollout::{
    self, Observations, OperationState, RolloutPlan, RunStatus, StartGate, Step,
};
use patchwarden_core::sla::EmergencyReason;

use super::ROLLOUT_STATE_ANNOTATION;
use crate::controllers::Context;
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

/// What is suspended for a run, beyond its own `spec.suspend`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suspensions {
    /// The run's PatchPolicy has `spec.suspend: true`.
    pub policy: bool,
    /// Planned assets that must not be patched, with the reason.
    pub assets: BTreeMap<String, String>,
}

/// Reads the suspensions of the run's PatchPolicy, and of the Assets and AssetGroups it plans.
/// A policy, asset or group that no longer exists suspends nothing.
pub async fn suspensions(
    context: &Context,
    run: &PatchRun,
    plan: &RolloutPlan,
) -> Result<Suspensions, kube::Error> {
    let policy = match &run.spec.policy {
        Some(name) => context
            .api_for::<PatchPolicy, _>(run)
            .get_opt(name)
            .await?
            .is_some_and(|p| p.spec.suspend),
        None => false,
    };
    let suspended_groups: BTreeMap<String, bool> = context
        .api_for::<AssetGroup, _>(run)
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .map(|g| (g.name_any(), g.spec.suspend))
        .collect();
    let assets = context.assets_by_name(run).await?;
    let mut skipped = BTreeMap::new();
    for (asset, group) in &plan.groups {
        let asset_suspended = assets.get(asset).is_some_and(|a| a.spec.suspend);
        let group_suspended = suspended_groups.get(group).copied().unwrap_or(false);
        let suspended_group = group_suspended.then_some(group.as_str());
        if let Some(reason) = suspension_reason(asset_suspended, suspended_group) {
            skipped.insert(asset.clone(), format!("{asset}: skipped: {reason}"));
        }
    }
    Ok(Suspensions {
        policy,
        assets: skipped,
    })
}

/// The observations the machine decides on. An operation this process never started reads
/// as absent, so the machine asks for it again after a restart.
pub fn observations(
    journal: &Journal,
    run: &PatchRun,
    plan: &RolloutPlan,
    gate: StartGate,
    suspensions: Suspensions,
) -> Observations {
    let mut operations = BTreeMap::new();
    for asset in plan.groups.keys() {
        for step in [Step::Patch, Step::Reboot, Step::Verify, Step::RollBack] {
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
        suspended: run.spec.suspend || suspensions.policy,
        skipped_assets: suspensions.assets,
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
        // `SlaBreach` needs the policy's current forecast: see `sla_breach`.
        _ => None,
    }
}
