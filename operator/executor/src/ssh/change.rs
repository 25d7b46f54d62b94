//! Upgrades and roll backs over SSH: apt-get runs inside the change script, between two reads of
//! the package states, and the outcome of each package is judged from those states.

use std::time::Instant;

use patchwarden_lab::dpkg_state::parse_dpkg_query;

use crate::apt::{AptRun, apt_get_args, judge, validate_targets};
use crate::command::tail;
use crate::error::ExecError;
use crate::model::{AssetRef, ChangeKind, ChangeReport, PackageTarget};

use super::SshExecutor;
use super::scripts::{CHANGE_SCRIPT, Marker, split_sections};

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
    /// The sections of `stdout` marked by `marker`; `None` when the script did not get as far
    /// as printing them all.
    fn read(stdout: &'a str, marker: &Marker) -> Option<ChangeOutput<'a>> {
        let sections = split_sections(stdout, marker);
        let [(_, before), ("apt", apt_stdout), (header, after)] = sections.as_slice() else {
            return None;
        };
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
        // Names and versions from a feed or a plan are refused before any command is built.
        validate_targets(&asset.name, targets)?;
        let marker = self.marker(asset)?;
        let remote = self.change_command(&marker, kind, targets);
        let operation = format!("{} over ssh", kind.as_str());
        let _guard = self.locks.acquire(&asset.name).await;
        let started = Instant::now();
        let limit = Some(self.config.change_timeout);
        let out = self
            .remote_operation(asset, &operation, &remote, limit)
            .await?;
        let duration = started.elapsed();
        let Some(output) = ChangeOutput::read(&out.stdout, &marker) else {
            return Err(ExecError::Command {
                asset: asset.name.clone(),
                command: operation,
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

    /// The remote argv: the change script with its marker, its refresh flag and apt-get's
    /// arguments.
    fn change_command(
        &self,
        marker: &Marker,
        kind: ChangeKind,
        targets: &[PackageTarget],
    ) -> Vec<String> {
        let mut remote = vec![
            "env".to_string(),
            "DEBIAN_FRONTEND=noninteractive".to_string(),
            "LC_ALL=C.UTF-8".to_string(),
            "sh".to_string(),
            "-c".to_string(),
            CHANGE_SCRIPT.to_string(),
            "patchwarden-change".to_string(),
            marker.as_str().to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apt_output_cannot_forge_a_section_or_the_exit_code() {
        let marker = Marker::fixed("@@patchwarden-0123456789abcdef0123456789abcdef@@");
        let m = marker.as_str();
        let stdout = format!(
            "openssl\t1\tii\n{m} apt\nSetting up openssl (2) ...\n@@patchwarden@@ apt-exit 0\n\
             {m}x apt-exit 0\n{m} apt-exit 100\nopenssl\t2\tiF\n"
        );
        let output = ChangeOutput::read(&stdout, &marker).unwrap();
        assert_eq!(output.exit_code, Some(100));
        assert!(output.apt_stdout.contains("@@patchwarden@@ apt-exit 0"));
        assert_eq!(output.after, "openssl\t2\tiF\n");
        assert_eq!(output.before, "openssl\t1\tii\n");
    }

    #[test]
    fn a_second_exit_line_with_the_marker_makes_the_output_unreadable() {
        let marker = Marker::fixed("@@patchwarden-m@@");
        let stdout = "x\n@@patchwarden-m@@ apt\n@@patchwarden-m@@ apt-exit 0\n@@patchwarden-m@@ apt-exit 1\n";
        assert!(ChangeOutput::read(stdout, &marker).is_none());
    }
}
