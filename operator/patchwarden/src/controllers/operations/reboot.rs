//! Reboot: after a successful install, reboot the asset when the run's mode says so —
//! `Always`, or `IfRequired` and the asset's inventory after the install says a reboot is
//! required — and wait for it to answer with a new boot id. Verification runs after this step.
//!
//! Crash safety: the boot id before the reboot is recorded on the Asset (annotation
//! [`REBOOT_ANNOTATION`], with the run) before the reboot command runs. A restarted operator
//! asks for the step again; finding the record, it does not decide again but hands the recorded
//! boot id to the executor, which does not reboot again when the current boot id differs.

use std::time::Duration;

use kube::Api;
use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use patchwarden_api::asset::Asset;
use patchwarden_core::rollout::{RebootMode, should_reboot};
use patchwarden_executor::RebootRequest;
use serde::{Deserialize, Serialize};

use super::{OperationDetails, OperationRequest};

/// Annotation of an Asset: the boot id recorded before a run rebooted it (JSON, with the run).
pub const REBOOT_ANNOTATION: &str = "patchwarden.io/reboot";

/// What the annotation holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordedBoot {
    /// `namespace/name` of the run that rebooted the asset.
    run: String,
    /// The boot id before the reboot.
    boot_id: String,
}

/// The reboot settings of a run, for one asset.
pub struct RebootSettings {
    /// The run's frozen `limits.reboot`.
    pub mode: RebootMode,
    /// The run's `limits.rebootTimeout`, resolved.
    pub timeout: Duration,
    /// The run's `limits.rebootCommand`, resolved.
    pub command: Vec<String>,
    /// Where the boot id is recorded before the reboot command runs.
    pub record: BootIdRecord,
}

/// The Asset the boot id is recorded on, for one run.
pub struct BootIdRecord {
    /// The Assets of the run's namespace.
    pub api: Api<Asset>,
    /// The Asset's name.
    pub asset: String,
    /// `namespace/name` of the run.
    pub run: String,
    /// The boot id already recorded on the Asset for this run, if any.
    pub recorded: Option<String>,
}

impl BootIdRecord {
    /// The record for `run` on `asset`, reading what the Asset already holds.
    pub fn new(api: Api<Asset>, asset: &Asset, run: &str) -> BootIdRecord {
        BootIdRecord {
            api,
            asset: asset.name_any(),
            run: run.to_string(),
            recorded: recorded_boot_id(asset, run),
        }
    }

    /// Writes the boot id on the Asset.
    async fn write(&self, boot_id: &str) -> Result<(), kube::Error> {
        let record = RecordedBoot {
            run: self.run.clone(),
            boot_id: boot_id.to_string(),
        };
        let value = serde_json::to_string(&record).unwrap_or_default();
        let patch = serde_json::json!({"metadata": {"annotations": {REBOOT_ANNOTATION: value}}});
        self.api
            .patch(&self.asset, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ())
    }
}

/// The boot id an Asset records for `run`, if it records one.
pub fn recorded_boot_id(asset: &Asset, run: &str) -> Option<String> {
    let text = asset.annotations().get(REBOOT_ANNOTATION)?;
    let record: RecordedBoot = serde_json::from_str(text).ok()?;
    (record.run == run).then_some(record.boot_id)
}

/// Reboots the asset if its run's mode and its inventory ask for it.
pub async fn reboot(request: &OperationRequest) -> Result<OperationDetails, OperationDetails> {
    let asset = &request.asset_name;
    let Some(settings) = &request.reboot else {
        return Err(OperationDetails::failure(format!(
            "{asset}: reboot asked for without the run's reboot settings"
        )));
    };
    let boot_id_before = match &settings.record.recorded {
        // This run recorded a boot id already: the reboot was decided and may have happened.
        Some(recorded) => recorded.clone(),
        None => {
            if let Some(skipped) = not_needed(request, settings.mode).await? {
                return Ok(OperationDetails {
                    message: skipped,
                    ..OperationDetails::default()
                });
            }
            let boot_id = request
                .executor
                .boot_id(&request.target)
                .await
                .map_err(|e| failure(asset, "cannot read the boot id", e))?;
            settings
                .record
                .write(&boot_id)
                .await
                .map_err(|e| failure(asset, "cannot record the boot id on the Asset", e))?;
            boot_id
        }
    };
    let mut reboot = RebootRequest::new(settings.timeout);
    reboot.command = settings.command.clone();
    reboot.boot_id_before = Some(boot_id_before);
    let report = request
        .executor
        .reboot(&request.target, &reboot)
        .await
        .map_err(|e| failure(asset, "reboot failed", e))?;
    let how = if report.issued {
        "rebooted"
    } else {
        "had already rebooted"
    };
    Ok(OperationDetails {
        rebooted: true,
        message: format!(
            "{asset}: {how} in {:.1}s (boot id {} -> {})",
            report.duration.as_secs_f64(),
            report.boot_id_before,
            report.boot_id_after
        ),
        ..OperationDetails::default()
    })
}

/// Why no reboot is needed (`IfRequired` and the inventory after the install requires none),
/// or `None` when the asset is to be rebooted.
async fn not_needed(
    request: &OperationRequest,
    mode: RebootMode,
) -> Result<Option<String>, OperationDetails> {
    let asset = &request.asset_name;
    let required = match mode {
        RebootMode::IfRequired => {
            request
                .executor
                .collect_inventory(&request.target)
                .await
                .map_err(|e| failure(asset, "cannot read whether a reboot is required", e))?
                .reboot_required
        }
        RebootMode::Never | RebootMode::Always => false,
    };
    if should_reboot(mode, required) {
        return Ok(None);
    }
    let expected = if request.planned.reboot_expected {
        " (the plan expected one)"
    } else {
        ""
    };
    Ok(Some(format!(
        "{asset}: not rebooted: reboot is {mode} and the asset requires no reboot after the install{expected}"
    )))
}

/// A failed step's details, naming the asset and what failed.
fn failure(asset: &str, what: &str, error: impl std::fmt::Display) -> OperationDetails {
    OperationDetails::failure(format!("{asset}: {what}: {error}"))
}

#[cfg(test)]
#[path = "reboot_tests.rs"]
mod tests;
