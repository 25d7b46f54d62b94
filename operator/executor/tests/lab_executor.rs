//! The lab executor against real apt-get and dpkg on lab hosts: inventory, upgrade, a failing
//! postinst, roll back, health checks, unreachable hosts, and the dpkg log as the record of
//! what was done. Durations of the apt operations are printed (`--nocapture`).

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use patchwarden_executor::{
    AssetRef, ExecErrorKind, Executor, HealthCheck, LabExecutor, LabVersion, OutcomeResult,
    PackageTarget, source_targets,
};
use patchwarden_lab::{Fault, FaultKind, Lab, LabDelta, LabSpec, read_dpkg_log};
use sha2::{Digest, Sha256};

fn lab(dir: &Path, faults: &[(FaultKind, &str)], unreachable: &[&str]) -> Lab {
    let mut spec = LabSpec::new(3);
    for (kind, list) in faults {
        spec.faults.extend(Fault::parse_list(*kind, list).unwrap());
    }
    spec.unreachable = unreachable.iter().map(|s| s.to_string()).collect();
    Lab::create(dir, &LabDelta::embedded().unwrap(), &spec)
        .unwrap()
        .0
}

fn executor(lab: &Lab) -> Arc<dyn Executor> {
    Arc::new(LabExecutor::new(lab.clone()))
}

