//! The embedded control plane for tests: started in-process on a loopback port the system
//! picks, on a runtime of its own, in a temporary directory; stopped when dropped.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use patchwarden_apiserver::{ApiServer, Config, RunningServer};
use serde_json::Value;

use crate::kubectl::Kubectl;
use crate::paths::arg;
use crate::process::Process;

/// A control plane with its data in `<dir>/data` and the runtime that drives it.
pub struct TestServer {
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
}

impl TestServer {
    /// Starts a server with the default configuration.
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    /// Starts a server after `configure` adjusted its configuration.
    pub fn start_with(configure: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut server = TestServer {
            dir,
            runtime,
            server: None,
        };
        server.start_again(configure);
        server
    }

    /// Starts the server (again, after [`TestServer::stop`]) on the same data directory.
    pub fn start_again(&mut self, configure: impl FnOnce(&mut Config)) {
        self.stop();
        let mut config = Config::new(self.path("data"));
        configure(&mut config);
        let server = self
            .runtime
            .block_on(ApiServer::start(config))
            .expect("the control plane starts");
        self.server = Some(server);
    }

    /// Stops the server: open connections end, queued writes finish, the database closes.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }

    pub fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("the server is running")
    }

    pub fn addr(&self) -> SocketAddr {
        self.running().addr
    }

    /// The admin kubeconfig the server wrote.
    pub fn kubeconfig(&self) -> &Path {
        &self.running().kubeconfig_path
    }

    /// A path in the test's scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// kubectl with the admin kubeconfig and `<dir>/home` as its HOME.
    pub fn kubectl(&self) -> Kubectl {
        Kubectl::new(self.kubeconfig(), &self.path("home"))
    }

    /// Runs `future` on the server's runtime (kube-rs calls from a synchronous test).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `patchwarden apiserver` as its own process, for what an in-process server cannot show:
/// SIGTERM, SIGKILL and restarts. Killed by PID when dropped.
pub struct ServerProcess {
    pub process: Process,
    /// `http://127.0.0.1:PORT`, as the server printed it.
    pub url: String,
    pub addr: SocketAddr,
    /// The kubeconfig the server wrote.
    pub kubeconfig: PathBuf,
}

impl ServerProcess {
    /// Runs `patchwarden apiserver --data DATA` (`patchwarden` from [`crate::patchwarden!`])
    /// on a loopback port the system picks; returns once it printed its URL and kubeconfig.
    pub fn start(mut patchwarden: Command, data: &Path) -> ServerProcess {
        patchwarden
            .args(["apiserver", "--data"])
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut process = Process::spawn(&mut patchwarden);
        let url = process
            .line_after("serving ", Duration::from_secs(60))
            .expect("the server prints its URL");
        let kubeconfig = process
            .line_after("kubeconfig ", Duration::from_secs(10))
            .expect("the server prints its kubeconfig");
        let addr = url
            .strip_prefix("http://")
            .and_then(|host_port| host_port.parse().ok())
            .unwrap_or_else(|| panic!("not a plain loopback URL: {url}"));
        ServerProcess {
            process,
            url,
            addr,
            kubeconfig: PathBuf::from(kubeconfig),
        }
    }
}

/// Makes the tests that hold a turn run one at a time. Each operator end-to-end test drives
/// real apt and dpkg runs on a fleet of lab hosts; two at once on a two-core machine would
/// stretch each past the timeouts it was written with.
pub fn take_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The patchwarden kinds, as kubectl names them.
pub const KINDS: [&str; 6] = [
    "assetgroups",
    "assets",
    "maintenancewindows",
    "patchpolicies",
    "patchruns",
    "vulnerabilityfeeds",
];

/// A control plane with the patchwarden CRDs installed through kubectl, for the operator
/// end-to-end tests (which take turns, see [`take_turn`]).
pub struct Cluster {
    server: TestServer,
    kubectl: Kubectl,
    _turn: MutexGuard<'static, ()>,
}

impl Cluster {
    /// Waits for its turn, starts the control plane and installs the CRDs generated from the
    /// API types; returns once kubectl serves every kind.
    pub fn start() -> Cluster {
        let turn = take_turn();
        let server = TestServer::start();
        let kubectl = server.kubectl();
        let crds = server.path("crds");
        std::fs::create_dir_all(&crds).expect("crd dir");
        for (name, text) in patchwarden_api::crds::files().expect("crd yaml") {
            std::fs::write(crds.join(name), text).expect("write crd");
        }
        kubectl.ok(&["apply", "-f", arg(&crds)]);
        let cluster = Cluster {
            server,
            kubectl,
            _turn: turn,
        };
        for kind in KINDS {
            cluster.wait_for(&format!("{kind} served"), Duration::from_secs(30), || {
                cluster.try_kubectl(&["get", kind]).ok().map(|_| ())
            });
        }
        cluster
    }

    pub fn server(&self) -> &TestServer {
        &self.server
    }

    /// A path in the scratch directory (operator logs, lab roots under `labs/`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.server.path(name)
    }

    pub fn kubeconfig(&self) -> &Path {
        self.server.kubeconfig()
    }

    /// kubectl's standard output; `Err` with its messages when it fails.
    pub fn try_kubectl(&self, args: &[&str]) -> Result<String, String> {
        self.kubectl.try_ok(args)
    }

    /// kubectl's standard output; panics when it fails.
    pub fn kubectl(&self, args: &[&str]) -> String {
        self.kubectl.ok(args)
    }

    /// Applies YAML text with kubectl.
    pub fn apply(&self, yaml: &str) {
        self.kubectl.apply(yaml);
    }

    /// `kubectl get <what> -o json`, parsed.
    pub fn get_json(&self, what: &[&str]) -> Option<Value> {
        self.kubectl.get_json(what)
    }

    /// Polls `probe` every 500 ms until it returns `Some`, or panics after `timeout` naming
    /// what was awaited, with the end of each operator's log.
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        probe: impl FnMut() -> Option<T>,
    ) -> T {
        crate::wait::poll(timeout, Duration::from_millis(500), probe).unwrap_or_else(|| {
            panic!(
                "timed out after {timeout:?} waiting for {what}\n{}",
                self.operator_logs()
            )
        })
    }

    /// The last 60 lines of each operator's log.
    fn operator_logs(&self) -> String {
        let mut logs = String::new();
        let Ok(entries) = std::fs::read_dir(self.path("")) else {
            return logs;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(crate::operator::LOG_PREFIX) {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                logs.push_str(&format!("--- {name} (last lines)\n"));
                for line in &lines[lines.len().saturating_sub(60)..] {
                    logs.push_str(line);
                    logs.push('\n');
                }
            }
        }
        logs
    }

    /// Runs `future` on the control plane's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.server.block_on(future)
    }
}
