//! End to end, HTTP health checks: a local server the test starts on a loopback port answers
//! 200 for a lab host until its installed packages change, then 500. The canary's check passes
//! before patching and fails after, so the canary is rolled back and the run halts. A check
//! against a port that nothing listens on never lets a run succeed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use support::cluster::Cluster;
use support::lab::{apply_with_open_window, dpkg_versions, planned_hosts};
use support::operator::Operator;
use support::patchwarden;

/// The installed versions of one lab host, as `dpkg_versions` reads them.
type Versions = BTreeMap<String, (String, String)>;

/// A health endpoint per lab host (`GET /health/<host>`): 200 while the host's packages are
/// as they were at its first request, 500 once they changed. Stopped and joined on drop.
struct PackageWatchingServer {
    port: u16,
    stop: Arc<AtomicBool>,
    failed_hosts: Arc<Mutex<BTreeSet<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl PackageWatchingServer {
    fn start(hosts_dir: PathBuf) -> PackageWatchingServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let failed_hosts = Arc::new(Mutex::new(BTreeSet::new()));
        let thread = {
            let stop = stop.clone();
            let failed_hosts = failed_hosts.clone();
            std::thread::spawn(move || {
                let mut first_seen: BTreeMap<String, Versions> = BTreeMap::new();
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            answer(stream, &hosts_dir, &mut first_seen, &failed_hosts)
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(20))
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })
        };
        PackageWatchingServer {
            port,
            stop,
            failed_hosts,
            thread: Some(thread),
        }
    }

    fn failed_hosts(&self) -> BTreeSet<String> {
        self.failed_hosts
            .lock()
            .map(|h| h.clone())
            .unwrap_or_default()
    }
}

impl Drop for PackageWatchingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one request: the host named by the path is healthy while its packages have not
/// changed since its first request.
fn answer(
    mut stream: TcpStream,
    hosts_dir: &std::path::Path,
    first_seen: &mut BTreeMap<String, Versions>,
    failed_hosts: &Mutex<BTreeSet<String>>,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request);
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let host = path.strip_prefix("/health/").unwrap_or("");
    let healthy = if host.is_empty() || host.contains('/') || host.contains("..") {
        false
    } else {
        let now = dpkg_versions(&hosts_dir.join(host));
        let before = first_seen.entry(host.to_string()).or_insert(now.clone());
        *before == now
    };
    if !healthy && let Ok(mut hosts) = failed_hosts.lock() {
        hosts.insert(host.to_string());
    }
    let (status, body) = if healthy {
        ("200 OK", "healthy")
    } else {
        ("500 Internal Server Error", "packages changed")
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

/// A loopback port that was bound and closed again: nothing answers on it.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("address").port()
}

fn resources(port: u16) -> String {
    format!(
        r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: web
  namespace: default
spec:
  lab:
    hosts: 3
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: checked
  namespace: default
spec:
  assetGroups: [web]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
    include: ["openssl", "libssl*"]
  rollout:
    canary: 1
    maxUnavailable: 2
    healthChecks:
      - name: http-health
        http:
          url: "http://127.0.0.1:{port}/health/{{address}}"
          expectStatus: 200
          bodyContains: healthy
        timeout: 5s
        attempts: 2
"#
    )
}

fn unreachable_policy(port: u16) -> String {
    format!(
        r#"
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: unreachable
  namespace: default
spec:
  assetGroups: [web]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
    include: ["libexpat1"]
  rollout:
    canary: 1
    healthChecks:
      - name: nobody-home
        http:
          url: "http://127.0.0.1:{port}/health"
        timeout: 2s
        attempts: 1
"#
    )
}

