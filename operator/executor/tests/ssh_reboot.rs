//! SSH reboots against a real sshd inside a private network, mount and PID namespace made by
//! this test (`unshare`). The host is a directory whose `proc/sys/kernel/random/boot_id` the
//! login reads through `DPKG_ROOT`; its "reboot" command is a script that stops sshd, writes a
//! new boot id and starts sshd again — or, for the host that never comes back, only stops it.
//!
//! The test re-runs itself inside the namespace; the outer run only checks the inner result.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use patchwarden_executor::{AssetRef, ExecError, Executor, RebootRequest, SshConfig, SshExecutor};

const INSIDE: &str = "PATCHWARDEN_SSH_REBOOT_TEST_INSIDE_NAMESPACE";
const TEST_NAME: &str = "ssh_reboots_against_real_sshd_in_a_private_namespace";

/// Kills a started process by PID when dropped, even when the test fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Kills the sshd a reboot script started (by the PID in its pid file) when dropped.
struct KillPidFileOnDrop(PathBuf);

impl Drop for KillPidFileOnDrop {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

#[test]
fn ssh_reboots_against_real_sshd_in_a_private_namespace() {
    if std::env::var_os(INSIDE).is_some() {
        inside_namespace();
        return;
    }
    let child = Command::new("unshare")
        .args(["--net", "--mount", "--pid", "--fork", "--kill-child"])
        .args(["--propagation", "private", "--"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .spawn()
        .unwrap();
    let mut guard = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = guard.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "namespace test did not finish");
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
    let file = path.to_str().unwrap();
    sh("ssh-keygen", &["-q", "-t", "ed25519", "-N", "", "-f", file]);
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The "reboot" of a test host: in the background (so the login that ran it can end), stop
/// sshd, and unless `never_returns`, write a new boot id and start sshd again. The host that
/// never returns first keeps answering with its old boot id for a while (a slow shutdown), so
/// that the executor surely sees that before the host goes down for good.
fn reboot_script(root: &Path, config: &Path, pid_file: &Path, never_returns: bool) -> String {
    let (goes_down_after, comeback) = if never_returns {
        ("1.5", String::new())
    } else {
        (
            "0.5",
            format!(
                "cat /proc/sys/kernel/random/uuid > {root}/proc/sys/kernel/random/boot_id; /usr/sbin/sshd -f {config}",
                root = root.display(),
                config = config.display(),
            ),
        )
    };
    format!(
        "#!/bin/sh\n(sleep {goes_down_after}; kill $(cat {pid}); sleep 1; {comeback}) </dev/null >/dev/null 2>&1 &\nexit 0\n",
        pid = pid_file.display(),
    )
}

struct TestHost {
    asset: AssetRef,
    root: PathBuf,
    reboot: PathBuf,
    _sshd: KillOnDrop,
    _restarted: KillPidFileOnDrop,
}

impl TestHost {
    fn boot_id(&self) -> String {
        std::fs::read_to_string(self.root.join("proc/sys/kernel/random/boot_id"))
            .unwrap()
            .trim()
            .to_string()
    }
}

fn start_host(
    dir: &Path,
    index: u8,
    authorized: &Path,
    known_hosts: &mut String,
    never_returns: bool,
) -> TestHost {
    let address = Ipv4Addr::new(127, 0, 0, 10 + index);
    let port = TcpListener::bind((address, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = dir.join(format!("host{index}"));
    std::fs::create_dir_all(root.join("proc/sys/kernel/random")).unwrap();
    std::fs::write(
        root.join("proc/sys/kernel/random/boot_id"),
        "11111111-2222-3333-4444-555555555555\n",
    )
    .unwrap();
    let key = dir.join(format!("host{index}_key"));
    let public = keygen(&key);
    known_hosts.push_str(&format!("[{address}]:{port} {public}\n"));
    let config = dir.join(format!("sshd{index}.conf"));
    let pid_file = dir.join(format!("sshd{index}.pid"));
    std::fs::write(
        &config,
        format!(
            "ListenAddress {address}:{port}\nHostKey {key}\nPidFile {pid}\n\
             AuthorizedKeysFile {authorized}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\nSetEnv DPKG_ROOT={root}\n",
            key = key.display(),
            pid = pid_file.display(),
            authorized = authorized.display(),
            root = root.display(),
        ),
    )
    .unwrap();
    let reboot = dir.join(format!("reboot{index}.sh"));
    std::fs::write(
        &reboot,
        reboot_script(&root, &config, &pid_file, never_returns),
    )
    .unwrap();
    sh("chmod", &["755", reboot.to_str().unwrap()]);
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
    let mut asset = AssetRef::named(format!("host-{index}"));
    asset.address = Some(address.to_string());
    asset.port = Some(port);
    TestHost {
        asset,
        root,
        reboot,
        _sshd: sshd,
        _restarted: KillPidFileOnDrop(pid_file),
    }
}

fn request(host: &TestHost, timeout: Duration) -> RebootRequest {
    let mut request = RebootRequest::new(timeout);
    request.command = vec![host.reboot.display().to_string()];
    request.poll_interval = Duration::from_millis(200);
    request
}

fn inside_namespace() {
    sh("mount", &["-t", "tmpfs", "tmpfs", "/run"]);
    std::fs::create_dir_all("/run/sshd").unwrap();
    sh("ip", &["link", "set", "lo", "up"]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let client_key = dir.join("client_key");
    let authorized = dir.join("authorized_keys");
    std::fs::write(&authorized, format!("{}\n", keygen(&client_key))).unwrap();
    let mut known = String::new();
    let returns = start_host(dir, 1, &authorized, &mut known, false);
    let vanishes = start_host(dir, 2, &authorized, &mut known, true);
    let known_hosts = dir.join("known_hosts");
    std::fs::write(&known_hosts, &known).unwrap();
    let mut config = SshConfig::new(client_key, known_hosts);
    config.connect_timeout = Duration::from_secs(2);
    let exec = SshExecutor::new(config);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let before = returns.boot_id();
        assert_eq!(exec.boot_id(&returns.asset).await.unwrap(), before);
        let report = exec
            .reboot(&returns.asset, &request(&returns, Duration::from_secs(30)))
            .await
            .unwrap();
        eprintln!("ssh reboot: {:?}", report.duration);
        assert!(report.issued);
        assert_eq!(report.boot_id_before, before);
        assert_ne!(report.boot_id_after, before);
        assert_eq!(report.boot_id_after, returns.boot_id());

        // Asked again with the boot id recorded before: the reboot already happened.
        let mut again = request(&returns, Duration::from_secs(30));
        again.boot_id_before = Some(before.clone());
        let report = exec.reboot(&returns.asset, &again).await.unwrap();
        assert!(!report.issued, "a recorded reboot is not issued twice");
        assert_eq!(report.boot_id_after, returns.boot_id());

        // A command that does not reboot: the host answers with the same boot id.
        let mut noop = request(&returns, Duration::from_secs(2));
        noop.command = vec!["true".to_string()];
        let error = exec.reboot(&returns.asset, &noop).await.unwrap_err();
        assert!(matches!(error, ExecError::NotRebooted { .. }), "{error}");
        assert!(
            error
                .to_string()
                .contains("host answered but did not reboot"),
            "{error}"
        );

        let error = exec
            .reboot(&vanishes.asset, &request(&vanishes, Duration::from_secs(5)))
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "host-2: did not answer with a new boot id within the reboot timeout of 5s"
        );
        assert_eq!(vanishes.boot_id(), "11111111-2222-3333-4444-555555555555");
    });
}
