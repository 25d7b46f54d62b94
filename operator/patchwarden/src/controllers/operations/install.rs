//! Install: the patch step runs the health checks as a baseline, then installs the planned
//! `to` versions (after the pre-patch hooks); the roll back step restores the recorded `from` versions. Both install exact versions,
//! so a repeated request finds the packages already at their target and changes nothing.

use patchwarden_api::patch_run::PackageResult;
use patchwarden_executor::{ChangeReport, PackageTarget};

use super::health::run_checks;
use super::hooks::{HookStage, run_hooks};
use super::sources;
use super::{OperationDetails, OperationRequest};

/// Which versions an install moves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The planned versions.
    Upgrade,
    /// The versions recorded before the upgrade.
    RollBack,
}

impl Direction {
    fn verb(self) -> &'static str {
        match self {
            Direction::Upgrade => "upgrade",
            Direction::RollBack => "roll back",
        }
    }
}

/// Installs the planned versions in `direction`.
pub async fn install(
    request: &OperationRequest,
    direction: Direction,
) -> Result<OperationDetails, OperationDetails> {
    let targets: Vec<PackageTarget> = request
        .planned
        .packages
        .iter()
        .map(|p| {
            let version = match direction {
                Direction::Upgrade => &p.to,
                Direction::RollBack => &p.from,
            };
            PackageTarget::new(p.name.clone(), version.clone())
        })
        .collect();
    let mut baseline = Vec::new();
    let mut measured = Vec::new();
    if direction == Direction::Upgrade {
        baseline = run_checks(request).await;
        measured = super::measure::values(super::measure::measure(request).await);
        run_hooks(request, HookStage::PrePatch)
            .await
            .map_err(|e| OperationDetails {
                health_baseline: baseline.clone(),
                ..OperationDetails::failure(e)
            })?;
    }
    let outcome = match direction {
        Direction::Upgrade => request.executor.upgrade(&request.target, &targets).await,
        Direction::RollBack => request.executor.roll_back(&request.target, &targets).await,
    };
    let verb = direction.verb();
    let report = outcome.map_err(|e| OperationDetails {
        health_baseline: baseline.clone(),
        ..OperationDetails::failure(format!("{}: {verb} failed: {e}", request.asset_name))
    })?;
    let packages = package_results(request, &report);
    if !report.succeeded() {
        let detail = report
            .failure_message()
            .unwrap_or_else(|| String::from("unknown failure"));
        return Err(OperationDetails {
            packages,
            message: format!(
                "{} ({}): {verb} failed: {detail}",
                request.asset_name, request.target.name
            ),
            health_baseline: baseline,
            ..OperationDetails::default()
        });
    }
    let message = match direction {
        Direction::Upgrade => format!(
            "{}: upgraded {} packages",
            request.asset_name,
            packages.len()
        ),
        Direction::RollBack => format!(
            "{}: rolled back {} packages to their recorded versions",
            request.asset_name,
            packages.len()
        ),
    };
    let message = message + &baseline_note(&baseline);
    let sources = match direction {
        Direction::Upgrade => sources::installed_from(request, &packages).await,
        Direction::RollBack => Vec::new(),
    };
    Ok(OperationDetails {
        packages,
        sources,
        message,
        health_baseline: baseline,
        health_values: measured,
        ..OperationDetails::default()
    })
}

/// The checks that already fail before patching, as a note on the patch step's message.
fn baseline_note(baseline: &[(String, patchwarden_core::rollout::CheckOutcome)]) -> String {
    baseline
        .iter()
        .filter_map(|(name, outcome)| match outcome {
            patchwarden_core::rollout::CheckOutcome::Failed { detail } => Some(format!(
                "; health check {name} already fails before patching: {detail}"
            )),
            patchwarden_core::rollout::CheckOutcome::Unreachable { detail } => Some(format!(
                "; health check {name} cannot be made before patching: {detail}"
            )),
            patchwarden_core::rollout::CheckOutcome::Passed => None,
        })
        .collect()
}

/// The version before and after of each planned package, as the executor reported it.
fn package_results(request: &OperationRequest, report: &ChangeReport) -> Vec<PackageResult> {
    request
        .planned
        .packages
        .iter()
        .map(|p| {
            let outcome = report.outcomes.iter().find(|o| o.package == p.name);
            PackageResult {
                name: p.name.clone(),
                before: Some(p.from.clone()),
                after: outcome
                    .and_then(|o| o.after.as_ref())
                    .map(|a| a.version.clone()),
            }
        })
        .collect()
}
