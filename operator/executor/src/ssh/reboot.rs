//! Reboots over SSH: read the boot id, run the reboot command (a connection dropped by the
//! going-down host is expected), poll reachability until the timeout, and read the boot id
//! again — it must differ. A boot id recorded before a restart of the caller that already
//! differs from the current one means the reboot happened: it is not issued twice.

use std::time::{Duration, Instant};

use crate::command::tail;
use crate::error::ExecError;
use crate::model::AssetRef;
use crate::reboot::{RebootReport, RebootRequest, parse_boot_id};

use super::SshExecutor;

/// Reads the boot id, under `DPKG_ROOT` when the login sets one (lab hosts behind sshd).
const BOOT_ID_SCRIPT: &str = r#"cat "${DPKG_ROOT:-}/proc/sys/kernel/random/boot_id""#;

/// How long issuing the command may take before the going-down host is assumed to have
/// dropped the connection without closing it.
const ISSUE_LIMIT: Duration = Duration::from_secs(30);

/// What the last poll of a rebooting asset saw.
enum Seen {
    Nothing,
    SameBoot,
}

impl SshExecutor {
    /// The asset's current boot id.
    pub(super) async fn read_boot_id(&self, asset: &AssetRef) -> Result<String, ExecError> {
        let remote = [
            "sh".to_string(),
            "-c".to_string(),
            BOOT_ID_SCRIPT.to_string(),
        ];
        let limit = Some(self.config.connect_timeout * 2);
        let out = match self.remote(asset, &remote, limit).await {
            Err(ExecError::Timeout { after, .. }) => {
                return Err(ExecError::Unreachable {
                    asset: asset.name.clone(),
                    reason: format!("no answer within {after:?}"),
                });
            }
            other => other?,
        };
        if !out.success() {
            return Err(ExecError::Command {
                asset: asset.name.clone(),
                command: "read /proc/sys/kernel/random/boot_id".into(),
                status: out.status_text(),
                stderr: tail(&out.stderr, 4),
            });
        }
        parse_boot_id(&asset.name, &out.stdout)
    }

    /// Reboots the asset and waits for it to answer with a new boot id.
    pub(super) async fn reboot_asset(
        &self,
        asset: &AssetRef,
        request: &RebootRequest,
    ) -> Result<RebootReport, ExecError> {
        request.validate(&asset.name)?;
        let _guard = self.locks.acquire(&asset.name).await;
        let started = Instant::now();
        let before = match &request.boot_id_before {
            Some(recorded) => match self.read_boot_id(asset).await {
                Ok(current) if current != *recorded => {
                    return Ok(RebootReport {
                        asset: asset.name.clone(),
                        boot_id_before: recorded.clone(),
                        boot_id_after: current,
                        issued: false,
                        duration: started.elapsed(),
                    });
                }
                Ok(_) => recorded.clone(),
                // Down: most likely still rebooting from the recorded request; wait for it.
                Err(e) if e.is_unreachable() => {
                    return self
                        .await_new_boot(asset, request, recorded, started, false)
                        .await;
                }
                Err(e) => return Err(e),
            },
            None => self.read_boot_id(asset).await?,
        };
        self.issue(asset, &request.command).await?;
        self.await_new_boot(asset, request, &before, started, true)
            .await
    }

    /// Runs the reboot command. The host going down may cut the connection (ssh exits 255) or
    /// leave it hanging: both mean the command was delivered.
    async fn issue(&self, asset: &AssetRef, command: &[String]) -> Result<(), ExecError> {
        match self.remote(asset, command, Some(ISSUE_LIMIT)).await {
            Ok(out) if out.success() => Ok(()),
            Ok(out) => Err(ExecError::Command {
                asset: asset.name.clone(),
                command: crate::command::withheld(command.first().map_or("", String::as_str)),
                status: out.status_text(),
                stderr: tail(&out.stderr, 4),
            }),
            Err(ExecError::Unreachable { .. } | ExecError::Timeout { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Polls until the asset answers with a boot id other than `before`, or the timeout.
    async fn await_new_boot(
        &self,
        asset: &AssetRef,
        request: &RebootRequest,
        before: &str,
        started: Instant,
        issued: bool,
    ) -> Result<RebootReport, ExecError> {
        // What the last look saw: a host that answered with the old boot id and then went
        // down for good did reboot (or tried to) and never came back.
        let mut seen = Seen::Nothing;
        while started.elapsed() < request.timeout {
            tokio::time::sleep(request.poll_interval).await;
            if self.reachable(asset).await.is_err() {
                seen = Seen::Nothing;
                continue;
            }
            match self.read_boot_id(asset).await {
                Ok(after) if after != before => {
                    return Ok(RebootReport {
                        asset: asset.name.clone(),
                        boot_id_before: before.to_string(),
                        boot_id_after: after,
                        issued,
                        duration: started.elapsed(),
                    });
                }
                // Not down yet, or never went down: look again until the timeout.
                Ok(_) => seen = Seen::SameBoot,
                Err(e) if e.is_unreachable() => seen = Seen::Nothing,
                Err(e) => return Err(e),
            }
        }
        Err(match seen {
            Seen::SameBoot => ExecError::NotRebooted {
                asset: asset.name.clone(),
                boot_id: before.to_string(),
                after: request.timeout,
            },
            Seen::Nothing => ExecError::RebootTimeout {
                asset: asset.name.clone(),
                timeout: request.timeout,
            },
        })
    }
}
