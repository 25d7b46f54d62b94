//! A finished PatchRun as the outcome statistics read it: its attempted assets, how each
//! ended, how long it took and which package versions it was given. Pure.

use std::collections::BTreeMap;

use patchwarden_api::asset::Asset;
use patchwarden_api::patch_run::{AssetResult, AssetRunState, PatchRun};
use patchwarden_api::time::from_k8s;
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::outcomes::{
    AssetOutcome, AssetOutcomeKind, FailureKind, RunOutcomes, Transition,
};

/// The operating system an asset's profile is keyed by: its OSV ecosystem (`Debian:12`),
/// else its os-release `ID`, empty when unknown.
pub fn asset_os(asset: &Asset) -> String {
    let os = asset.status.as_ref().and_then(|s| s.os.as_ref());
    os.map(|os| os.ecosystem.clone().unwrap_or_else(|| os.id.clone()))
        .unwrap_or_default()
}

/// The outcomes of `run` when it has finished; `assets` are its namespace's Assets by name
/// (for their operating system). Assets never attempted (pending, skipped) are left out.
pub fn run_outcomes(run: &PatchRun, assets: &BTreeMap<String, Asset>) -> Option<RunOutcomes> {
    let status = run.status.as_ref()?;
    if !status.phase.is_finished() || status.finished_at.is_none() {
        return None;
    }
    let outcomes = status
        .assets
        .iter()
        .filter_map(|result| asset_outcome(run, result, assets.get(&result.name)))
        .collect();
    Some(RunOutcomes {
        run: run.metadata.name.clone().unwrap_or_default(),
        policy: run.spec.policy.clone(),
        assets: outcomes,
    })
}

fn asset_outcome(
    run: &PatchRun,
    result: &AssetResult,
    asset: Option<&Asset>,
) -> Option<AssetOutcome> {
    let kind = match result.state {
        AssetRunState::Succeeded => AssetOutcomeKind::Succeeded,
        AssetRunState::Failed => AssetOutcomeKind::Failed(FailureKind::classify(&result.message)),
        AssetRunState::RolledBack => {
            AssetOutcomeKind::RolledBack(FailureKind::classify(&result.message))
        }
        AssetRunState::Pending
        | AssetRunState::Patching
        | AssetRunState::Verifying
        | AssetRunState::Skipped => return None,
    };
    let planned = run.spec.assets.iter().find(|a| a.name == result.name);
    let os = asset.map(asset_os).unwrap_or_default();
    let ecosystem = asset
        .and_then(|a| a.status.as_ref()?.os.as_ref()?.ecosystem.clone())
        .unwrap_or_default();
    Some(AssetOutcome {
        asset: result.name.clone(),
        group: planned.and_then(|p| p.group.clone()),
        os,
        ecosystem: Ecosystem::new(ecosystem),
        canary: run
            .spec
            .waves
            .iter()
            .any(|w| w.canary && w.assets.contains(&result.name)),
        finished_at: result.finished_at.as_ref().map(from_k8s),
        kind,
        duration_seconds: result.duration_seconds,
        transitions: planned
            .map(|p| {
                p.packages
                    .iter()
                    .map(|package| Transition {
                        package: package.name.clone(),
                        from: package.from.clone(),
                        to: package.to.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        message: result.message.clone(),
    })
}
