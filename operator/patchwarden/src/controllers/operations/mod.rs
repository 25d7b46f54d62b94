//! Asset operations of PatchRuns — patch, reboot, verify, roll back — run through the executors on
//! their own tasks, and the [`Journal`] the rollout state machine observes them in.
//!
//! Each operation has the stable id the core derives from run, asset and step; starting an
//! id the journal already holds does nothing, so a decision made twice acts once.

mod drain;
mod health;
mod hooks;
mod install;
mod journal;
mod measure;
mod node_api;
mod reboot;
mod sources;
mod verify;

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use patchwarden_api::patch_run::PlannedAsset;
use patchwarden_core::rollout::CheckOutcome;
use patchwarden_executor::{AssetRef, Executor, HealthCheck};

use install::Direction;

pub use drain::{DRAIN_BLOCKED, NodeDrain, REBOOT_LEASE};
pub use health::{HttpProbe, Probe, RunCheck, http_client};
pub use hooks::{HookError, HookStage};
pub use journal::{Journal, OperationDetails};
pub use node_api::patch_unschedulable;
pub use reboot::{BootIdRecord, REBOOT_ANNOTATION, RebootSettings, recorded_boot_id};
pub use verify::HealthCheckFailed;

/// Which step an operation performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Install the planned versions.
    Patch,
    /// Reboot when the run's mode and the asset's inventory ask for it.
    Reboot,
    /// Re-inventory, confirm the planned versions and run health checks.
    Verify,
    /// Restore the recorded versions.
    RollBack,
}

/// Everything an operation needs.
pub struct OperationRequest {
    /// `namespace/name` of the run.
    pub run: String,
    /// Operation id.
    pub id: String,
    /// The step.
    pub step: StepKind,
    /// The asset's name (for messages).
    pub asset_name: String,
    /// Where the executor acts.
    pub target: AssetRef,
    /// The executor.
    pub executor: Arc<dyn Executor>,
    /// The asset's part of the plan.
    pub planned: PlannedAsset,
    /// Health checks from the run's limits: commands and HTTP requests.
    pub health_checks: Vec<RunCheck>,
    /// For a verification: each check's outcome before patching (what the patch step found).
    pub baseline: Vec<(String, CheckOutcome)>,
    /// Whether the lab's own health check runs too.
    pub default_health_check: bool,
    /// Hook commands run on the asset before patching (a failure fails the asset untouched).
    pub pre_patch: Vec<(String, HealthCheck)>,
    /// Hook commands run on the asset after verification (a failure fails the asset).
    pub post_patch: Vec<(String, HealthCheck)>,
    /// For a reboot step: the run's reboot settings and where the boot id is recorded.
    pub reboot: Option<RebootSettings>,
    /// For a `node` Asset whose policy drains: how its patch and reboot steps drain the Node.
    pub drain: Option<NodeDrain>,
}

/// Starts `request` unless its id is already known; returns whether it started.
pub fn start(journal: &Arc<Journal>, request: OperationRequest) -> bool {
    if !journal.begin(&request.id) {
        return false;
    }
    let journal = journal.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let run = request.run.clone();
        let id = request.id.clone();
        let result = match (request.step, &request.drain) {
            (StepKind::Patch, Some(node)) => drain::patch_node(&request, node).await,
            (StepKind::Reboot, Some(node)) => drain::reboot_node(&request, node).await,
            (step, _) => run_step(&request, step).await,
        };
        let stamp = |mut d: OperationDetails| {
            d.duration = started.elapsed();
            d.finished_at = Some(Utc::now());
            d
        };
        let result = result.map(stamp).map_err(stamp);
        match &result {
            Ok(d) => tracing::info!(operation = %id, message = %d.message, "operation succeeded"),
            Err(d) => tracing::warn!(operation = %id, message = %d.message, "operation failed"),
        }
        journal.finish(&run, &id, result);
    });
    true
}

/// A step as every asset takes it.
async fn run_step(
    request: &OperationRequest,
    step: StepKind,
) -> Result<OperationDetails, OperationDetails> {
    match step {
        StepKind::Patch => install::install(request, Direction::Upgrade).await,
        StepKind::RollBack => install::install(request, Direction::RollBack).await,
        StepKind::Reboot => reboot::reboot(request).await,
        StepKind::Verify => verify::verify(request).await,
    }
}
