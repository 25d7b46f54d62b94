//! Validate: a run's frozen spec into the core's rollout plan, and the MaintenanceWindow it
//! names into the gate new work waits for. A spec that fails its own checks, or a window
//! that is missing or invalid, is terminal: the run shows `Stalled` until it changes.

use patchwarden_api::maintenance_window::MaintenanceWindow;
use patchwarden_api::patch_policy::RebootPolicy;
use patchwarden_api::patch_run::PatchRun;
use patchwarden_api::time::from_k8s;
use patchwarden_api::{CheckSpec, SpecError};
use patchwarden_core::rollout::{self, RebootMode, RolloutPlan, StartGate};

use super::POLL;
use crate::controllers::error::{ReconcileError, Terminal};
use crate::controllers::maintenance_window::window_definition;
use crate::controllers::{Context, object_key};

/// What validation yields.
pub struct Validated {
    /// The core's plan for the frozen spec.
    pub plan: RolloutPlan,
    /// When new work of the run may start.
    pub gate: StartGate,
}

/// Why the window a run names cannot gate it.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// Reading the window failed; a later try may work.
    #[error("reading MaintenanceWindow {window}: {source}")]
    Read {
        window: String,
        #[source]
        source: kube::Error,
    },
    /// The window does not exist.
    #[error("spec.window: MaintenanceWindow {window:?} does not exist")]
    Missing { window: String },
    /// The window's own spec is invalid.
    #[error("MaintenanceWindow {window}: {source}")]
    Invalid {
        window: String,
        #[source]
        source: SpecError,
    },
}

impl From<WindowError> for ReconcileError {
    fn from(error: WindowError) -> Self {
        match error {
            WindowError::Read { source, .. } => {
                ReconcileError::transient("reading the run's MaintenanceWindow", source)
            }
            unusable => Terminal::reference_not_found(unusable).into(),
        }
    }
}

/// The run's plan and start gate, or the terminal error its spec or window is.
pub async fn validate(context: &Context, run: &PatchRun) -> Result<Validated, ReconcileError> {
    if let Some(first) = run.spec_errors().into_iter().next() {
        return Err(Terminal::from(first).into());
    }
    let gate = start_gate(context, run).await?;
    Ok(Validated {
        plan: rollout_plan(run),
        gate,
    })
}

/// When new work of this run may start: any time, or inside the window it names.
async fn start_gate(context: &Context, run: &PatchRun) -> Result<StartGate, WindowError> {
    let Some(window) = &run.spec.window else {
        return Ok(StartGate::Anytime);
    };
    let found = context
        .api_for::<MaintenanceWindow, _>(run)
        .get_opt(window)
        .await
        .map_err(|source| WindowError::Read {
            window: window.clone(),
            source,
        })?
        .ok_or_else(|| WindowError::Missing {
            window: window.clone(),
        })?;
    let definition = window_definition(&found.spec).map_err(|source| WindowError::Invalid {
        window: window.clone(),
        source,
    })?;
    Ok(StartGate::Windows(vec![definition]))
}

/// The core's plan for a run's frozen spec.
pub fn rollout_plan(run: &PatchRun) -> RolloutPlan {
    let spec = &run.spec;
    let waves = waves(run);
    let pause_between_waves = spec
        .limits
        .pause_between_waves
        .as_ref()
        .and_then(|d| d.parse().ok())
        .unwrap_or_default();
    RolloutPlan {
        run_id: object_key(run),
        estimated_duration: rollout::run_duration(&waves, pause_between_waves),
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
        pause_between_waves,
        rollback_on_failure: spec.limits.rollback_on_failure,
        poll_interval: patchwarden_core::Duration::from_secs(POLL.as_secs()),
        start_deadline: spec.start_deadline.as_ref().map(from_k8s),
        reboot: reboot_mode(spec.limits.reboot),
    }
}

/// The core's reboot mode for the run's frozen `limits.reboot`.
pub fn reboot_mode(reboot: RebootPolicy) -> RebootMode {
    match reboot {
        RebootPolicy::Never => RebootMode::Never,
        RebootPolicy::IfRequired => RebootMode::IfRequired,
        RebootPolicy::Always => RebootMode::Always,
    }
}

/// The run's waves; a spec without waves is one wave of every asset.
fn waves(run: &PatchRun) -> Vec<rollout::Wave> {
    let spec = &run.spec;
    if spec.waves.is_empty() {
        return vec![rollout::Wave {
            index: 0,
            canary: false,
            assets: spec.assets.iter().map(|a| a.name.clone()).collect(),
            estimated_duration: patchwarden_core::Duration::ZERO,
        }];
    }
    spec.waves
        .iter()
        .enumerate()
        .map(|(index, w)| rollout::Wave {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            canary: w.canary,
            assets: w.assets.clone(),
            // Checked with the spec; a run written without estimates expects nothing.
            estimated_duration: w
                .estimated_duration
                .as_ref()
                .and_then(|d| d.parse().ok())
                .unwrap_or_default(),
        })
        .collect()
}