fn state(lab: &Lab, host: &str, package: &str) -> (String, String) {
    let p = lab.installed_package(host, package).unwrap().unwrap();
    (p.version, p.status)
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_reports_the_real_debian_12_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), &[], &[]);
    let exec = executor(&lab);
    let asset = AssetRef::named("lab-01");
    let started = std::time::Instant::now();
    let inv = exec.collect_inventory(&asset).await.unwrap();
    eprintln!("collect_inventory: {:?}", started.elapsed());
    assert_eq!(inv.asset, "lab-01");
    assert!(inv.os_release.contains("VERSION_CODENAME=bookworm"));
    assert!(
        inv.dpkg_status
            .contains("Package: libssl3\nStatus: install ok installed\n")
    );
    assert!(inv.dpkg_status.contains("Version: 3.0.19-1~deb12u2\n"));
    assert!(inv.dpkg_status.contains("Package: libssh2-1\n"));
    assert!(inv.dpkg_status.contains("Version: 1.10.0-3+b1\n"));
    assert_eq!(
        inv.dpkg_status
            .matches("\nStatus: install ok installed")
            .count()
            + usize::from(inv.dpkg_status.starts_with("Status:")),
        17
    );
    assert!(!inv.reboot_required);
    assert_eq!(inv.dpkg_status_sha256.len(), 64);
    // Same database, same digest.
    let again = exec.collect_inventory(&asset).await.unwrap();
    assert_eq!(again.dpkg_status_sha256, inv.dpkg_status_sha256);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_then_roll_back_one_host_leaves_the_others_and_the_machine_alone() {
    let real_status = Path::new("/var/lib/dpkg/status");
    let real_before = sha256(real_status);
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(
        tmp.path(),
        &[(FaultKind::RebootRequired, "libssl3@lab-01")],
        &[],
    );
    let exec = executor(&lab);
    let asset = AssetRef::named("lab-01");
    let fixed = source_targets(&lab, "openssl", LabVersion::Candidate);
    assert_eq!(fixed.len(), 3);

    let report = exec.upgrade(&asset, &fixed).await.unwrap();
    eprintln!("upgrade openssl (3 binaries): {:?}", report.duration);
    assert!(report.succeeded(), "{:?}", report.failure_message());
    assert_eq!(report.exit_code, Some(0));
    assert!(
        report
            .outcomes
            .iter()
            .all(|o| o.result == OutcomeResult::Changed)
    );
    assert_eq!(
        state(&lab, "lab-01", "libssl3"),
        ("3.0.22-1~deb12u2".into(), "ii".into())
    );
    assert_eq!(
        state(&lab, "lab-02", "libssl3"),
        ("3.0.19-1~deb12u2".into(), "ii".into())
    );
    let inv = exec.collect_inventory(&asset).await.unwrap();
    assert!(inv.reboot_required);
    assert_eq!(inv.reboot_required_packages, ["libssl3"]);

    // Asking again changes nothing: the dpkg log keeps one upgrade per package.
    let again = exec.upgrade(&asset, &fixed).await.unwrap();
    eprintln!("upgrade openssl again (no-op): {:?}", again.duration);
    assert!(
        again
            .outcomes
            .iter()
            .all(|o| o.result == OutcomeResult::AlreadyAtTarget)
    );
    let log = read_dpkg_log(&lab.host("lab-01").unwrap().dpkg_log()).unwrap();
    for t in &fixed {
        let upgrades = log
            .iter()
            .filter(|a| a.action == "upgrade" && a.package == t.package)
            .count();
        assert_eq!(upgrades, 1, "{}", t.package);
    }

    let recorded = source_targets(&lab, "openssl", LabVersion::Installed);
    let back = exec.roll_back(&asset, &recorded).await.unwrap();
    eprintln!("roll back openssl (3 binaries): {:?}", back.duration);
    assert!(back.succeeded(), "{:?}", back.failure_message());
    assert_eq!(
        state(&lab, "lab-01", "libssl3"),
        ("3.0.19-1~deb12u2".into(), "ii".into())
    );
    assert_eq!(
        state(&lab, "lab-01", "openssl"),
        ("3.0.19-1~deb12u2".into(), "ii".into())
    );

    // One package of a source: apt upgrades its installed siblings with it, and says so.
    let jq = PackageTarget::new("jq", "1.6-2.1+deb12u3");
    let single = exec
        .upgrade(&AssetRef::named("lab-02"), std::slice::from_ref(&jq))
        .await
        .unwrap();
    eprintln!("upgrade jq (1 binary): {:?}", single.duration);
    assert!(single.succeeded());
    assert!(single.also_changed.iter().any(|c| c.package == "libjq1"));

    // Each package of lab-01 was upgraded to its fix exactly once, by dpkg's own log.
    let counts = lab.upgrades_to_candidate("lab-01").unwrap();
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    // A reset host is back at the baseline, with no upgrade in its log.
    lab.reset_host("lab-01").unwrap();
    assert_eq!(
        state(&lab, "lab-01", "libssl3"),
        ("3.0.19-1~deb12u2".into(), "ii".into())
    );
    assert!(lab.upgrades_to_candidate("lab-01").unwrap().is_empty());

    assert_eq!(
        sha256(real_status),
        real_before,
        "/var/lib/dpkg/status changed"
    );
    assert!(!Path::new("/usr/share/doc/libssl3/README.patchwarden-lab").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_postinst_is_reported_and_rolled_back() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(
        tmp.path(),
        &[(FaultKind::PostinstFail, "openssl@lab-02")],
        &[],
    );
    let exec = executor(&lab);
    // The Asset is called web-1; its lab host is lab-02. Reports name the Asset.
    let mut asset = AssetRef::named("web-1");
    asset.address = Some("lab-02".into());
    let fixed = source_targets(&lab, "openssl", LabVersion::Candidate);

    let report = exec.upgrade(&asset, &fixed).await.unwrap();
    eprintln!("upgrade with failing postinst: {:?}", report.duration);
    assert!(!report.succeeded());
    assert_eq!(report.exit_code, Some(100));
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].package, "openssl");
    let message = report.failure_message().unwrap();
    assert!(
        message.starts_with("web-1: openssl 3.0.22-1~deb12u2: "),
        "{message}"
    );
    assert!(message.contains("post-installation"), "{message}");
    assert!(message.contains("apt-get exit 100"), "{message}");
    assert!(message.contains("dpkg state iF"), "{message}");
    assert_eq!(
        state(&lab, "lab-02", "openssl"),
        ("3.0.22-1~deb12u2".into(), "iF".into())
    );
    // The other binaries in the same run were upgraded.
    assert_eq!(
        state(&lab, "lab-02", "libssl3"),
        ("3.0.22-1~deb12u2".into(), "ii".into())
    );
    // The same package upgrades fine where the fault is absent.
    assert!(
        exec.upgrade(&AssetRef::named("lab-01"), &fixed)
            .await
            .unwrap()
            .succeeded()
    );

    let health = exec
        .health_check(&asset, &HealthCheck::default())
        .await
        .unwrap();
    assert!(!health.healthy);
    assert!(health.output.contains("openssl"), "{}", health.output);

    let recorded = source_targets(&lab, "openssl", LabVersion::Installed);
    let back = exec.roll_back(&asset, &recorded).await.unwrap();
    eprintln!("roll back from iF: {:?}", back.duration);
    assert!(back.succeeded(), "{:?}", back.failure_message());
    for t in &recorded {
        assert_eq!(
            state(&lab, "lab-02", &t.package),
            (t.version.clone(), "ii".into())
        );
    }
    assert!(
        exec.health_check(&asset, &HealthCheck::default())
            .await
            .unwrap()
            .healthy
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_health_fault_appears_after_the_upgrade_and_clears_after_roll_back() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(
        tmp.path(),
        &[(FaultKind::HealthBreak, "libjq1@lab-03")],
        &[],
    );
    let exec = executor(&lab);
    let asset = AssetRef::named("lab-03");
    let check = HealthCheck::default();
    let before = exec.health_check(&asset, &check).await.unwrap();
    eprintln!("health check: {:?}", before.duration);
    assert!(before.healthy, "{}", before.output);

    let fixed = source_targets(&lab, "jq", LabVersion::Candidate);
    assert!(exec.upgrade(&asset, &fixed).await.unwrap().succeeded());
    let after = exec.health_check(&asset, &check).await.unwrap();
    assert!(!after.healthy);
    assert_eq!(after.exit_code, Some(1));
    assert!(after.output.contains("libjq1"), "{}", after.output);
    // Only the chosen host breaks.
    assert!(
        exec.upgrade(&AssetRef::named("lab-01"), &fixed)
            .await
            .unwrap()
            .succeeded()
    );
    assert!(
        exec.health_check(&AssetRef::named("lab-01"), &check)
            .await
            .unwrap()
            .healthy
    );

    assert!(
        exec.roll_back(&asset, &source_targets(&lab, "jq", LabVersion::Installed))
            .await
            .unwrap()
            .succeeded()
    );
    assert!(exec.health_check(&asset, &check).await.unwrap().healthy);

    // A custom check is argv naming a program inside the host's root; a failing one is a
    // report, not an error.
    let root = lab.host("lab-03").unwrap().root;
    let bin = root.join("usr/local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    write_script(&bin.join("fail"), "exit 1");
    write_script(&bin.join("slow"), "sleep \"$1\"");
    let custom = HealthCheck {
        command: vec!["/usr/local/bin/fail".into()],
        ..HealthCheck::default()
    };
    assert!(!exec.health_check(&asset, &custom).await.unwrap().healthy);
    let slow = HealthCheck {
        command: vec!["/usr/local/bin/slow".into(), "5".into()],
        timeout: Duration::from_millis(200),
    };
    let timed_out = exec.health_check(&asset, &slow).await.unwrap();
    assert!(!timed_out.healthy);
    assert!(
        timed_out.output.contains("did not finish"),
        "{}",
        timed_out.output
    );
}

fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A lab host is a directory on the operator's machine: a command from a policy that is not a
/// program inside the host's root would run as the operator, so it is refused unrun.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_and_hooks_outside_the_host_root_are_refused_without_running() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), &[], &[]);
    let exec = executor(&lab);
    let asset = AssetRef::named("lab-01");
    let witness = tmp.path().join("ran");
    let outside = [
        vec!["touch".to_string(), witness.display().to_string()],
        vec!["/usr/bin/touch".to_string(), witness.display().to_string()],
        vec![
            "/usr/../usr/bin/touch".to_string(),
            witness.display().to_string(),
        ],
    ];
    for command in outside {
        let check = HealthCheck {
            command: command.clone(),
            ..HealthCheck::default()
        };
        let error = exec.health_check(&asset, &check).await.unwrap_err();
        assert_eq!(error.kind(), ExecErrorKind::Invalid, "{command:?}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "lab-01: invalid health check or hook command: `{}` (arguments withheld)",
                command[0]
            )),
            "{message}"
        );
        assert!(message.contains("inside their own root"), "{message}");
        assert!(!message.contains(&*witness.to_string_lossy()), "{message}");
        assert!(!witness.exists(), "{command:?} ran");
    }
    // A link inside the root that leads out of it is refused too.
    let root = lab.host("lab-01").unwrap().root;
    std::fs::create_dir_all(root.join("usr/local/bin")).unwrap();
    std::os::unix::fs::symlink("/usr/bin/touch", root.join("usr/local/bin/touch")).unwrap();
    let linked = HealthCheck {
        command: vec!["/usr/local/bin/touch".into(), witness.display().to_string()],
        ..HealthCheck::default()
    };
    let error = exec.health_check(&asset, &linked).await.unwrap_err();
    assert_eq!(error.kind(), ExecErrorKind::Invalid);
    assert!(!witness.exists());
    // The lab's own check, named by its path inside the root, runs.
    let own = HealthCheck {
        command: vec!["/usr/lib/patchwarden-lab/health-check".into()],
        ..HealthCheck::default()
    };
    assert!(exec.health_check(&asset, &own).await.unwrap().healthy);
}

