//! End to end, `patchwarden up` on the quickstart repository: the process starts the control
//! plane, syncs the repository from Git, creates the lab fleet and runs the controllers; the
//! real kubectl then sees the standard policy Ready and 100% compliant. Stopping and starting
//! it again resumes from the state directory.

mod e2e_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use e2e_support::condition;
use serde_json::Value;

/// A running `patchwarden up`; killed by PID when dropped.
struct Up {
    child: Child,
    kubeconfig: PathBuf,
}

impl Up {
    fn start(state: &Path, log: &Path) -> Up {
        let quickstart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
        let mut child = Command::new(env!("CARGO_BIN_EXE_patchwarden"))
            .args(["up", "--repo"])
            .arg(&quickstart)
            .arg("--state-dir")
            .arg(state)
            .args(["--listen", "127.0.0.1:0", "--sync-interval", "5"])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(log).expect("log")))
            .spawn()
            .expect("start patchwarden up");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(path) = line.strip_prefix("export KUBECONFIG=") {
                    let _ = tx.send(PathBuf::from(path));
                }
            }
        });
        let kubeconfig = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                panic!(
                    "up printed no KUBECONFIG line: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                )
            });
        Up { child, kubeconfig }
    }

    /// SIGTERM, like Ctrl-C, then wait for the clean stop.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kubectl(kubeconfig: &Path, home: &Path, args: &[&str]) -> Option<Value> {
    let output = Command::new("kubectl")
        .args(args)
        .args(["-o", "json"])
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| serde_json::from_slice(&output.stdout).ok())
        .flatten()
}

fn wait_standard_compliant(up: &Up, home: &Path, log: &Path) -> Value {
    let started = Instant::now();
    loop {
        if let Some(policy) = kubectl(
            &up.kubeconfig,
            home,
            &["get", "patchpolicy", "quickstart-standard"],
        ) && condition(&policy, "Ready").is_some_and(|r| r.0 == "True")
            && policy["status"]["compliance"]["percent"] == 100.0
            && policy["status"]["compliance"]["assets"] == 6
        {
            return policy;
        }
        if started.elapsed() > Duration::from_secs(240) {
            panic!(
                "the standard policy did not become Ready and compliant: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn up_runs_the_quickstart_to_compliance_and_resumes_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let log = dir.path().join("up.log");

    let mut up = Up::start(&state, &log);
    let policy = wait_standard_compliant(&up, &home, &log);
    assert_eq!(
        policy["status"]["observedGeneration"],
        policy["metadata"]["generation"]
    );
    // Assets follow the policy's approvals a moment later.
    let started = Instant::now();
    let assets = loop {
        let list = kubectl(&up.kubeconfig, &home, &["get", "assets"]).expect("assets");
        let items = list["items"].as_array().cloned().unwrap_or_default();
        if items
            .iter()
            .all(|a| a["status"]["patchState"] == "Compliant")
            || started.elapsed() > Duration::from_secs(30)
        {
            break items;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(assets.len(), 6);
    for asset in &assets {
        assert_eq!(asset["status"]["os"]["ecosystem"], "Debian:12", "{asset}");
        assert!(asset["status"]["findings"].is_object(), "assessed: {asset}");
        assert!(asset["status"]["inventoryDigest"].is_string(), "{asset}");
        assert_eq!(asset["status"]["patchState"], "Compliant", "{asset}");
    }
    let runs = kubectl(&up.kubeconfig, &home, &["get", "patchruns"]).expect("runs");
    let items = runs["items"].as_array().expect("items");
    assert!(!items.is_empty(), "the quickstart patched nothing");
    for run in items {
        assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    }
    let first_uid = policy["metadata"]["uid"].clone();
    let progress = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        progress.contains("[1/5] starting the control plane"),
        "{progress}"
    );
    up.stop();
    assert!(
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("stopped; run the same command again")
    );

    // The second start resumes: same objects, nothing re-created, still compliant.
    let log2 = dir.path().join("up2.log");
    let up = Up::start(&state, &log2);
    let progress = std::fs::read_to_string(&log2).unwrap_or_default();
    assert!(
        progress.contains("resuming the control plane"),
        "{progress}"
    );
    let policy = wait_standard_compliant(&up, &home, &log2);
    assert_eq!(
        policy["metadata"]["uid"], first_uid,
        "the policy was re-created"
    );
    let runs_after = kubectl(&up.kubeconfig, &home, &["get", "patchruns"]).expect("runs");
    assert_eq!(
        runs_after["items"].as_array().map(Vec::len),
        runs["items"].as_array().map(Vec::len),
        "a restart started new runs"
    );
}