/// The finished run of `policy`.
fn finished_run(cluster: &Cluster, policy: &str) -> serde_json::Value {
    cluster.wait_for(
        &format!("the run of {policy} to finish"),
        Duration::from_secs(300),
        || {
            let selector = format!("patchwarden.io/policy={policy}");
            let runs = cluster.get_json(&["patchruns", "-l", &selector])?;
            let run = runs["items"].as_array()?.first()?.clone();
            run["status"]["finishedAt"].is_string().then_some(run)
        },
    )
}

#[test]
fn an_http_check_broken_by_the_patch_rolls_the_canary_back_and_an_unreachable_one_never_succeeds() {
    let cluster = Cluster::start();
    let server = PackageWatchingServer::start(cluster.path("labs/default/web/hosts"));
    let _operator = Operator::start(&cluster, patchwarden!(), "health", &[]);
    apply_with_open_window(&cluster, &resources(server.port), "web");

    let run = finished_run(&cluster, "checked");
    assert_eq!(run["status"]["phase"], "Halted", "{run}");
    let canary = run["spec"]["waves"][0]["assets"][0]
        .as_str()
        .expect("canary")
        .to_string();
    let results = run["status"]["assets"].as_array().expect("results");
    for result in results {
        if result["name"] == canary.as_str() {
            assert_eq!(result["state"], "RolledBack", "{result}");
            let message = result["message"].as_str().unwrap_or_default();
            assert!(message.contains("http-health"), "{message}");
        } else {
            assert_eq!(result["state"], "Skipped", "{result}");
        }
    }
    let message = run["status"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("canary {canary} failed")),
        "{message}"
    );
    assert!(
        message.contains("health check http-health failed after patching")
            && message.contains("HTTP status 500, expected 200"),
        "{message}"
    );
    // The canary answered 500 after patching, and is back at its recorded versions.
    let hosts = planned_hosts(&cluster, &run, "web");
    let canary_host = hosts
        .iter()
        .find(|h| h.name == canary)
        .expect("canary host");
    let address = canary_host
        .root
        .file_name()
        .and_then(|n| n.to_str())
        .expect("host directory")
        .to_string();
    assert_eq!(server.failed_hosts(), BTreeSet::from([address]));
    let dpkg = dpkg_versions(&canary_host.root);
    for package in &canary_host.packages {
        let name = package["name"].as_str().expect("package");
        let (version, _) = dpkg.get(name).expect("installed");
        assert_eq!(version, package["from"].as_str().expect("from"), "{name}");
    }

    // A check nothing answers: the canary cannot be verified, so the run never succeeds.
    cluster.apply(&unreachable_policy(closed_port()));
    let run = finished_run(&cluster, "unreachable");
    assert_eq!(run["status"]["phase"], "Halted", "{run}");
    let message = run["status"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("health check nobody-home could not be made after patching"),
        "{message}"
    );
    drop(server);
}

#[test]
fn a_check_already_failing_before_patching_is_reported_and_does_not_fail_the_asset() {
    let cluster = Cluster::start();
    // Every path outside `/health/<host>` answers 500, before patching as after.
    let server = PackageWatchingServer::start(cluster.path("labs/default/web/hosts"));
    let _operator = Operator::start(&cluster, patchwarden!(), "baseline", &[]);
    let resources = resources(server.port).replace(
        "        timeout: 5s\n        attempts: 2\n",
        "        timeout: 5s\n        attempts: 2\n      - name: legacy\n        http:\n          url: \"http://127.0.0.1:PORT/legacy\"\n        attempts: 1\n",
    );
    let resources = resources
        .replace("PORT", &server.port.to_string())
        .replace("{address}", "unchanged-host");
    apply_with_open_window(&cluster, &resources, "web");

    let run = finished_run(&cluster, "checked");
    assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    for result in run["status"]["assets"].as_array().expect("results") {
        assert_eq!(result["state"], "Succeeded", "{result}");
        let message = result["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(
                "health check legacy was already failing before patching (not counted): GET http://127.0.0.1:"
            ) && message.contains("HTTP status 500, expected 200"),
            "{message}"
        );
    }
    drop(server);
}
