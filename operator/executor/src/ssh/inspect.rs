//! Looking at an asset over SSH without changing it: whether it answers, its inventory, and
//! health checks (a given command, or by default the state of every installed package).

use std::time::Instant;

use patchwarden_lab::dpkg_state::parse_dpkg_query;

use crate::command::{CommandOutput, tail};
use crate::error::ExecError;
use crate::model::{AssetRef, HealthCheck, HealthReport, Inventory};

use super::SshExecutor;
use super::scripts::{INVENTORY_SCRIPT, INVENTORY_SECTIONS, STATE_SCRIPT, split_sections};

impl SshExecutor {
    /// Runs `true`; no answer within twice the connect timeout means unreachable.
    pub(super) async fn reachable(&self, asset: &AssetRef) -> Result<(), ExecError> {
        let out = self
            .remote_operation(
                asset,
                "reachability check",
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
        let marker = self.marker(asset)?;
        let remote = [
            "sh".to_string(),
            "-c".to_string(),
            INVENTORY_SCRIPT.to_string(),
            "patchwarden-inventory".to_string(),
            marker.as_str().to_string(),
        ];
        let limit = Some(self.config.inventory_timeout);
        let out = self
            .remote_operation(asset, "inventory over ssh", &remote, limit)
            .await?;
        let sections = split_sections(&out.stdout, &marker);
        let headers: Vec<&str> = sections.iter().skip(1).map(|(h, _)| *h).collect();
        if !out.success() || headers != INVENTORY_SECTIONS {
            return Err(ExecError::Command {
                asset: asset.name.clone(),
                command: "inventory over ssh".into(),
                status: out.status_text(),
                stderr: tail(&out.stderr, 6),
            });
        }
        let body = |i: usize| sections[i].1;
        Ok(Inventory::from_parts(
            &asset.name,
            body(0).to_string(),
            body(1).to_string(),
            body(2).trim() == "yes",
            body(3),
        )
        .with_platform(body(4), body(5)))
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
        let limit = Some(check.timeout);
        let out = match self
            .remote_operation(asset, "health check", &remote, limit)
            .await
        {
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
pub(crate) fn package_states_verdict(out: &CommandOutput) -> (bool, String) {
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
