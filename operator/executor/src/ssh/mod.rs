//! The SSH executor: reaches Debian assets through the system OpenSSH client (`ssh` with
//! `BatchMode=yes`, `StrictHostKeyChecking=yes` and a given known_hosts file, no user
//! configuration). Every remote command is an argv turned into one line by [`crate::quote`];
//! the only shell text is the fixed scripts in `scripts`, which take data as positional
//! parameters.
//!
//! Remote paths honour `DPKG_ROOT` when the asset's login environment sets it (a dpkg root other
//! than `/`, as on lab hosts behind sshd); on an ordinary host it is unset and paths are `/…`.

mod change;
mod config;
mod destination;
#[cfg(test)]
mod fake_client_tests;
pub(crate) mod inspect;
mod login;
mod reboot;
mod scripts;
mod sources;
#[cfg(test)]
mod tests;

pub use config::{CredentialsError, DEFAULT_MAX_SESSIONS, SshConfig, SudoMode};

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::ExecError;
use crate::locks::AssetLocks;
use crate::model::{
    AssetRef, ChangeKind, ChangeReport, HealthCheck, HealthReport, Inventory, PackageTarget,
};
use crate::{ExecFuture, Executor, RebootReport, RebootRequest};

/// Executor for assets reached with the system OpenSSH client.
#[derive(Debug)]
pub struct SshExecutor {
    config: SshConfig,
    /// One change per asset at a time (shareable with the executors of other credentials).
    locks: Arc<AssetLocks>,
    /// One permit per open ssh session.
    sessions: Arc<Semaphore>,
    /// The directory of the key files this executor wrote, removed when it is dropped.
    key_files: Option<tempfile::TempDir>,
}

impl SshExecutor {
    pub fn new(config: SshConfig) -> SshExecutor {
        let sessions = Arc::new(Semaphore::new(config.max_sessions.max(1)));
        SshExecutor {
            config,
            locks: Arc::default(),
            sessions,
            key_files: None,
        }
    }

    /// An executor using a private key and known_hosts given as bytes (e.g. from a Secret),
    /// written to owner-only files in a new temporary directory (under `$TMPDIR`) that is
    /// removed when the executor is dropped. `configure` adjusts the rest of the configuration.
    pub fn from_key_material(
        private_key: &[u8],
        known_hosts: &[u8],
        configure: impl FnOnce(&mut SshConfig),
    ) -> Result<SshExecutor, CredentialsError> {
        let parent = std::env::temp_dir();
        SshExecutor::from_key_material_in(&parent, private_key, known_hosts, configure)
    }

    /// Like [`SshExecutor::from_key_material`], with the temporary directory in `parent`
    /// (e.g. one directory per operator, removed as a whole when it stops).
    pub fn from_key_material_in(
        parent: &std::path::Path,
        private_key: &[u8],
        known_hosts: &[u8],
        configure: impl FnOnce(&mut SshConfig),
    ) -> Result<SshExecutor, CredentialsError> {
        let dir = tempfile::Builder::new()
            .prefix("patchwarden-ssh-")
            // Owner-only from the start: it will hold private keys.
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir_in(parent)
            .map_err(|source| CredentialsError {
                path: parent.to_path_buf(),
                source,
            })?;
        let mut config = SshConfig::from_key_material(dir.path(), private_key, known_hosts)?;
        configure(&mut config);
        let mut executor = SshExecutor::new(config);
        executor.key_files = Some(dir);
        Ok(executor)
    }

    /// The executor drawing its sessions from `sessions`, a limit shared with other
    /// executors, instead of its own.
    pub fn sharing_sessions(mut self, sessions: Arc<Semaphore>) -> SshExecutor {
        self.sessions = sessions;
        self
    }

    /// The executor taking its per-asset locks from `locks`, shared with other executors
    /// that may reach the same assets (e.g. with the next version of their credentials).
    pub fn sharing_locks(mut self, locks: Arc<AssetLocks>) -> SshExecutor {
        self.locks = locks;
        self
    }

    /// How this executor reaches assets.
    pub fn config(&self) -> &SshConfig {
        &self.config
    }

    /// A new section marker for one remote script.
    fn marker(&self, asset: &AssetRef) -> Result<scripts::Marker, ExecError> {
        scripts::Marker::random().map_err(|source| ExecError::Io {
            asset: asset.name.clone(),
            action: "read",
            path: "/dev/urandom".into(),
            source,
        })
    }
}

impl Executor for SshExecutor {
    fn kind(&self) -> &'static str {
        "ssh"
    }

    fn check_reachable<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, ()> {
        Box::pin(self.reachable(asset))
    }

    fn collect_inventory<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, Inventory> {
        Box::pin(self.read_inventory(asset))
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
        Box::pin(self.reboot_asset(asset, request))
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
