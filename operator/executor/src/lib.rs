//! patchwarden-executor: how actions reach an asset. One trait, [`Executor`], with the lab
//! executor (local dpkg roots) and the SSH executor (system OpenSSH client).
//!
//! The trait's methods return boxed `Send` futures so controllers can hold executors as
//! `Arc<dyn Executor>` and await them on tokio without blocking a worker thread while apt
//! runs; implementations start processes with `tokio::process` (argv only, never a shell).

use std::future::Future;
use std::pin::Pin;

pub mod agent;
pub mod apt;
pub mod apt_lists;
pub mod apt_policy;
pub mod command;
pub mod error;
pub mod host_sources;
mod inventory_files;
pub mod lab;
pub mod local;
pub mod locks;
pub mod model;
pub mod quote;
pub mod reboot;
pub mod ssh;
pub mod tools;

pub use agent::{AgentExecutor, AgentTimeouts};
pub use error::{ExecError, ExecErrorKind};
pub use host_sources::{HostSources, PackageOrigin, PackageSource, RepositoryRelease};
pub use lab::{LabExecutor, LabVersion, source_targets};
pub use local::LocalExecutor;
pub use model::{
    AssetRef, ChangeKind, ChangeReport, HealthCheck, HealthReport, InstalledPackage, Inventory,
    OutcomeResult, PackageOutcome, PackageTarget, VersionChange,
};
pub use reboot::{RebootReport, RebootRequest};
pub use ssh::{CredentialsError, SshConfig, SshExecutor, SudoMode};

/// The future every executor operation returns.
pub type ExecFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ExecError>> + Send + 'a>>;

/// How actions reach an asset.
pub trait Executor: Send + Sync + std::fmt::Debug {
    /// Short name of the executor (`lab`, `ssh`).
    fn kind(&self) -> &'static str;

    /// Succeeds when the asset answers; [`ExecError::Unreachable`] otherwise.
    fn check_reachable<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, ()>;

    /// The dpkg database, `/etc/os-release` and reboot-required state of the asset.
    fn collect_inventory<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, Inventory>;

    /// Upgrades each package to its target version (`apt-get install --only-upgrade pkg=ver`).
    /// A package failing is an outcome in the report, not an error.
    fn upgrade<'a>(
        &'a self,
        asset: &'a AssetRef,
        targets: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport>;

    /// Returns each package to a recorded version (`--allow-downgrades --no-remove`).
    fn roll_back<'a>(
        &'a self,
        asset: &'a AssetRef,
        targets: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport>;

    /// The id of the asset's current boot (`/proc/sys/kernel/random/boot_id`).
    fn boot_id<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, String>;

    /// Reboots the asset and waits until it answers with a new boot id; a dropped connection
    /// while the command runs is expected. With `request.boot_id_before` set and a different
    /// current boot id, the reboot already happened and is not issued again. An asset that
    /// does not come back within the timeout, or comes back with the same boot id, is an error.
    fn reboot<'a>(
        &'a self,
        asset: &'a AssetRef,
        request: &'a RebootRequest,
    ) -> ExecFuture<'a, RebootReport>;

    /// What the asset's configured package sources offer for `packages` (`apt-cache policy`)
    /// and the release header of each repository apt fetched. Read-only; the package lists are
    /// as fresh as the asset's last `apt-get update`.
    fn package_sources<'a>(
        &'a self,
        asset: &'a AssetRef,
        packages: &'a [String],
    ) -> ExecFuture<'a, HostSources>;

    /// Runs a health check; an unhealthy asset is a report, not an error.
    fn health_check<'a>(
        &'a self,
        asset: &'a AssetRef,
        check: &'a HealthCheck,
    ) -> ExecFuture<'a, HealthReport>;
}
