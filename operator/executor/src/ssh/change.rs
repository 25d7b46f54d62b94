//! Upgrades and roll backs over SSH: apt-get runs inside the change script, between two reads of
//! the package states, and the outcome of each package is judged from those states.

use std::time::Instant;

use patchwarden_lab::dpkg_state::parse_dpkg_query;

use crate::apt::{AptRun, apt_get_args, judge, validate_targets};
use crate::command::tail;
use crate::error::ExecError;
use crate::model::{AssetRef, ChangeKind, ChangeReport, PackageTarget};

use super::SshExecutor;
use super::scripts::{CHANGE_SCRIPT, split_sections};

/// What the change script printed, by section.
struct ChangeOutput<'a> {
    /// The package states before apt-get ran.
    before: &'a str,
    /// apt-get's output.
    apt_stdout: &'a str,
    /// apt-get's exit code, when the script could read it.
    exit_code: Option<i32>,
    /// The package states after apt-get ran.
    after: &'a str,
}

impl<'a> ChangeOutput<'a> {
    /// The sections of `stdout`; `None` when the script did not get as far as printing them.
    fn read(stdout: &'a str) -> Option<ChangeOutput<'a>> {
        let sections = split_sections(stdout);
        let before = sections.first().map(|(_, body)| *body).unwrap_or("");
        let ((_, apt_stdout), (header, after)) = (sections.get(1)?, sections.get(2)?);
        let exit_code = header
            .strip_prefix("apt-exit ")
            .and_then(|c| c.trim().parse::<i32>().ok());
        Some(ChangeOutput {
            before,
            apt_stdout,
            exit_code,
            after,
        })
    }
}

impl SshExecutor {
    /// Upgrades or rolls back `targets` on the asset in one login, one change per asset at a
    /// time.
    pub(super) async fn change(
        &self,
        asset: &AssetRef,
        kind: ChangeKind,
        targets: &[PackageTarget],
    ) -> Result<ChangeReport, ExecError> {
        validate_targets(&asset.name, targets)?;
        let remote = self.change_command(kind, targets);
        let _guard = self.locks.acquire(&asset.name).await;
        let started = Instant::now();
        let out = self.remote(asset, &remote, None).await?;
        let duration = started.elapsed();
        let Some(output) = ChangeOutput::read(&out.stdout) else {
            return Err(ExecError::Command {
                asset: asset.name.clone(),
                command: format!("{} over ssh", kind.as_str()),
                status: out.status_text(),
                stderr: tail(&format!("{}\n{}", out.stdout, out.stderr), 8),
            });
        };
        Ok(judge(&AptRun {
            asset: &asset.name,
            kind,
            targets,
            before: &parse_dpkg_query(output.before),
            after: &parse_dpkg_query(output.after),
            exit_code: output.exit_code,
            stdout: output.apt_stdout,
            stderr: &out.stderr,
            duration,
        }))
    }

    /// The remote argv: the change script with its refresh flag and apt-get's arguments.
    fn change_command(&self, kind: ChangeKind, targets: &[PackageTarget]) -> Vec<String> {
        let mut remote = vec![
            "env".to_string(),
            "DEBIAN_FRONTEND=noninteractive".to_string(),
            "LC_ALL=C.UTF-8".to_string(),
            "sh".to_string(),
            "-c".to_string(),
            CHANGE_SCRIPT.to_string(),
            "patchwarden-change".to_string(),
            if self.config.refresh_package_lists {
                "refresh".to_string()
            } else {
                "no-refresh".to_string()
            },
            // Wait for another package manager run (e.g. unattended-upgrades) instead of failing.
            "-o".to_string(),
            "DPkg::Lock::Timeout=300".to_string(),
            // Keep the local version of changed configuration files, never prompt.
            "-o".to_string(),
            "Dpkg::Options::=--force-confdef".to_string(),
            "-o".to_string(),
            "Dpkg::Options::=--force-confold".to_string(),
        ];
        remote.extend(apt_get_args(kind, targets));
        remote
    }
}
