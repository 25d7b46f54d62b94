//! The SLA forecast behind a run its policy planned for `SlaBreach`: the policy's SLA rules
//! over the findings the run's packages fix on each of its assets, against the policy's
//! maintenance windows, now. The run may start out of window only while that forecast is at
//! risk (breached, or breaching before the next window); once it is not, the run waits for
//! its window like any other.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kube::ResourceExt;
use patchwarden_api::maintenance_window::MaintenanceWindow;
use patchwarden_api::patch_policy::PatchPolicy;
use patchwarden_api::patch_run::{PatchRun, RunTrigger};
use patchwarden_core::sla::{self, EmergencyReason, Forecast, PackageFinding, SlaFinding};
use patchwarden_core::window::WindowDefinition;

use crate::controllers::Context;
use crate::controllers::error::ReconcileError;

/// The `SlaBreach` emergency of the run, when it was planned for one and its most urgent
/// asset's forecast is still at risk; `None` for runs planned for anything else.
pub async fn emergency(
    context: &Context,
    run: &PatchRun,
    now: DateTime<Utc>,
) -> Result<Option<EmergencyReason>, ReconcileError> {
    if run.spec.trigger != RunTrigger::SlaBreach {
        return Ok(None);
    }
    let forecast = most_urgent_forecast(context, run, now).await?;
    Ok(forecast
        .is_at_risk()
        .then_some(EmergencyReason::SlaBreach { forecast }))
}

/// The at-risk forecast with the earliest deadline among the run's assets, else the earliest
/// forecast, else `NoDeadline` (no policy, or no finding with a deadline).
async fn most_urgent_forecast(
    context: &Context,
    run: &PatchRun,
    now: DateTime<Utc>,
) -> Result<Forecast, ReconcileError> {
    let Some(policy_name) = &run.spec.policy else {
        return Ok(Forecast::NoDeadline);
    };
    let Some(policy) = context
        .api_for::<PatchPolicy, _>(run)
        .get_opt(policy_name)
        .await?
    else {
        return Ok(Forecast::NoDeadline);
    };
    let Ok(rules) = policy.spec.sla_rules() else {
        return Ok(Forecast::NoDeadline);
    };
    let windows = policy_windows(context, &policy).await?;
    let namespace = run.namespace().unwrap_or_else(|| String::from("default"));
    let forecasts = run.spec.assets.iter().map(|asset| {
        let findings = context
            .assessment
            .get(&format!("{namespace}/{}", asset.name))
            .map(|assessed| fixed_by_run(&assessed.member_upgrades.findings, asset))
            .unwrap_or_default();
        sla::forecast(&rules, &findings, &windows, now)
    });
    Ok(forecasts
        .min_by_key(|f| (!f.is_at_risk(), f.deadline().map(|d| d.at)))
        .filter(|f| f.deadline().is_some())
        .unwrap_or(Forecast::NoDeadline))
}

/// The findings the run's packages fix on one asset.
fn fixed_by_run(
    findings: &[Arc<PackageFinding>],
    asset: &patchwarden_api::patch_run::PlannedAsset,
) -> Vec<SlaFinding> {
    findings
        .iter()
        .filter(|f| asset.packages.iter().any(|p| p.name == f.package))
        .map(|f| f.finding.clone())
        .collect()
}

/// The policy's windows that exist and are valid (the policy's own status reports the others).
async fn policy_windows(
    context: &Context,
    policy: &PatchPolicy,
) -> Result<Vec<WindowDefinition>, ReconcileError> {
    let api = context.api_for::<MaintenanceWindow, _>(policy);
    let mut windows = Vec::new();
    for name in &policy.spec.maintenance_windows {
        if let Some(found) = api.get_opt(name).await?
            && let Ok(definition) = found.spec.to_definition()
        {
            windows.push(definition);
        }
    }
    Ok(windows)
}
