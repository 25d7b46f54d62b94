//! Shared harness of the end-to-end tests: the embedded control plane started in-process,
//! the real `kubectl` with its own HOME, the operator as a separate process, and polling
//! helpers. Every process a test starts is killed by PID when its guard drops, even when the
//! test fails.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use patchwarden_apiserver::{ApiServer, Config, RunningServer};
use serde_json::Value;

/// The embedded control plane, a kubectl home and a scratch directory.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    server: Option<RunningServer>,
    runtime: tokio::runtime::Runtime,
}

impl Cluster {
    /// Starts the control plane on a free loopback port and installs the CRDs with kubectl.
    pub fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let data = dir.path().join("apiserver");
        let server = runtime
            .block_on(ApiServer::start(Config::new(&data)))
            .expect("start the embedded control plane");
        let kubeconfig = server.kubeconfig_path.clone();
        std::fs::create_dir_all(dir.path().join("home")).expect("kubectl home");
        let cluster = Cluster {
            dir,
            kubeconfig,
            server: Some(server),
            runtime,
        };
        let crds = cluster.path("crds");
        std::fs::create_dir_all(&crds).expect("crd dir");
        for (name, text) in patchwarden_api::crds::files().expect("crd yaml") {
            std::fs::write(crds.join(name), text).expect("write crd");
        }
        cluster.kubectl(&["apply", "-f", crds.to_str().expect("utf-8 path")]);
        for kind in [
            "assetgroups",
            "assets",
            "maintenancewindows",
            "patchpolicies",
            "patchruns",
            "vulnerabilityfeeds",
        ] {
            cluster.wait_for(&format!("{kind} served"), Duration::from_secs(30), || {
                cluster.try_kubectl(&["get", kind]).is_ok().then_some(())
            });
        }
        cluster
    }

    /// A path inside the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs kubectl; `Err(stderr)` when it fails.
    pub fn try_kubectl(&self, args: &[&str]) -> Result<String, String> {
        let home = self.path("home");
        let output = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", &home)
            .env("KUBECACHEDIR", home.join("cache"))
            .output()
            .map_err(|e| format!("cannot run kubectl: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "kubectl {args:?}: {}{}",
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(&output.stdout)
            ))
        }
    }

    /// Runs kubectl and panics with its output when it fails.
    pub fn kubectl(&self, args: &[&str]) -> String {
        self.try_kubectl(args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Applies YAML text with kubectl.
    pub fn apply(&self, name: &str, yaml: &str) {
        let file = self.path(&format!("{name}.yaml"));
        std::fs::write(&file, yaml).expect("write manifest");
        self.kubectl(&["apply", "-f", file.to_str().expect("utf-8 path")]);
    }

    /// `kubectl get <what> -o json`, parsed.
    pub fn get_json(&self, what: &[&str]) -> Option<Value> {
        let mut args = vec!["get"];
        args.extend_from_slice(what);
        args.extend_from_slice(&["-o", "json"]);
        self.try_kubectl(&args)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
    }

    /// Polls `probe` every 500 ms until it returns `Some`, or panics after `timeout` naming
    /// what was awaited and the operator's recent log.
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut probe: impl FnMut() -> Option<T>,
    ) -> T {
        let started = Instant::now();
        loop {
            if let Some(value) = probe() {
                return value;
            }
            if started.elapsed() > timeout {
                let mut logs = String::new();
                if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
                    for entry in entries.flatten() {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        if name.starts_with("operator-") {
                            let text = read(&entry.path());
                            let tail: Vec<&str> = text.lines().rev().take(60).collect();
                            logs.push_str(&format!("--- {name} (last lines)\n"));
                            for line in tail.into_iter().rev() {
                                logs.push_str(line);
                                logs.push('\n');
                            }
                        }
                    }
                }
                panic!("timed out after {timeout:?} waiting for {what}\n{logs}");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Runs `f` on the harness's runtime (for kube-rs calls from a test).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// An operator process; killed by PID when dropped.
pub struct Operator {
    child: Child,
    pub metrics_addr: String,
    pub identity: String,
    log: PathBuf,
}

impl Operator {
    /// Starts `patchwarden operator` against the cluster with short lease timings.
    pub fn start(cluster: &Cluster, identity: &str, extra: &[&str]) -> Operator {
        let log = cluster.path(&format!("operator-{identity}.log"));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_patchwarden"))
            .args([
                "operator",
                "--kubeconfig",
                cluster.kubeconfig.to_str().expect("utf-8 path"),
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
                cluster.path("labs").to_str().expect("utf-8 path"),
            ])
            .args(extra)
            .env("RUST_LOG", "info,patchwarden=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("start the operator");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("metrics-addr=") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let metrics_addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("operator {identity} did not start: {}", read(&log)));
        Operator {
            child,
            metrics_addr,
            identity: identity.to_string(),
            log,
        }
    }

    /// The operator's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the operator with SIGKILL and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The operator's log so far.
    pub fn log(&self) -> String {
        read(&self.log)
    }

    /// GETs a path of the operator's metrics server.
    pub fn http_get(&self, path: &str) -> String {
        http_get(&self.metrics_addr, path)
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A minimal HTTP/1.0 GET over loopback.
pub fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

/// The condition `type_` of an object's status, as (status, reason, message).
pub fn condition(object: &Value, type_: &str) -> Option<(String, String, String)> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| {
            (
                c["status"].as_str().unwrap_or_default().to_string(),
                c["reason"].as_str().unwrap_or_default().to_string(),
                c["message"].as_str().unwrap_or_default().to_string(),
            )
        })
}

/// The `dpkg-query` view of a lab host: package → (version, status abbreviation).
pub fn dpkg_versions(host_root: &Path) -> std::collections::BTreeMap<String, (String, String)> {
    let output = Command::new("dpkg-query")
        .arg(format!(
            "--admindir={}",
            host_root.join("var/lib/dpkg").display()
        ))
        .args(["-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"])
        .output()
        .expect("dpkg-query");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.split('\t');
            Some((
                parts.next()?.to_string(),
                (parts.next()?.to_string(), parts.next()?.trim().to_string()),
            ))
        })
        .collect()
}

/// A daily MaintenanceWindow that opened an hour ago and stays open for twelve hours.
pub fn window_open_now(name: &str) -> String {
    use chrono::Timelike;
    let opened = chrono::Utc::now() - chrono::Duration::hours(1);
    format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: MaintenanceWindow\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  schedule: \"{} {} * * *\"\n  timeZone: UTC\n  duration: 12h\n",
        opened.minute(),
        opened.hour()
    )
}

/// A daily MaintenanceWindow that opens in six hours for one hour (closed now).
pub fn window_closed_now(name: &str) -> String {
    use chrono::Timelike;
    let opens = chrono::Utc::now() + chrono::Duration::hours(6);
    format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: MaintenanceWindow\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  schedule: \"{} {} * * *\"\n  timeZone: UTC\n  duration: 1h\n",
        opens.minute(),
        opens.hour()
    )
}
