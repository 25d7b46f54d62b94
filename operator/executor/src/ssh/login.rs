//! One remote command over one ssh login: the local `ssh` argv (pinned host keys, no user
//! configuration, the remote argv quoted into one line) and what ssh's own failures mean.

use std::time::Duration;

use crate::command::{CommandOutput, CommandSpec, run, tail};
use crate::error::ExecError;
use crate::model::AssetRef;
use crate::quote::command_line;

use super::SshExecutor;
use super::config::SudoMode;
use super::destination::{validate_address, validate_user};

impl SshExecutor {
    /// The local `ssh` argv running `remote` (an argv) on `asset`.
    pub fn ssh_command(
        &self,
        asset: &AssetRef,
        remote: &[String],
    ) -> Result<CommandSpec, ExecError> {
        let invalid = |field: &str, reason: String| ExecError::InvalidRequest {
            asset: asset.name.clone(),
            field: field.to_string(),
            reason,
        };
        let address = asset.address.as_deref().unwrap_or(&asset.name);
        validate_address(address).map_err(|r| invalid("address", r.to_string()))?;
        let user = asset.user.as_deref().unwrap_or(&self.config.default_user);
        validate_user(user).map_err(|r| invalid("user", r.to_string()))?;
        let port = asset.port.unwrap_or(self.config.default_port);
        let mut argv: Vec<String> = Vec::new();
        let sudo = match self.config.sudo {
            SudoMode::Never => false,
            SudoMode::Always => true,
            SudoMode::WhenNotRoot => user != "root",
        };
        if sudo {
            // `--` ends sudo's options: the command can never be read as one.
            argv.extend(["sudo".to_string(), "-n".to_string(), "--".to_string()]);
        }
        argv.extend(remote.iter().cloned());
        let line = command_line(&argv).map_err(|e| invalid("command", e.to_string()))?;
        let option = |o: String| ["-o".to_string(), o];
        let spec = CommandSpec::new(self.config.program.display().to_string())
            // No user or system ssh_config: only what is set here applies.
            .args(["-F".to_string(), "/dev/null".to_string()])
            .args(option("BatchMode=yes".into()))
            .args(option("StrictHostKeyChecking=yes".into()))
            .args(option(format!(
                "UserKnownHostsFile={}",
                self.config.known_hosts.display()
            )))
            .args(option("GlobalKnownHostsFile=/dev/null".into()))
            .args(option("IdentitiesOnly=yes".into()))
            .args(option(format!(
                "ConnectTimeout={}",
                self.config.connect_timeout.as_secs().max(1)
            )))
            .args(option("LogLevel=ERROR".into()))
            .arg("-i")
            .arg(self.config.identity_file.display().to_string())
            .arg("-p")
            .arg(port.to_string())
            .arg("-l")
            .arg(user.to_string())
            .arg("--")
            .arg(address.to_string())
            .arg(line);
        Ok(spec)
    }

    /// Runs `remote` on the asset; connection and authentication failures become errors.
    pub(super) async fn remote(
        &self,
        asset: &AssetRef,
        remote: &[String],
        limit: Option<Duration>,
    ) -> Result<CommandOutput, ExecError> {
        self.remote_operation(asset, "remote command", remote, limit)
            .await
    }

    /// Runs `remote` on the asset within one of the executor's sessions and within `limit`.
    /// A timeout names the asset and `operation`, never the command's arguments.
    pub(super) async fn remote_operation(
        &self,
        asset: &AssetRef,
        operation: &str,
        remote: &[String],
        limit: Option<Duration>,
    ) -> Result<CommandOutput, ExecError> {
        let spec = self.ssh_command(asset, remote)?;
        // The semaphore is never closed; should it be, running without a permit is no worse.
        let _session = self.sessions.acquire().await.ok();
        let out = match run(&asset.name, &spec, limit).await {
            Ok(out) => out,
            Err(ExecError::Timeout { asset, after, .. }) => {
                return Err(ExecError::Timeout {
                    asset,
                    command: operation.to_string(),
                    after,
                });
            }
            Err(other) => return Err(other),
        };
        if out.exit_code == Some(255) {
            return Err(connection_error(&asset.name, &out.stderr));
        }
        Ok(out)
    }
}

/// ssh exits 255 for its own failures: a host key or authentication problem is a
/// configuration error; anything else means the asset could not be reached.
pub(super) fn connection_error(asset: &str, stderr: &str) -> ExecError {
    let reason = tail(stderr, 4);
    let configuration = [
        "Host key verification failed",
        "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "Permission denied",
        "No such file or directory",
    ];
    if configuration.iter().any(|c| stderr.contains(c)) {
        ExecError::Ssh {
            asset: asset.to_string(),
            reason,
        }
    } else {
        ExecError::Unreachable {
            asset: asset.to_string(),
            reason: if reason.is_empty() {
                "ssh exited 255".to_string()
            } else {
                reason
            },
        }
    }
}
