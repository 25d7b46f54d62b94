//! Shared helpers of the end-to-end tests: an in-process server on its own runtime, the real
//! kubectl with an isolated HOME and cache, a minimal raw HTTP client (to send malformed
//! requests no typed client would), and a guard that kills spawned processes by PID.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::Duration;

use patchwarden_apiserver::{ApiServer, Config, RunningServer};

/// An in-process server with the runtime that drives it.
pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
    pub server: Option<RunningServer>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(|_| {})
    }

    pub fn start_with(configure: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut config = Config::new(dir.path().join("data"));
        configure(&mut config);
        let server = runtime
            .block_on(ApiServer::start(config))
            .expect("server starts");
        TestServer {
            dir,
            runtime,
            server: Some(server),
        }
    }

    pub fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    pub fn addr(&self) -> SocketAddr {
        self.running().addr
    }

    pub fn kubectl(&self) -> Kubectl {
        Kubectl::new(self.dir.path(), &self.running().kubeconfig_path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// The real kubectl (the dispatcher picks 1.32 from the server's /version) with its own HOME
/// and discovery cache, so no test sees another's cache.
pub struct Kubectl {
    pub home: PathBuf,
    pub kubeconfig: PathBuf,
    pub binary: PathBuf,
}

impl Kubectl {
    pub fn new(base: &Path, kubeconfig: &Path) -> Kubectl {
        let home = base.join(format!("home-{}", std::process::id()));
        std::fs::create_dir_all(&home).expect("home dir");
        let binary = std::env::var_os("KUBECTL")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("kubectl"));
        Kubectl {
            home,
            kubeconfig: kubeconfig.to_path_buf(),
            binary,
        }
    }

    /// kubectl with this test's kubeconfig, HOME and cache, stdout and stderr captured.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.home.join("cache"))
            .env("HOME", &self.home)
            .env_remove("KUBECONFIG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    }

    /// Runs kubectl with `args` and optional stdin; returns (success, stdout, stderr).
    pub fn run_with_input(&self, args: &[&str], input: Option<&str>) -> (bool, String, String) {
        let mut cmd = self.command(args);
        cmd.stdin(std::process::Stdio::piped());
        let mut child = cmd
            .spawn()
            .expect("kubectl must be installed (the real binary is tested)");
        let guard = ChildGuard::new(child.id());
        if let Some(text) = input {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        } else {
            drop(child.stdin.take());
        }
        let out: Output = child.wait_with_output().expect("kubectl runs");
        guard.disarm();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs kubectl and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run_with_input(args, None);
        assert!(ok, "kubectl {args:?} failed:\nstdout: {out}\nstderr: {err}");
        out
    }

    pub fn ok_stdin(&self, args: &[&str], input: &str) -> String {
        let (ok, out, err) = self.run_with_input(args, Some(input));
        assert!(ok, "kubectl {args:?} failed:\nstdout: {out}\nstderr: {err}");
        out
    }

    /// Runs kubectl and asserts failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run_with_input(args, None);
        assert!(!ok, "kubectl {args:?} unexpectedly succeeded: {out}");
        err
    }

    /// Starts kubectl in the background (for `wait`, `delete` that block).
    pub fn spawn(&self, args: &[&str]) -> (Child, ChildGuard) {
        let child = self.command(args).spawn().expect("kubectl spawns");
        let guard = ChildGuard::new(child.id());
        (child, guard)
    }
}

/// Kills a process by PID when dropped (also when the test panics).
pub struct ChildGuard {
    pid: Option<u32>,
}

impl ChildGuard {
    pub fn new(pid: u32) -> ChildGuard {
        ChildGuard { pid: Some(pid) }
    }

    /// The process ended on its own; nothing to kill.
    pub fn disarm(mut self) {
        self.pid = None;
    }

    pub fn kill_now(&mut self) {
        if let Some(pid) = self.pid.take() {
            let _ = kill(pid);
        }
    }
}

/// Sends SIGKILL to one PID (the crate forbids unsafe code, so the kill(1) utility is run
/// with the PID as an argument).
fn kill(pid: u32) -> i32 {
    let status = Command::new("kill")
        .arg("-KILL")
        .arg(pid.to_string())
        .status();
    match status {
        Ok(s) if s.success() => 0,
        _ => -1,
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// A raw HTTP/1.1 exchange: returns (status code, headers text, body).
pub fn raw_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    try_raw_request(addr, method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// A raw HTTP/1.1 exchange that reports connection failures instead of panicking.
pub fn try_raw_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, String, Vec<u8>), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream
        .write_all(req.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    // A server may answer (413) before the whole body is read; a failed write is fine then.
    let _ = stream.write_all(body);
    let mut resp = Vec::new();
    let _ = stream.read_to_end(&mut resp);
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no response head")?;
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    let mut body = resp[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    let code: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no status code")?;
    Ok((code, head, body))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..eol]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

pub fn json_body(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

/// The test CRD: a namespaced Widget with printer columns, a status subresource and a schema
/// with defaults, enums, bounds and required fields.
pub const WIDGET_CRD: &str = include_str!("../fixtures/widget-crd.yaml");