/// A dpkg database that dpkg-query cannot read is an error, never an empty inventory; a
/// reboot-required marker that cannot be looked at is an error, never "no reboot required".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_inventory_is_an_error_not_an_empty_one() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), &[], &[]);
    let exec = executor(&lab);
    let host = lab.host("lab-02").unwrap();
    let marker = host.reboot_required();
    std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&marker, &marker).unwrap();
    let error = exec
        .collect_inventory(&AssetRef::named("lab-02"))
        .await
        .unwrap_err();
    assert!(
        error.to_string().starts_with("lab-02: cannot check "),
        "{error}"
    );
    std::fs::remove_file(&marker).unwrap();

    let status = host.admindir().join("status");
    std::fs::write(&status, "Package: broken\nthis is not a control field\n").unwrap();
    let error = exec
        .collect_inventory(&AssetRef::named("lab-02"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ExecErrorKind::Failed);
    assert!(
        error
            .to_string()
            .starts_with("lab-02: `dpkg-query (arguments withheld)` failed (exit 2)"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_unknown_and_invalid_requests_are_errors_of_their_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), &[], &["lab-03"]);
    let exec = executor(&lab);
    let down = AssetRef::named("lab-03");
    let fixed = source_targets(&lab, "jq", LabVersion::Candidate);
    let err = exec.check_reachable(&down).await.unwrap_err();
    assert_eq!(err.kind(), ExecErrorKind::Unreachable);
    assert!(err.to_string().starts_with("lab-03: unreachable"), "{err}");
    assert!(
        exec.collect_inventory(&down)
            .await
            .unwrap_err()
            .is_unreachable()
    );
    assert!(
        exec.upgrade(&down, &fixed)
            .await
            .unwrap_err()
            .is_unreachable()
    );
    assert!(
        exec.health_check(&down, &HealthCheck::default())
            .await
            .unwrap_err()
            .is_unreachable()
    );
    // Nothing ran on the unreachable host.
    assert_eq!(state(&lab, "lab-03", "jq").0, "1.6-2.1+deb12u1");

    lab.set_unreachable("lab-03", false).unwrap();
    exec.check_reachable(&down).await.unwrap();

    let err = exec
        .check_reachable(&AssetRef::named("lab-99"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ExecErrorKind::Invalid);

    let log = lab.host("lab-01").unwrap().dpkg_log();
    let log_before = std::fs::read_to_string(&log).unwrap();
    let bad = [PackageTarget::new("-oDir=/", "1.0")];
    let err = exec
        .upgrade(&AssetRef::named("lab-01"), &bad)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ExecErrorKind::Invalid);
    let missing = [PackageTarget::new("jq", "9.9-9")];
    let report = exec
        .upgrade(&AssetRef::named("lab-01"), &missing)
        .await
        .unwrap();
    assert!(!report.succeeded());
    let message = report.failure_message().unwrap();
    assert!(message.starts_with("lab-01: jq 9.9-9: "), "{message}");
    assert!(message.contains("not found"), "{message}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), log_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_operations_on_one_host_are_serialised_and_hosts_run_in_parallel() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), &[], &[]);
    let exec = executor(&lab);
    let mut tasks = Vec::new();
    for (host, source) in [
        ("lab-01", "jq"),
        ("lab-01", "xz-utils"),
        ("lab-01", "expat"),
        ("lab-02", "jq"),
        ("lab-03", "krb5"),
    ] {
        let exec = exec.clone();
        let t = source_targets(&lab, source, LabVersion::Candidate);
        tasks.push(tokio::spawn(async move {
            exec.upgrade(&AssetRef::named(host), &t).await
        }));
    }
    let started = std::time::Instant::now();
    for task in tasks {
        let report = task.await.unwrap().unwrap();
        assert!(report.succeeded(), "{:?}", report.failure_message());
    }
    eprintln!("5 concurrent upgrades on 3 hosts: {:?}", started.elapsed());
    for p in ["jq", "liblzma5", "libexpat1"] {
        let want = &lab.package(p).unwrap().candidate_version;
        assert_eq!(&state(&lab, "lab-01", p).0, want);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_dpkg_run_is_finished_before_the_next_change() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), &[], &[]);
    let exec = executor(&lab);
    let asset = AssetRef::named("lab-01");
    let host = lab.host("lab-01").unwrap();
    // As if dpkg had been killed right after unpacking jq: a journal entry saying so.
    let status = std::fs::read_to_string(host.admindir().join("status")).unwrap();
    let jq = status
        .split("\n\n")
        .find(|p| p.starts_with("Package: jq\n"))
        .unwrap()
        .replace(
            "Status: install ok installed",
            "Status: install ok unpacked",
        );
    std::fs::write(host.admindir().join("updates/0000"), format!("{jq}\n")).unwrap();
    assert_eq!(state(&lab, "lab-01", "jq").1, "iU");

    let report = exec
        .upgrade(
            &asset,
            &source_targets(&lab, "openssl", LabVersion::Candidate),
        )
        .await
        .unwrap();
    assert!(report.succeeded(), "{:?}", report.failure_message());
    assert_eq!(state(&lab, "lab-01", "jq").1, "ii");
    assert!(
        report.output_tail.contains("Setting up openssl"),
        "{}",
        report.output_tail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_abandoned_midway_still_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), &[], &[]);
    let exec = executor(&lab);
    let asset = AssetRef::named("lab-01");
    let fixed = source_targets(&lab, "krb5", LabVersion::Candidate);
    // The first package configures slowly, so the upgrade is surely midway when it is dropped.
    let held = fixed[0].package.clone();
    let hold = lab.host("lab-01").unwrap().configure_hold(&held);
    std::fs::write(&hold, "").unwrap();
    let mut upgrade = Box::pin(exec.upgrade(&asset, &fixed));
    let midway = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        tokio::select! {
            report = &mut upgrade => panic!("the held upgrade finished: {report:?}"),
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        // dpkg marks a package half-configured ("iF") before it runs the postinst.
        if state(&lab, "lab-01", &held).1 == "iF" {
            break;
        }
        assert!(
            std::time::Instant::now() < midway,
            "dpkg never reached {held}'s postinst"
        );
    }
    // The caller gives up (as a killed operator would) while apt is running.
    drop(upgrade);
    std::fs::remove_file(&hold).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let done = fixed.iter().all(|t| {
            lab.installed_package("lab-01", &t.package)
                .unwrap()
                .is_some_and(|p| p.version == t.version && p.is_installed())
        });
        if done {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "apt did not finish on its own"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Asking again finds everything done, and dpkg upgraded each package once.
    let again = exec.upgrade(&asset, &fixed).await.unwrap();
    assert!(
        again
            .outcomes
            .iter()
            .all(|o| o.result == OutcomeResult::AlreadyAtTarget)
    );
    let counts = lab.upgrades_to_candidate("lab-01").unwrap();
    assert_eq!(counts.len(), fixed.len());
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
}
