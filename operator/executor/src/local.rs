//! The local executor: acts on the machine it runs on, with the same apt argv
//! ([`apt_get_args`]) and the same per-package verdict ([`judge`]) as the lab and SSH
//! executors. It is what `patchwarden agent` runs.
//!
//! With a host root (`/host` in a DaemonSet pod that mounts the node's root there) every
//! program runs as `chroot ROOT program args…` (argv, never a shell), so apt and dpkg use the
//! host's own configuration, database and archives; files are read under the root.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use patchwarden_lab::InstalledPackage;
use patchwarden_lab::dpkg_state::{DPKG_QUERY_FORMAT, parse_dpkg_query};

use crate::apt::{AptRun, apt_get_args, judge, validate_targets};
use crate::apt_lists::host_sources;
use crate::apt_policy::validate_packages;
use crate::command::{CommandOutput, CommandSpec, run, run_checked, run_detached, tail};
use crate::error::ExecError;
use crate::inventory_files::reboot_required;
use crate::lab::sources::read_releases;
use crate::locks::AssetLocks;
use crate::model::{
    AssetRef, ChangeKind, ChangeReport, HealthCheck, HealthReport, Inventory, PackageTarget,
};
use crate::reboot::parse_boot_id;
use crate::ssh::inspect::package_states_verdict;
use crate::{ExecFuture, Executor, HostSources, RebootReport, RebootRequest};

/// Reading a dpkg database takes milliseconds; a minute means something is stuck.
const QUERY_TIMEOUT: Duration = Duration::from_secs(60);

/// apt's option to wait for the dpkg lock instead of failing at once.
const LOCK_WAIT: &str = "DPkg::Lock::Timeout=600";

/// The kernel's id of the current boot.
const BOOT_ID_FILE: &str = "/proc/sys/kernel/random/boot_id";

/// Executor for the machine this process runs on (or the root mounted at `host_root`).
#[derive(Debug)]
pub struct LocalExecutor {
    host_root: Option<PathBuf>,
    locks: AssetLocks,
}

impl LocalExecutor {
    /// `host_root` `None` (or `/`) acts on this process's own root.
    pub fn new(host_root: Option<PathBuf>) -> LocalExecutor {
        let host_root = host_root.filter(|root| root != Path::new("/"));
        LocalExecutor {
            host_root,
            locks: AssetLocks::default(),
        }
    }

    /// A file of the host, seen from this process.
    fn host_path(&self, path: &str) -> PathBuf {
        match &self.host_root {
            Some(root) => root.join(path.trim_start_matches('/')),
            None => PathBuf::from(path),
        }
    }

    /// The command `program args` on the host: through `chroot` when there is a host root.
    pub fn command(&self, program: &str, args: &[String]) -> CommandSpec {
        match &self.host_root {
            Some(root) => CommandSpec::new("chroot")
                .arg(root.display().to_string())
                .arg(program)
                .args(args.iter().cloned())
                .labelled(program),
            None => CommandSpec::new(program).args(args.iter().cloned()),
        }
    }

    async fn query(
        &self,
        asset: &str,
        program: &str,
        args: &[String],
    ) -> Result<String, ExecError> {
        let spec = self.command(program, args);
        // An empty database exits 0 with no output; any failure is an error, never "nothing
        // installed".
        Ok(run_checked(asset, &spec, Some(QUERY_TIMEOUT)).await?.stdout)
    }

    async fn installed(&self, asset: &str) -> Result<Vec<InstalledPackage>, ExecError> {
        let args = ["-W".to_string(), format!("-f={DPKG_QUERY_FORMAT}")];
        Ok(parse_dpkg_query(
            &self.query(asset, "dpkg-query", &args).await?,
        ))
    }

