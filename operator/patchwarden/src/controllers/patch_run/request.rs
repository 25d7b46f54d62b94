//! The operation request of one asset step: the asset's part of the frozen plan, the
//! executor that reaches it, and the run's health checks and hooks as commands with their
//! timeouts.

use std::collections::BTreeMap;
use std::time::Duration;

use patchwarden_api::ConnectionKind;
use patchwarden_api::asset::Asset;
use patchwarden_api::patch_policy::{HealthCheck as HealthCheckSpec, Hook};
use patchwarden_api::patch_run::{PatchRun, PlannedAsset};
use patchwarden_executor::HealthCheck;

use crate::controllers::asset::{ConnectionError, executor_for};
use crate::controllers::operations::{OperationRequest, StepKind};
use crate::controllers::{Context, object_key};

/// How long a health check may take when its spec sets no timeout.
const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a hook may take when its spec sets no timeout.
const HOOK_TIMEOUT: Duration = Duration::from_secs(300);

/// Why an asset step cannot be started; the step is recorded as failed with this message.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The machine named an asset the frozen plan does not have.
    #[error("asset {asset} is not in the plan")]
    NotPlanned { asset: String },
    /// The Asset resource is gone.
    #[error("Asset {asset} does not exist")]
    NoAsset { asset: String },
    /// No executor reaches the asset.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

/// One asset step the machine asked for.
pub struct AssetStep<'a> {
    /// The asset's name.
    pub asset: &'a str,
    /// What to do.
    pub step: StepKind,
    /// The operation id the machine derived.
    pub operation: &'a str,
}

/// Builds the operation request for an asset step.
pub fn request(
    context: &Context,
    run: &PatchRun,
    assets: &BTreeMap<String, Asset>,
    step: &AssetStep<'_>,
) -> Result<OperationRequest, RequestError> {
    let asset = step.asset;
    let planned: PlannedAsset = run
        .spec
        .assets
        .iter()
        .find(|a| a.name == asset)
        .cloned()
        .ok_or_else(|| RequestError::NotPlanned {
            asset: asset.to_string(),
        })?;
    let object = assets.get(asset).ok_or_else(|| RequestError::NoAsset {
        asset: asset.to_string(),
    })?;
    let (executor, target) = executor_for(context, object)?;
    let hooks = run.spec.limits.hooks.clone().unwrap_or_default();
    Ok(OperationRequest {
        pre_patch: hooks.pre_patch.iter().map(hook).collect(),
        post_patch: hooks.post_patch.iter().map(hook).collect(),
        run: object_key(run),
        id: step.operation.to_string(),
        step: step.step,
        asset_name: asset.to_string(),
        target,
        executor,
        planned,
        health_checks: run
            .spec
            .limits
            .health_checks
            .iter()
            .filter_map(health_check)
            .collect(),
        default_health_check: object.spec.connection == ConnectionKind::Lab,
    })
}

/// A command health check with its timeout and attempts; checks without a command (HTTP)
/// are not run on the asset.
fn health_check(check: &HealthCheckSpec) -> Option<(String, HealthCheck, u32)> {
    let command = check.command.clone()?;
    let timeout = timeout_or(check.timeout.as_ref(), HEALTH_CHECK_TIMEOUT);
    Some((
        check.name.clone(),
        HealthCheck { command, timeout },
        check.attempts,
    ))
}

/// A hook as the command the executor runs.
fn hook(hook: &Hook) -> (String, HealthCheck) {
    let timeout = timeout_or(hook.timeout.as_ref(), HOOK_TIMEOUT);
    (
        hook.name.clone(),
        HealthCheck {
            command: hook.command.clone(),
            timeout,
        },
    )
}

/// A spec's timeout, or `default` when it is unset or does not parse.
fn timeout_or(
    timeout: Option<&patchwarden_api::values::DurationValue>,
    default: Duration,
) -> Duration {
    timeout
        .and_then(|t| t.parse().ok())
        .map(|d: patchwarden_core::Duration| Duration::from_secs(d.as_secs()))
        .unwrap_or(default)
}
