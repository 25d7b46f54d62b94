//! The operation request of one asset step: the asset's part of the frozen plan, the
//! executor that reaches it, the run's health checks (commands and HTTP requests, with
//! their baseline from the patch step for a verification) and hooks as commands with their
//! timeouts.

use std::collections::BTreeMap;
use std::time::Duration;

use patchwarden_api::ConnectionKind;
use patchwarden_api::SpecError;
use patchwarden_api::asset::Asset;
use patchwarden_api::patch_policy::{HealthCheck as HealthCheckSpec, Hook, HttpCheck};
use patchwarden_api::patch_run::{PatchRun, PlannedAsset};
use patchwarden_core::rollout::{self, Step};
use patchwarden_executor::HealthCheck;

use super::node_drain::node_drain;
use super::reboot::reboot_settings;
use crate::controllers::asset::{ConnectionError, executor_for};
use crate::controllers::operations::{HttpProbe, OperationRequest, Probe, RunCheck, StepKind};
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
    /// The run's reboot settings are invalid.
    #[error("{asset}: {error}")]
    Reboot { asset: String, error: SpecError },
    /// The policy's drain settings of a node could not be read.
    #[error("{asset}: cannot read the policy's drain settings: {source}")]
    Drain { asset: String, source: kube::Error },
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
pub async fn request(
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
    let (executor, target) = executor_for(context, object).await?;
    let address = object.spec.address.as_deref().unwrap_or(asset);
    let (baseline, values) = match step.step {
        StepKind::Verify => {
            let patch = rollout::operation_id(&object_key(run), asset, Step::Patch);
            context
                .operations
                .details(&patch)
                .map(|d| (d.health_baseline, d.health_values))
                .unwrap_or_default()
        }
        StepKind::Patch | StepKind::Reboot | StepKind::RollBack => Default::default(),
    };
    let reboot = (step.step == StepKind::Reboot)
        .then(|| reboot_settings(context, run, object))
        .transpose()
        .map_err(|error| RequestError::Reboot {
            asset: asset.to_string(),
            error,
        })?;
    let drain = match step.step {
        StepKind::Patch | StepKind::Reboot => {
            node_drain(context, run, object)
                .await
                .map_err(|source| RequestError::Drain {
                    asset: asset.to_string(),
                    source,
                })?
        }
        StepKind::Verify | StepKind::RollBack => None,
    };
    let hooks = run.spec.limits.hooks.clone().unwrap_or_default();
    Ok(OperationRequest {
        drain,
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
            .filter_map(|check| health_check(check, asset, address, &values))
            .collect(),
        baseline,
        reboot,
        default_health_check: object.spec.connection == ConnectionKind::Lab,
    })
}

/// A health check with its timeout and attempts: a command run on the asset, or an HTTP
/// request whose URL has `{address}` (the asset's address, else its name) and `{asset}` (its
/// name) filled in. A check with neither (refused by validation) is left out.
fn health_check(
    check: &HealthCheckSpec,
    asset: &str,
    address: &str,
    baseline_values: &[(String, f64)],
) -> Option<RunCheck> {
    let timeout = timeout_or(check.timeout.as_ref(), HEALTH_CHECK_TIMEOUT);
    let probe = match (&check.command, &check.http) {
        (Some(command), _) => Probe::Command(HealthCheck {
            command: command.clone(),
            timeout,
        }),
        (None, Some(http)) => Probe::Http(http_probe(http, asset, address, timeout)),
        (None, None) => return None,
    };
    Some(RunCheck {
        name: check.name.clone(),
        probe,
        attempts: check.attempts,
        metric: check.metric.clone(),
        baseline_value: baseline_values
            .iter()
            .find(|(name, _)| name == &check.name)
            .map(|(_, value)| *value),
    })
}

/// An HTTP check for one asset.
fn http_probe(http: &HttpCheck, asset: &str, address: &str, timeout: Duration) -> HttpProbe {
    HttpProbe {
        url: http
            .url
            .replace("{address}", address)
            .replace("{asset}", asset),
        expect_status: http.expect_status,
        body_contains: http.body_contains.clone(),
        timeout,
    }
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