    /// Upgrades or rolls back; apt runs detached so that it finishes even if the agent dies.
    async fn change(
        &self,
        asset: &AssetRef,
        kind: ChangeKind,
        targets: &[PackageTarget],
    ) -> Result<ChangeReport, ExecError> {
        validate_targets(&asset.name, targets)?;
        let _guard = self.locks.acquire(&asset.name).await;
        let before = self.installed(&asset.name).await?;
        // An apt started before this agent restarted may still hold the dpkg lock: wait for it.
        let mut args = vec!["-o".to_string(), LOCK_WAIT.to_string()];
        args.extend(apt_get_args(kind, targets));
        let spec = self.command("apt-get", &args);
        let started = Instant::now();
        let mut out = run_detached(&asset.name, &spec, &std::env::temp_dir()).await?;
        if !out.success() && out.stderr.contains("dpkg was interrupted") {
            // An earlier dpkg run was cut short: finish its configuration, as apt asks.
            let recover = self.command("dpkg", &["--configure".into(), "-a".into()]);
            let recovered = run_detached(&asset.name, &recover, &std::env::temp_dir()).await?;
            let retried = run_detached(&asset.name, &spec, &std::env::temp_dir()).await?;
            out = CommandOutput {
                stdout: format!("{}{}{}", out.stdout, recovered.stdout, retried.stdout),
                stderr: format!("{}{}{}", out.stderr, recovered.stderr, retried.stderr),
                ..retried
            };
        }
        let after = self.installed(&asset.name).await?;
        Ok(judge(&AptRun {
            asset: &asset.name,
            kind,
            targets,
            before: &before,
            after: &after,
            exit_code: out.exit_code,
            stdout: &out.stdout,
            stderr: &out.stderr,
            duration: started.elapsed(),
        }))
    }

    async fn inventory(&self, asset: &AssetRef) -> Result<Inventory, ExecError> {
        let _guard = self.locks.acquire(&asset.name).await;
        let status = self
            .query(&asset.name, "dpkg-query", &["--status".into()])
            .await?;
        let os_release = read_text(&asset.name, &self.host_path("/etc/os-release")).await?;
        let (reboot_required, pkgs) = reboot_required(
            &asset.name,
            &self.host_path("/run/reboot-required"),
            &self.host_path("/run/reboot-required.pkgs"),
        )
        .await?;
        let kernel = tokio::fs::read_to_string("/proc/sys/kernel/osrelease")
            .await
            .unwrap_or_default();
        let arch = self
            .query(&asset.name, "dpkg", &["--print-architecture".into()])
            .await
            .unwrap_or_default();
        Ok(
            Inventory::from_parts(&asset.name, os_release, status, reboot_required, &pkgs)
                .with_platform(&kernel, &arch),
        )
    }

    async fn read_boot_id(&self, asset: &AssetRef) -> Result<String, ExecError> {
        parse_boot_id(
            &asset.name,
            &read_text(&asset.name, Path::new(BOOT_ID_FILE)).await?,
        )
    }

    /// Issues the reboot unless the boot id already moved on, then waits for a new boot id
    /// (which, for a real reboot, a restarted agent reads: this process does not survive it).
    async fn reboot_host(
        &self,
        asset: &AssetRef,
        request: &RebootRequest,
    ) -> Result<RebootReport, ExecError> {
        request.validate(&asset.name)?;
        let started = Instant::now();
        let current = self.read_boot_id(asset).await?;
        let (before, issued) = match &request.boot_id_before {
            Some(before) if *before != current => (before.clone(), false),
            _ => {
                let Some((program, args)) = request.command.split_first() else {
                    return Err(ExecError::InvalidRequest {
                        asset: asset.name.clone(),
                        field: "reboot command".into(),
                        reason: "empty".into(),
                    });
                };
                let spec = self.command(program, args);
                let out = run(&asset.name, &spec, Some(QUERY_TIMEOUT)).await?;
                if !out.success() {
                    return Err(command_failed(&asset.name, &spec, &out));
                }
                (current, true)
            }
        };
        loop {
            let now = self.read_boot_id(asset).await?;
            if now != before {
                return Ok(RebootReport {
                    asset: asset.name.clone(),
                    boot_id_before: before,
                    boot_id_after: now,
                    issued,
                    duration: started.elapsed(),
                });
            }
            if started.elapsed() >= request.timeout {
                return Err(ExecError::NotRebooted {
                    asset: asset.name.clone(),
                    boot_id: now,
                    after: started.elapsed(),
                });
            }
            tokio::time::sleep(request.poll_interval).await;
        }
    }

