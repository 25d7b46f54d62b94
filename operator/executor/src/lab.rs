//! The lab executor: acts on a lab host's root with the real apt-get and dpkg, confined by the
//! host's isolated apt configuration (checked before every apt run), and reads inventory with
//! `dpkg-query --admindir` and files inside the root.
//!
//! Operations on one host are serialised (dpkg holds a lock per database); different hosts run
//! in parallel. A reboot gives the host a new boot id and clears its reboot-required markers
//! (see `reboot`).

mod health;
mod reboot;
pub(crate) mod sources;

use std::path::Path;
use std::time::Instant;

use patchwarden_lab::dpkg_state::{DPKG_QUERY_FORMAT, parse_dpkg_query};
use patchwarden_lab::fleet::unreachable_marker;
use patchwarden_lab::{InstalledPackage, Lab, LabHost};

use crate::apt::{AptRun, apt_get_args, judge, validate_targets};
use crate::command::{CommandOutput, CommandSpec, run, run_checked, run_detached};
use crate::error::ExecError;
use crate::inventory_files::reboot_required;
use crate::locks::AssetLocks;
use crate::model::{
    AssetRef, ChangeKind, ChangeReport, HealthCheck, HealthReport, Inventory, PackageTarget,
};
use crate::{ExecFuture, Executor, RebootReport, RebootRequest};

/// Executor for the hosts of one lab directory. An asset names its lab host in `address`
/// (or, without one, in `name`); reports and errors name the asset.
#[derive(Debug)]
pub struct LabExecutor {
    lab: Lab,
    locks: AssetLocks,
}

impl LabExecutor {
    /// An executor for the lab created in `dir`.
    pub fn open(dir: &Path) -> Result<LabExecutor, patchwarden_lab::LabError> {
        Ok(LabExecutor::new(Lab::open(dir)?))
    }

    pub fn new(lab: Lab) -> LabExecutor {
        LabExecutor {
            lab,
            locks: AssetLocks::default(),
        }
    }

    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// The host behind `asset`, if it exists and is reachable.
    fn reach(&self, asset: &AssetRef) -> Result<LabHost, ExecError> {
        let lab_host = asset.address.as_deref().unwrap_or(&asset.name);
        let host = self
            .lab
            .host(lab_host)
            .map_err(|_| ExecError::UnknownAsset {
                asset: asset.name.clone(),
                executor: "lab",
            })?;
        if unreachable_marker(self.lab.dir(), &host.name).exists() {
            return Err(ExecError::Unreachable {
                asset: asset.name.clone(),
                reason: "lab host is marked unreachable (no route to host)".into(),
            });
        }
        if !host.admindir().join("status").is_file() {
            return Err(ExecError::Unreachable {
                asset: asset.name.clone(),
                reason: format!("lab host root {} has no dpkg database", host.root.display()),
            });
        }
        Ok(host)
    }

    async fn installed(
        &self,
        asset: &str,
        host: &LabHost,
    ) -> Result<Vec<InstalledPackage>, ExecError> {
        let spec = CommandSpec::new("dpkg-query")
            .arg(format!("--admindir={}", host.admindir().display()))
            .arg("-W")
            .arg(format!("-f={DPKG_QUERY_FORMAT}"));
        // An empty database exits 0 with no output; any failure is an error, never "nothing
        // installed".
        let out = run_checked(asset, &spec, Some(QUERY_TIMEOUT)).await?;
        Ok(parse_dpkg_query(&out.stdout))
    }

