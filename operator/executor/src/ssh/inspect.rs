//! Looking at an asset over SSH without changing it: whether it answers, its inventory, and
//! health checks (a given command, or by default the state of every installed package).

use std::time::Instant;

use patchwarden_lab::dpkg_state::parse_dpkg_query;

use crate::command::{CommandOutput, tail};
use crate::error::ExecError;
use crate::model::{AssetRef, HealthCheck, HealthReport, Inventory};

use super::SshExecutor;
use super::scripts::{INVENTORY_SCRIPT, STATE_SCRIPT, split_sections};

impl SshExecutor {
    /// Runs `true`; no answer within twice the connect timeout means unreachable.
    pub(super) async fn reachable(&self, asset: &AssetRef) -> Result<(), ExecError> {
        let out = self
            .remote(
                asset,
                &["true".to_string()],
                Some(self.config.connect_timeout * 2),
            )
            .await;
        match out {
            Ok(o) if o.success() => Ok(()),
            Ok(o) => Err(ExecError::Command {
                asset: asset.name.clone(),
                command: "true".into(),
                status: o.status_text(),
                stderr: tail(&o.stderr, 4),
            }),
            Err(ExecError::Timeout { after, .. }) => Err(ExecError::Unreachable {
                asset: asset.name.clone(),
                reason: format!("no answer within {after:?}"),
            }),
            Err(e) => Err(e),
        }
    }

    /// The inventory, read by the inventory script in one login.
    pub(super) async fn read_inventory(&self, asset: &AssetRef) -> Result<Inventory, ExecError> {
        let remote = [
            "sh".to_string(),
            "-c".to_string(),
            INVENTORY_SCRIPT.to_string(),
        ];
        let out = self.remote(asset, &remote, None).await?;
        let sections = split_sections(&out.stdout);
        if !out.success() || sections.len() != 4 {
            return Err(ExecError::Command {
                asset: asset.name.clone(),
                command: "inventory over ssh".into(),
                status: out.status_text(),
                stderr: tail(&out.stderr, 6),
            });
        }
        Ok(Inventory::from_parts(
            &asset.name,
            sections[0].1.to_string(),
            sections[1].1.to_string(),
            sections[2].1.trim() == "yes",
            sections[3].1,
        ))
    }

    /// Runs the check's command, or reads the package states when it has none; a timeout is an
    /// unhealthy report rather than an error.
    pub(super) async fn run_health_check(
        &self,
        asset: &AssetRef,
        check: &HealthCheck,
    ) -> Result<HealthReport, ExecError> {
        let builtin = check.command.is_empty();
        let remote = if builtin {
            vec!["sh".to_string(), "-c".to_string(), STATE_SCRIPT.to_string()]
        } else {
            check.command.clone()
        };
        let started = Instant::now();
        let out = match self.remote(asset, &remote, Some(check.timeout)).await {
            Ok(out) => out,
            Err(ExecError::Timeout { after, .. }) => {
                return Ok(HealthReport::timed_out(
                    &asset.name,
                    after,
                    started.elapsed(),
                ));
            }
            Err(e) => return Err(e),
        };
        let (healthy, output) = if builtin {
            package_states_verdict(&out)
        } else {
            (
                out.success(),
                tail(&format!("{}\n{}", out.stdout, out.stderr), 12),
            )
        };
        Ok(HealthReport {
            asset: asset.name.clone(),
            healthy,
            exit_code: out.exit_code,
            output,
            duration: out.duration,
        })
    }
}

/// The built-in check: healthy when every package is fully installed (or cleanly absent), with
/// the ones that are not named.
fn package_states_verdict(out: &CommandOutput) -> (bool, String) {
    let broken: Vec<String> = parse_dpkg_query(&out.stdout)
        .into_iter()
        .filter(|p| !matches!(p.status.as_str(), "ii" | "rc" | "un" | "pn"))
        .map(|p| format!("{} {} {}", p.package, p.version, p.status))
        .collect();
    if out.success() && broken.is_empty() {
        (true, "all packages fully installed".to_string())
    } else if broken.is_empty() {
        (false, tail(&out.stderr, 6))
    } else {
        (
            false,
            format!("packages not fully installed: {}", broken.join(", ")),
        )
    }
}