    async fn read_sources(
        &self,
        asset: &AssetRef,
        packages: &[String],
    ) -> Result<HostSources, ExecError> {
        validate_packages(&asset.name, packages)?;
        let mut policy = String::new();
        if !packages.is_empty() {
            let mut args = vec!["policy".to_string(), "--".to_string()];
            args.extend(packages.iter().cloned());
            policy = self.query(&asset.name, "apt-cache", &args).await?;
        }
        let files = self
            .query(&asset.name, "apt-cache", &["policy".into()])
            .await?;
        let lists = self.host_path("/var/lib/apt/lists");
        let releases = read_releases(&asset.name, &lists).await?;
        Ok(host_sources(&asset.name, &policy, &files, &releases))
    }

    async fn run_health_check(
        &self,
        asset: &AssetRef,
        check: &HealthCheck,
    ) -> Result<HealthReport, ExecError> {
        let builtin = check.command.is_empty();
        let argv = if builtin {
            vec![
                "dpkg-query".to_string(),
                "-W".to_string(),
                format!("-f={DPKG_QUERY_FORMAT}"),
            ]
        } else {
            check.command.clone()
        };
        let Some((program, args)) = argv.split_first() else {
            return Err(ExecError::InvalidRequest {
                asset: asset.name.clone(),
                field: "health check command".into(),
                reason: "empty".into(),
            });
        };
        let started = Instant::now();
        let out = match run(
            &asset.name,
            &self.command(program, args),
            Some(check.timeout),
        )
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

fn command_failed(asset: &str, spec: &CommandSpec, out: &CommandOutput) -> ExecError {
    ExecError::Command {
        asset: asset.to_string(),
        command: spec.display(),
        status: out.status_text(),
        stderr: tail(&out.stderr, 4),
    }
}

async fn read_text(asset: &str, path: &Path) -> Result<String, ExecError> {
    tokio::fs::read_to_string(path)
        .await
        .map_err(|e| ExecError::Io {
            asset: asset.to_string(),
            action: "read",
            path: path.to_path_buf(),
            source: e,
        })
}

impl Executor for LocalExecutor {
    fn kind(&self) -> &'static str {
        "local"
    }

    fn check_reachable<'a>(&'a self, _asset: &'a AssetRef) -> ExecFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    fn collect_inventory<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, Inventory> {
        Box::pin(self.inventory(asset))
    }

    fn upgrade<'a>(
        &'a self,
        asset: &'a AssetRef,
        targets: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        Box::pin(self.change(asset, ChangeKind::Upgrade, targets))
    }

    fn roll_back<'a>(
        &'a self,
        asset: &'a AssetRef,
        targets: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        Box::pin(self.change(asset, ChangeKind::RollBack, targets))
    }

    fn boot_id<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, String> {
        Box::pin(self.read_boot_id(asset))
    }

    fn reboot<'a>(
        &'a self,
        asset: &'a AssetRef,
        request: &'a RebootRequest,
    ) -> ExecFuture<'a, RebootReport> {
        Box::pin(self.reboot_host(asset, request))
    }

    fn package_sources<'a>(
        &'a self,
        asset: &'a AssetRef,
        packages: &'a [String],
    ) -> ExecFuture<'a, HostSources> {
        Box::pin(self.read_sources(asset, packages))
    }

    fn health_check<'a>(
        &'a self,
        asset: &'a AssetRef,
        check: &'a HealthCheck,
    ) -> ExecFuture<'a, HealthReport> {
        Box::pin(self.run_health_check(asset, check))
    }
}

#[cfg(test)]
#[path = "local_tests.rs"]
mod tests;
