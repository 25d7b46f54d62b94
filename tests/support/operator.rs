//! `patchwarden operator` as a separate process against a [`Cluster`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::cluster::Cluster;
use crate::paths::arg;
use crate::process::{Process, stdout_piped_stderr_to};

/// Operator logs are `<cluster dir>/operator-<identity>.log`.
pub const LOG_PREFIX: &str = "operator-";

/// An operator process; killed by PID when dropped.
pub struct Operator {
    process: Process,
    pub metrics_addr: SocketAddr,
    pub identity: String,
    log: PathBuf,
}

impl Operator {
    /// Runs `patchwarden operator` (`patchwarden` is the command, from
    /// [`crate::patchwarden!`]) against the cluster with short lease timings, lab roots in the
    /// cluster's `labs/` and `extra` arguments; returns once it serves metrics.
    pub fn start(
        cluster: &Cluster,
        mut patchwarden: Command,
        identity: &str,
        extra: &[&str],
    ) -> Operator {
        let log = cluster.path(&format!("{LOG_PREFIX}{identity}.log"));
        let labs = cluster.path("labs");
        patchwarden
            .args([
                "operator",
                "--kubeconfig",
                arg(cluster.kubeconfig()),
                "--metrics-addr",
                "127.0.0.1:0",
                "--identity",
                identity,
                "--lease-duration",
                "4",
                "--renew-deadline",
                "3",
                "--retry-period",
                "1",
                "--lab-root",
                arg(&labs),
            ])
            .args(extra)
            .env("RUST_LOG", "info,patchwarden=debug");
        let mut process = Process::spawn(stdout_piped_stderr_to(&mut patchwarden, &log));
        let metrics_addr = process
            .line_after("metrics-addr=", Duration::from_secs(60))
            .unwrap_or_else(|| {
                panic!(
                    "operator {identity} did not start: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        Operator {
            process,
            metrics_addr: metrics_addr.parse().expect("metrics address"),
            identity: identity.to_string(),
            log,
        }
    }

    /// The operator's process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// The operator's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The body of `GET path` from the operator's metrics server.
    pub fn http_get(&self, path: &str) -> String {
        crate::http::get_text(self.metrics_addr, path)
    }
}
