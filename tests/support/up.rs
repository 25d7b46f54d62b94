//! `patchwarden up` as a process, with the real kubectl for the kubeconfig it writes (which
//! carries the server's CA and the bearer token: `up` serves TLS and requires the token).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::kubectl::Kubectl;
use crate::process::{Process, stdout_piped_stderr_to};

/// A running `patchwarden up`; killed by PID when dropped.
pub struct Up {
    process: Process,
    kubectl: Kubectl,
    kubeconfig: PathBuf,
}

impl Up {
    /// Starts `command` (the `patchwarden` executable) as `up` on `repo` with `state` as its
    /// state directory, a free API server port and a 5 s sync interval; returns once it printed
    /// its kubeconfig. `home` is kubectl's HOME; `log` keeps what `up` said on standard error.
    pub fn start(
        command: std::process::Command,
        repo: &Path,
        state: &Path,
        home: &Path,
        log: &Path,
    ) -> Up {
        Up::start_with(command, repo, state, home, log, &[])
    }

    /// [`Up::start`] with `extra` arguments after the usual ones (`--insecure-http`, …).
    pub fn start_with(
        mut command: std::process::Command,
        repo: &Path,
        state: &Path,
        home: &Path,
        log: &Path,
        extra: &[&str],
    ) -> Up {
        command
            .args(["up", "--repo"])
            .arg(repo)
            .arg("--state-dir")
            .arg(state)
            .args(["--listen", "127.0.0.1:0", "--sync-interval", "5"])
            .args(extra);
        let mut process = Process::spawn(stdout_piped_stderr_to(&mut command, log));
        let kubeconfig = process
            .line_after("export KUBECONFIG=", Duration::from_secs(120))
            .unwrap_or_else(|| {
                panic!(
                    "up printed no KUBECONFIG line: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                )
            });
        let kubeconfig = PathBuf::from(kubeconfig);
        Up {
            process,
            kubectl: Kubectl::new(&kubeconfig, home),
            kubeconfig,
        }
    }

    /// The kubeconfig `up` wrote (server, CA and token).
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// SIGTERM, like Ctrl-C, then wait for the clean stop.
    pub fn stop(&mut self) {
        self.process.terminate(Duration::from_secs(30));
    }

    /// SIGKILL by PID, as a crash: no clean stop.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.process.id()
    }

    /// `kubectl get … -o json`, `None` when kubectl fails.
    pub fn get(&self, what: &[&str]) -> Option<Value> {
        self.kubectl.get_json(what)
    }

    pub fn kubectl(&self) -> &Kubectl {
        &self.kubectl
    }
}
