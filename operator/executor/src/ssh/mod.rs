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
mod inspect;
mod login;
mod scripts;
#[cfg(test)]
mod tests;

pub use config::{CredentialsError, SshConfig, SudoMode};

use crate::locks::AssetLocks;
use crate::model::{
    AssetRef, ChangeKind, ChangeReport, HealthCheck, HealthReport, Inventory, PackageTarget,
};
use crate::{ExecFuture, Executor};

/// Executor for assets reached with the system OpenSSH client.
#[derive(Debug)]
pub struct SshExecutor {
    config: SshConfig,
    locks: AssetLocks,
}

impl SshExecutor {
    pub fn new(config: SshConfig) -> SshExecutor {
        SshExecutor {
            config,
            locks: AssetLocks::default(),
        }
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

    fn health_check<'a>(
        &'a self,
        asset: &'a AssetRef,
        check: &'a HealthCheck,
    ) -> ExecFuture<'a, HealthReport> {
        Box::pin(self.run_health_check(asset, check))
    }
}
