//! End to end, a behavioural health check: a local service the test starts on a loopback port
//! reports each lab host's latency as JSON, and the latency doubles once the host's installed
//! packages change. The check's metric allows 50 % over the baseline measured before
//! patching, so the canary fails verification after patching: it is rolled back to its
//! recorded versions and the run halts.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use support::cluster::Cluster;
use support::lab::{apply_with_open_window, dpkg_versions, planned_hosts};
use support::operator::Operator;
use support::patchwarden;

/// The installed versions of one lab host, as `dpkg_versions` reads them.
type Versions = BTreeMap<String, (String, String)>;

/// The latency a host reports while its packages are as first seen, in milliseconds.
const BASELINE_MS: u32 = 20;

/// `GET /metrics/<host>` answers `{"latency_ms": N}`: 20 while the host's packages are as at
/// its first request, 40 once they changed. Stopped and joined on drop.
struct LatencyServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LatencyServer {
    fn start(hosts_dir: PathBuf) -> LatencyServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut first_seen: BTreeMap<String, Versions> = BTreeMap::new();
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => answer(stream, &hosts_dir, &mut first_seen),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(20))
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })
        };
        LatencyServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for LatencyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one request with the latency of the host the path names.
fn answer(mut stream: TcpStream, hosts_dir: &Path, first_seen: &mut BTreeMap<String, Versions>) {
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
    let host = path.strip_prefix("/metrics/").unwrap_or("");
    let response = if host.is_empty() || host.contains('/') || host.contains("..") {
        String::from("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    } else {
        let now = dpkg_versions(&hosts_dir.join(host));
        let before = first_seen.entry(host.to_string()).or_insert(now.clone());
        let latency = if *before == now {
            BASELINE_MS
        } else {
            2 * BASELINE_MS
        };
        let body = format!("{{\"host\": \"{host}\", \"latency_ms\": {latency}}}");
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let _ = stream.write_all(response.as_bytes());
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
  name: behaviour
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
      - name: latency
        http:
          url: "http://127.0.0.1:{port}/metrics/{{address}}"
        metric:
          jsonPath: $.latency_ms
          maxIncreasePercent: 50
        timeout: 5s
        attempts: 1
"#
    )
}

#[test]
fn a_latency_that_doubles_after_patching_rolls_the_canary_back_and_halts_the_run() {
    let cluster = Cluster::start();
    let server = LatencyServer::start(cluster.path("labs/default/web/hosts"));
    let _operator = Operator::start(&cluster, patchwarden!(), "behaviour", &[]);
    apply_with_open_window(&cluster, &resources(server.port), "web");

    let run = cluster.wait_for("the run to finish", Duration::from_secs(300), || {
        let runs = cluster.get_json(&["patchruns", "-l", "patchwarden.io/policy=behaviour"])?;
        let run = runs["items"].as_array()?.first()?.clone();
        run["status"]["finishedAt"].is_string().then_some(run)
    });
    assert_eq!(run["status"]["phase"], "Halted", "{run}");
    let canary = run["spec"]["waves"][0]["assets"][0]
        .as_str()
        .expect("canary")
        .to_string();
    for result in run["status"]["assets"].as_array().expect("results") {
        if result["name"] == canary.as_str() {
            assert_eq!(result["state"], "RolledBack", "{result}");
        } else {
            assert_eq!(result["state"], "Skipped", "{result}");
        }
    }
    let message = run["status"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("health check latency failed after")
            && message.contains("latency: 40 after patching is 100.0% above the baseline 20"),
        "{message}"
    );
    // The canary is back at its recorded versions.
    let hosts = planned_hosts(&cluster, &run, "web");
    let canary_host = hosts.iter().find(|h| h.name == canary).expect("canary");
    let dpkg = dpkg_versions(&canary_host.root);
    for package in &canary_host.packages {
        let name = package["name"].as_str().expect("package");
        let (version, _) = dpkg.get(name).expect("installed");
        assert_eq!(version, package["from"].as_str().expect("from"), "{name}");
    }
    drop(server);
}
