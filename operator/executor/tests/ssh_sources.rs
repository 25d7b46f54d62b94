//! The SSH executor's package sources against a real sshd fronting a lab host, inside a
//! private network, mount and PID namespace made by this test (`unshare`): the sources script
//! runs `apt-cache policy` with the host's apt configuration and reads its lists directory.
//!
//! The test re-runs itself inside the namespace; the outer run only checks the inner result.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use patchwarden_executor::{AssetRef, ExecErrorKind, Executor, SshConfig, SshExecutor};
use patchwarden_lab::{Lab, LabDelta, LabSpec};

const INSIDE: &str = "PATCHWARDEN_SSH_SOURCES_TEST_INSIDE_NAMESPACE";
const TEST_NAME: &str = "ssh_package_sources_against_real_sshd_in_a_private_namespace";

/// Kills a started process by PID when dropped, even when the test fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn ssh_package_sources_against_real_sshd_in_a_private_namespace() {
    if std::env::var_os(INSIDE).is_some() {
        inside_namespace();
        return;
    }
    let child = Command::new("unshare")
        .args([
            "--net",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "--propagation",
            "private",
            "--",
        ])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .spawn()
        .unwrap();
    let mut guard = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = guard.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "namespace test did not finish in 180 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "the test inside the namespace failed: {status}"
    );
}

fn sh(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().unwrap();
    assert!(status.success(), "{program} {args:?}");
}

fn keygen(path: &Path) -> String {
    sh(
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-f",
            path.to_str().unwrap(),
        ],
    );
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A port the kernel picks on `address`, free in this private namespace.
fn free_port(address: Ipv4Addr) -> u16 {
    TcpListener::bind((address, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct SshHost {
    asset: AssetRef,
    _sshd: KillOnDrop,
}

fn start_sshd(
    dir: &Path,
    index: u8,
    root: &Path,
    authorized: &Path,
    known_hosts: &mut String,
) -> SshHost {
    let address = Ipv4Addr::new(127, 0, 0, 10 + index);
    let port = free_port(address);
    let key = dir.join(format!("host{index}_key"));
    let public = keygen(&key);
    known_hosts.push_str(&format!("[{address}]:{port} {public}\n"));
    let config = dir.join(format!("sshd{index}.conf"));
    std::fs::write(
        &config,
        format!(
            "ListenAddress {address}:{port}\nHostKey {key}\nPidFile {dir}/sshd{index}.pid\n\
             AuthorizedKeysFile {authorized}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n\
             SetEnv APT_CONFIG={root}/etc/apt/isolated.conf DPKG_ROOT={root}\n",
            key = key.display(),
            dir = dir.display(),
            authorized = authorized.display(),
            root = root.display(),
        ),
    )
    .unwrap();
    let sshd = Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sshd = KillOnDrop(sshd);
    let started = Instant::now();
    while TcpStream::connect((address, port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "sshd {index} did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut asset = AssetRef::named(format!("lab-{index:02}"));
    asset.address = Some(address.to_string());
    asset.port = Some(port);
    SshHost { asset, _sshd: sshd }
}

fn inside_namespace() {
    sh("mount", &["-t", "tmpfs", "tmpfs", "/run"]);
    std::fs::create_dir_all("/run/sshd").unwrap();
    sh("ip", &["link", "set", "lo", "up"]);
    let tmp = tempfile::tempdir().unwrap();
    let lab_dir = tmp.path().join("lab");
    let (lab, _) = Lab::create(&lab_dir, &LabDelta::embedded().unwrap(), &LabSpec::new(1)).unwrap();
    let keys = tmp.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let client_key = keys.join("client_key");
    let client_public = keygen(&client_key);
    let authorized = keys.join("authorized_keys");
    std::fs::write(&authorized, format!("{client_public}\n")).unwrap();
    let mut known = String::new();
    let root = lab.host("lab-01").unwrap().root;
    let host = start_sshd(&keys, 1, &root, &authorized, &mut known);
    let config = SshConfig::from_key_material(
        &keys.join("creds"),
        &std::fs::read(&client_key).unwrap(),
        known.as_bytes(),
    )
    .unwrap();
    let exec = SshExecutor::new(config);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let packages = ["libssl3", "nosuch-package"].map(String::from);
        let sources = exec.package_sources(&host.asset, &packages).await.unwrap();
        let expected = lab
            .packages()
            .iter()
            .find(|p| p.package == "libssl3")
            .unwrap();
        let ssl = sources.package("libssl3").unwrap();
        assert_eq!(
            ssl.installed.as_deref(),
            Some(expected.installed_version.as_str())
        );
        assert_eq!(
            ssl.candidate.as_deref(),
            Some(expected.candidate_version.as_str())
        );
        assert!(sources.package("nosuch-package").is_none());
        let origin = ssl.origin.as_ref().unwrap();
        let repo = lab_dir.join("repo").canonicalize().unwrap();
        assert_eq!(origin.uri, format!("file:{}", repo.display()));
        let repository = sources.repository(origin).unwrap();
        assert_eq!(repository.suite.as_deref(), Some("bookworm-security"));
        let release = std::fs::read_to_string(repo.join("Release")).unwrap();
        let date = release
            .lines()
            .find_map(|l| l.strip_prefix("Date: "))
            .unwrap();
        assert_eq!(repository.date.as_deref(), Some(date));

        // Names that would be options or shell text never reach the asset.
        let hostile = ["-oDir=/".to_string(), "jq;reboot".to_string()];
        for name in hostile {
            let err = exec
                .package_sources(&host.asset, std::slice::from_ref(&name))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ExecErrorKind::Invalid, "{err}");
        }
    });
}
