//! The SSH executor against real sshd processes, each fronting a lab host, inside a private
//! network, mount and PID namespace made by this test (`unshare`): nothing can leave the
//! machine, and when the test ends the kernel removes every sshd with the namespace.
//!
//! The test re-runs itself inside the namespace; the outer run only checks the inner result.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use patchwarden_executor::command::run;
use patchwarden_executor::{
    AssetRef, ExecErrorKind, Executor, HealthCheck, LabVersion, OutcomeResult, SshConfig,
    SshExecutor, source_targets,
};
use patchwarden_lab::{Fault, FaultKind, Lab, LabDelta, LabSpec};

const INSIDE: &str = "PATCHWARDEN_SSH_TEST_INSIDE_NAMESPACE";
const TEST_NAME: &str = "ssh_executor_against_real_sshd_in_a_private_namespace";

/// Kills a started process by PID when dropped, even when the test fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn ssh_executor_against_real_sshd_in_a_private_namespace() {
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

fn state(lab: &Lab, host: &str, package: &str) -> (String, String) {
    let p = lab.installed_package(host, package).unwrap().unwrap();
    (p.version, p.status)
}

fn inside_namespace() {
    sh("mount", &["-t", "tmpfs", "tmpfs", "/run"]);
    std::fs::create_dir_all("/run/sshd").unwrap();
    sh("ip", &["link", "set", "lo", "up"]);
    let real_status = std::fs::read("/var/lib/dpkg/status").unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let mut spec = LabSpec::new(2);
    spec.faults = Fault::parse_list(FaultKind::PostinstFail, "openssl@lab-02").unwrap();
    let (lab, _) = Lab::create(
        &tmp.path().join("lab"),
        &LabDelta::embedded().unwrap(),
        &spec,
    )
    .unwrap();

    let keys = tmp.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let client_key = keys.join("client_key");
    let client_public = keygen(&client_key);
    let authorized = keys.join("authorized_keys");
    std::fs::write(&authorized, format!("{client_public}\n")).unwrap();
    let mut known = String::new();
    let started = Instant::now();
    let hosts: Vec<SshHost> = (1..=2)
        .map(|i| {
            let root = lab.host(&format!("lab-{i:02}")).unwrap().root;
            start_sshd(&keys, i, &root, &authorized, &mut known)
        })
        .collect();
    eprintln!("2 sshd up: {:?}", started.elapsed());
    let known_hosts = keys.join("known_hosts");
    std::fs::write(&known_hosts, &known).unwrap();
    // Credentials as a Secret would carry them, written out by the executor's helper.
    let config = SshConfig::from_key_material(
        &keys.join("creds"),
        &std::fs::read(&client_key).unwrap(),
        known.as_bytes(),
    )
    .unwrap();
    let exec: std::sync::Arc<dyn Executor> = std::sync::Arc::new(SshExecutor::new(config.clone()));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let one = &hosts[0].asset;
        let two = &hosts[1].asset;

        let t = Instant::now();
        exec.check_reachable(one).await.unwrap();
        eprintln!("ssh check_reachable: {:?}", t.elapsed());

        // A line looking like the old fixed section marker, inside a file the inventory reads,
        // does not split the output: each call's marker is random.
        let os_release = lab.host("lab-01").unwrap().os_release();
        let mut text = std::fs::read_to_string(&os_release).unwrap();
        text.push_str("@@patchwarden@@ dpkg-status\n");
        std::fs::write(&os_release, text).unwrap();

        let t = Instant::now();
        let inv = exec.collect_inventory(one).await.unwrap();
        eprintln!("ssh collect_inventory: {:?}", t.elapsed());
        assert!(inv.os_release.contains("VERSION_CODENAME=bookworm"));
        assert!(inv.os_release.ends_with("@@patchwarden@@ dpkg-status\n"));
        assert!(
            inv.dpkg_status.starts_with("Package: "),
            "{}",
            &inv.dpkg_status[..80]
        );
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        assert_eq!(inv.kernel.as_deref(), Some(kernel.trim()));
        let arch = Command::new("dpkg")
            .arg("--print-architecture")
            .output()
            .unwrap();
        let arch = String::from_utf8(arch.stdout).unwrap();
        assert_eq!(inv.architecture.as_deref(), Some(arch.trim()));
        assert!(
            inv.dpkg_status
                .contains("Package: libssl3\nStatus: install ok installed\n")
        );
        assert!(inv.dpkg_status.contains("Version: 3.0.19-1~deb12u2\n"));
        assert!(!inv.reboot_required);

        let fixed = source_targets(&lab, "openssl", LabVersion::Candidate);
        let report = exec.upgrade(one, &fixed).await.unwrap();
        eprintln!(
            "ssh upgrade openssl (apt-get update + install): {:?}",
            report.duration
        );
        assert!(report.succeeded(), "{:?}", report.failure_message());
        assert!(
            report
                .outcomes
                .iter()
                .all(|o| o.result == OutcomeResult::Changed)
        );
        assert_eq!(
            state(&lab, "lab-01", "openssl"),
            ("3.0.22-1~deb12u2".into(), "ii".into())
        );

        let failed = exec.upgrade(two, &fixed).await.unwrap();
        assert_eq!(failed.exit_code, Some(100));
        let message = failed.failure_message().unwrap();
        assert!(
            message.starts_with("lab-02: openssl 3.0.22-1~deb12u2: "),
            "{message}"
        );
        assert!(message.contains("post-installation"), "{message}");
        assert_eq!(
            state(&lab, "lab-02", "openssl"),
            ("3.0.22-1~deb12u2".into(), "iF".into())
        );
        let health = exec
            .health_check(two, &HealthCheck::default())
            .await
            .unwrap();
        assert!(!health.healthy);
        assert!(
            health.output.contains("openssl 3.0.22-1~deb12u2 iF"),
            "{}",
            health.output
        );
        let back = exec
            .roll_back(two, &source_targets(&lab, "openssl", LabVersion::Installed))
            .await
            .unwrap();
        eprintln!("ssh roll back from iF: {:?}", back.duration);
        assert!(back.succeeded(), "{:?}", back.failure_message());
        assert_eq!(
            state(&lab, "lab-02", "openssl"),
            ("3.0.19-1~deb12u2".into(), "ii".into())
        );
        assert!(
            exec.health_check(two, &HealthCheck::default())
                .await
                .unwrap()
                .healthy
        );

        // The lab's own health check, run remotely as argv with the host's DPKG_ROOT.
        let lab_check = HealthCheck {
            command: vec![
                lab.host("lab-01")
                    .unwrap()
                    .health_check_program()
                    .display()
                    .to_string(),
            ],
            ..HealthCheck::default()
        };
        let report = exec.health_check(one, &lab_check).await.unwrap();
        assert!(report.healthy, "{}", report.output);

        // Words a shell would interpret arrive unchanged through ssh and the remote shell.
        let words = [
            "it's",
            "$(touch /tmp/pwned)",
            "`id`",
            "a;b",
            "a b",
            "*",
            "\\",
            "\"",
            "$HOME",
            "-n",
            "",
        ];
        let mut argv = vec!["printf".to_string(), "%s\\0".to_string()];
        argv.extend(words.iter().map(|w| w.to_string()));
        let ssh = SshExecutor::new(config.clone());
        let out = run(
            "lab-01",
            &ssh.ssh_command(one, &argv).unwrap(),
            Some(Duration::from_secs(30)),
        )
        .await
        .unwrap();
        assert!(out.success(), "{}", out.stderr);
        let echoed: Vec<&str> = out.stdout.split('\0').collect();
        assert_eq!(&echoed[..echoed.len() - 1], words);
        assert!(!Path::new("/tmp/pwned").exists());

        // No sshd behind the address: unreachable.
        let mut nobody = AssetRef::named("lab-03");
        nobody.address = Some("127.0.0.13".into());
        nobody.port = Some(free_port(Ipv4Addr::new(127, 0, 0, 13)));
        let err = exec.check_reachable(&nobody).await.unwrap_err();
        assert_eq!(err.kind(), ExecErrorKind::Unreachable, "{err}");
        assert!(
            exec.upgrade(&nobody, &fixed)
                .await
                .unwrap_err()
                .is_unreachable()
        );

        // A host key that does not match known_hosts: refused, not "unreachable", nothing runs.
        let log = lab.host("lab-01").unwrap().dpkg_log();
        let log_before = std::fs::read_to_string(&log).unwrap();
        let wrong_key = keygen(&keys.join("impostor_key"));
        let port = one.port.unwrap();
        let wrong_known = keys.join("known_hosts_wrong");
        std::fs::write(&wrong_known, format!("[127.0.0.11]:{port} {wrong_key}\n")).unwrap();
        let suspicious = SshExecutor::new(SshConfig::new(client_key.clone(), wrong_known));
        let err = suspicious
            .upgrade(one, &source_targets(&lab, "jq", LabVersion::Candidate))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ExecErrorKind::Invalid, "{err}");
        assert!(err.to_string().contains("lab-01"), "{err}");
        assert_eq!(std::fs::read_to_string(&log).unwrap(), log_before);
        // The same through credentials given as bytes, as a Secret carries them: the
        // inventory is refused as a configuration error naming the verification failure.
        let from_secret = SshExecutor::from_key_material(
            &std::fs::read(&client_key).unwrap(),
            format!("[127.0.0.11]:{port} {wrong_key}\n").as_bytes(),
            |_| {},
        )
        .unwrap();
        let err = from_secret.collect_inventory(one).await.unwrap_err();
        assert_eq!(err.kind(), ExecErrorKind::Invalid, "{err}");
        assert!(
            err.to_string().contains("Host key verification failed"),
            "{err}"
        );
        let key_dir = from_secret
            .config()
            .identity_file
            .parent()
            .unwrap()
            .to_path_buf();
        assert!(key_dir.exists());
        drop(from_secret);
        assert!(!key_dir.exists(), "key files removed with the executor");

        // An upgrade that outlives its time limit is a timeout naming asset and operation,
        // not its arguments. An apt-get that had started goes on in its own session on the
        // asset; the next upgrade waits for its lock and ends at the target either way.
        let mut hasty = config.clone();
        hasty.change_timeout = Duration::from_millis(300);
        hasty.refresh_package_lists = false;
        let hasty = SshExecutor::new(hasty);
        let jq = source_targets(&lab, "jq", LabVersion::Candidate);
        let err = hasty.upgrade(two, &jq).await.unwrap_err();
        assert_eq!(err.kind(), ExecErrorKind::Failed, "{err}");
        assert!(
            err.to_string()
                .starts_with("lab-02: `upgrade over ssh` did not finish within"),
            "{err}"
        );
        assert!(!err.to_string().contains("jq"), "{err}");
        let report = exec.upgrade(two, &jq).await.unwrap();
        assert!(report.succeeded(), "{:?}", report.failure_message());
        assert_eq!(state(&lab, "lab-02", &jq[0].package).0, jq[0].version);
    });
    drop(hosts);
    assert_eq!(std::fs::read("/var/lib/dpkg/status").unwrap(), real_status);
}
