//! Reboots of lab hosts. The reboot command is not run (a lab host is a directory on this
//! machine); the host gets a new boot id and loses its reboot-required markers at once,
//! through [`patchwarden_lab::LabHost::reboot`], so the controller's path — boot id before,
//! reboot, boot id after — is the one it takes on real hosts.

use std::time::Instant;

use patchwarden_lab::LabError;

use super::LabExecutor;
use crate::error::ExecError;
use crate::model::AssetRef;
use crate::reboot::{RebootReport, RebootRequest};

impl LabExecutor {
    /// The host's current boot id.
    pub(super) async fn read_boot_id(&self, asset: &AssetRef) -> Result<String, ExecError> {
        let host = self.reach(asset)?;
        let _guard = self.locks.acquire(&host.name).await;
        host.boot_id().map_err(|e| lab_error(&asset.name, e))
    }

    /// Reboots the host unless its boot id already differs from the recorded one.
    pub(super) async fn reboot_host(
        &self,
        asset: &AssetRef,
        request: &RebootRequest,
    ) -> Result<RebootReport, ExecError> {
        request.validate(&asset.name)?;
        let started = Instant::now();
        let host = self.reach(asset)?;
        let _guard = self.locks.acquire(&host.name).await;
        let current = host.boot_id().map_err(|e| lab_error(&asset.name, e))?;
        let report = |before: String, after: String, issued: bool| RebootReport {
            asset: asset.name.clone(),
            boot_id_before: before,
            boot_id_after: after,
            issued,
            duration: started.elapsed(),
        };
        match &request.boot_id_before {
            Some(recorded) if *recorded != current => Ok(report(recorded.clone(), current, false)),
            _ => {
                let after = host.reboot().map_err(|e| lab_error(&asset.name, e))?;
                Ok(report(current, after, true))
            }
        }
    }
}

/// A lab failure while reading or writing the host's boot state.
fn lab_error(asset: &str, error: LabError) -> ExecError {
    match error {
        LabError::Io {
            path,
            action,
            source,
        } => ExecError::Io {
            asset: asset.to_string(),
            action,
            path,
            source,
        },
        other => ExecError::Command {
            asset: asset.to_string(),
            command: "lab reboot".to_string(),
            status: "failed".to_string(),
            stderr: other.to_string(),
        },
    }
}