    async fn change(
        &self,
        asset: &AssetRef,
        kind: ChangeKind,
        targets: &[PackageTarget],
    ) -> Result<ChangeReport, ExecError> {
        validate_targets(&asset.name, targets)?;
        let host = self.reach(asset)?;
        let _guard = self.locks.acquire(&host.name).await;
        host.verify_isolation().map_err(|e| ExecError::Isolation {
            asset: asset.name.clone(),
            reason: e.to_string(),
        })?;
        let before = self.installed(&asset.name, &host).await?;
        let mut spec = CommandSpec::new("apt-get").args(apt_get_args(kind, targets));
        for (k, v) in host.apt_env() {
            spec = spec.env(k, v.display().to_string());
        }
        let started = Instant::now();
        let output_dir = host.root.join("tmp");
        // No time limit, output in files: apt must finish even if this process does not.
        let mut out = run_detached(&asset.name, &spec, &output_dir).await?;
        if !out.success() && out.stderr.contains("dpkg was interrupted") {
            // A dpkg run was cut short (power loss, a killed process): finish its pending
            // configuration, as apt asks, then try once more.
            let recover = CommandSpec::new("dpkg").args(host.dpkg_configure_pending_args());
            let recovered = run_detached(&asset.name, &recover, &output_dir).await?;
            let retried = run_detached(&asset.name, &spec, &output_dir).await?;
            out = CommandOutput {
                stdout: format!("{}{}{}", out.stdout, recovered.stdout, retried.stdout),
                stderr: format!("{}{}{}", out.stderr, recovered.stderr, retried.stderr),
                ..retried
            };
        }
        let duration = started.elapsed();
        let after = self.installed(&asset.name, &host).await?;
        Ok(judge(&AptRun {
            asset: &asset.name,
            kind,
            targets,
            before: &before,
            after: &after,
            exit_code: out.exit_code,
            stdout: &out.stdout,
            stderr: &out.stderr,
            duration,
        }))
    }
}

/// Reading a dpkg database takes milliseconds; a minute means something is stuck.
const QUERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl Executor for LabExecutor {
    fn kind(&self) -> &'static str {
        "lab"
    }

    fn check_reachable<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, ()> {
        Box::pin(async move { self.reach(asset).map(|_| ()) })
    }

    fn collect_inventory<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, Inventory> {
        Box::pin(async move {
            let host = self.reach(asset)?;
            let _guard = self.locks.acquire(&host.name).await;
            let spec = CommandSpec::new("dpkg-query")
                .arg(format!("--admindir={}", host.admindir().display()))
                .arg("--status");
            let out = run_checked(&asset.name, &spec, Some(QUERY_TIMEOUT)).await?;
            let os_release = read_text(&asset.name, &host.os_release()).await?;
            let (reboot_required, reboot_required_pkgs) = reboot_required(
                &asset.name,
                &host.reboot_required(),
                &host.reboot_required_pkgs(),
            )
            .await?;
            let (kernel, architecture) = platform(&asset.name).await;
            Ok(Inventory::from_parts(
                &asset.name,
                os_release,
                out.stdout,
                reboot_required,
                &reboot_required_pkgs,
            )
            .with_platform(&kernel, &architecture))
        })
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
    ) -> ExecFuture<'a, crate::HostSources> {
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

/// The kernel and dpkg architecture of a lab host: those of this machine, which runs its
/// packages. Unknown (blank) when they cannot be read; they are informational.
async fn platform(asset: &str) -> (String, String) {
    let kernel = tokio::fs::read_to_string("/proc/sys/kernel/osrelease")
        .await
        .unwrap_or_default();
    let spec = CommandSpec::new("dpkg").arg("--print-architecture");
    let architecture = match run(asset, &spec, Some(QUERY_TIMEOUT)).await {
        Ok(out) if out.success() => out.stdout,
        _ => String::new(),
    };
    (kernel, architecture)
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

/// Which of a lab package's two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabVersion {
    /// The version hosts start at.
    Installed,
    /// The fixed version the lab's repository offers.
    Candidate,
}

/// The binaries of one of the lab's source packages at one of their versions.
pub fn source_targets(lab: &Lab, source: &str, which: LabVersion) -> Vec<PackageTarget> {
    lab.packages()
        .iter()
        .filter(|p| p.source == source)
        .map(|p| {
            let version = match which {
                LabVersion::Installed => &p.installed_version,
                LabVersion::Candidate => &p.candidate_version,
            };
            PackageTarget::new(&p.package, version)
        })
        .collect()
}
