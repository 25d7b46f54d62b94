//! End to end over SSH, when patching fails on real Debian 12 machines (system containers,
//! see `support::debian_hosts`): a pre-patch hook that fails on the canary stops the run
//! before anything is installed anywhere, and a package whose installation fails on one host
//! is rolled back to the recorded version, leaving dpkg consistent.

use std::process::Command;
use std::time::{Duration, Instant};

use support::cluster::take_turn;
use support::debian_hosts::{DebianCache, DebianHost};
use support::namespace::in_private_namespace;
use support::patchwarden;
use support::ssh_up::{SshUp, asset_result, planned_packages, upgrade_lines};

const HOSTS: u8 = 2;

#[test]
fn a_failing_pre_patch_hook_on_the_canary_halts_before_any_host_is_touched() {
    let _turn = take_turn();
    let cache = DebianCache::get();
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::a_failing_pre_patch_hook_on_the_canary_halts_before_any_host_is_touched"
        ),
        Duration::from_secs(900),
    ) {
        return;
    }
    let started = Instant::now();
    let mut ssh = SshUp::new(&cache, HOSTS, || patchwarden!());
    // The hook runs on the host over SSH, as an argument vector; its output names the reason.
    let policy = "  approval:\n    minSeverity: Unknown\n  rollout:\n    canary: 1\n    maxUnavailable: 1\n    maxFailures: 0\n  reboot: Never\n  hooks:\n    prePatch:\n      - name: change-ticket\n        command: [\"sh\", \"-c\", \"echo change CHG-4711 is not approved >&2; exit 3\"]\n";
    ssh.start(policy, &ssh.fleet().known_hosts());

    let run = ssh.run_in(&["Succeeded", "Failed", "Halted"], Duration::from_secs(300));
    assert_eq!(run["status"]["phase"], "Halted", "{run}");
    let canary = run["spec"]["waves"][0]["assets"][0]
        .as_str()
        .expect("the canary")
        .to_string();
    let message = run["status"]["message"].as_str().unwrap_or_default();
    for expected in [
        canary.as_str(),
        "pre-patch hook change-ticket failed",
        "change CHG-4711 is not approved",
    ] {
        assert!(message.contains(expected), "{expected:?} in {message}");
    }
    assert!(
        !planned_packages(&run, &canary).is_empty(),
        "the canary had upgrades planned: {run}"
    );
    assert_ne!(asset_result(&run, &canary)["state"], "Succeeded", "{run}");
    for host in ssh.fleet().hosts() {
        assert!(
            upgrade_lines(&host.dpkg_log()).is_empty(),
            "{} was changed: {}",
            host.name(),
            host.dpkg_log()
        );
        for upgrade in cache.upgrades() {
            assert_eq!(
                host.dpkg_query(&upgrade.package).as_ref(),
                Some(&upgrade.installed),
                "{}",
                host.name()
            );
        }
        // Every host's result records its versions, none changed. The canary is not asserted
        // Skipped: a failed pre-patch hook fails the patch step, and the default
        // rollbackOnFailure then reinstalls the recorded versions (which changes nothing).
        let result = asset_result(&run, host.name());
        if host.name() != canary {
            assert_eq!(result["state"], "Skipped", "{result}");
        }
        let mut packages = result["packages"].as_array().into_iter().flatten();
        assert!(
            packages.all(|p| p["after"].is_null() || p["after"] == p["before"]),
            "{result}"
        );
    }
    ssh.stop_up();
    eprintln!("pre-patch hook failure over SSH: {:?}", started.elapsed());
}

/// The package whose installation the test makes fail, and its documentation directory: a
/// full file system there makes dpkg's unpack fail, as a full disk does on a real host.
const FAILING: &str = "libbrotli1";
const FAILING_DOCS: &str = "/usr/share/doc/libbrotli1";

#[test]
fn a_package_that_fails_to_install_is_rolled_back_and_dpkg_stays_consistent() {
    let _turn = take_turn();
    let cache = DebianCache::get();
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::a_package_that_fails_to_install_is_rolled_back_and_dpkg_stays_consistent"
        ),
        Duration::from_secs(900),
    ) {
        return;
    }
    let started = Instant::now();
    let mut ssh = SshUp::new(&cache, HOSTS, || patchwarden!());
    fill_disk_at(ssh.host(0), FAILING_DOCS);
    let recorded = cache
        .upgrades()
        .iter()
        .find(|u| u.package == FAILING)
        .expect("the package has a pending upgrade")
        .clone();
    let policy = format!(
        "  approval:\n    minSeverity: Unknown\n    include: [\"{FAILING}\"]\n  rollout:\n    canary: 1\n    maxUnavailable: 1\n    maxFailures: 0\n    rollbackOnFailure: true\n  reboot: Never\n"
    );
    ssh.start(&policy, &ssh.fleet().known_hosts());

    let run = ssh.run_in(&["Succeeded", "Failed", "Halted"], Duration::from_secs(300));
    assert_ne!(run["status"]["phase"], "Succeeded", "{run}");
    let broken = ssh.host(0);
    let result = asset_result(&run, broken.name());
    assert_eq!(result["state"], "RolledBack", "{run}");
    assert_eq!(run["status"]["counts"]["rolledBack"], 1, "{run}");
    let message = result["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(FAILING)
            && message.contains("/usr/bin/dpkg returned an error code")
            && message.contains(&format!("dpkg state ii {}", recorded.installed)),
        "the failure names the package, apt's error and the state dpkg left: {result}"
    );
    assert_eq!(
        broken.dpkg_query(FAILING).as_ref(),
        Some(&recorded.installed),
        "{}",
        broken.dpkg_log()
    );
    // dpkg's own unwind of the failed unpack leaves triggers (libc-bin's ldconfig) pending;
    // the executor finishes them after a failed apt run, so nothing is left half-installed,
    // half-configured or waiting for triggers.
    let audit = broken.run(&["dpkg", "--audit"]);
    assert!(
        audit.status.success() && audit.stdout.is_empty(),
        "dpkg --audit: {}",
        String::from_utf8_lossy(&audit.stdout)
    );
    // The other host is patched when it went first, untouched when the run halted before it.
    let other = ssh.host(1);
    let expected = match asset_result(&run, other.name())["state"].as_str() {
        Some("Succeeded") => &recorded.candidate,
        _ => &recorded.installed,
    };
    assert_eq!(other.dpkg_query(FAILING).as_ref(), Some(expected), "{run}");
    for host in ssh.fleet().hosts() {
        let lines = upgrade_lines(&host.dpkg_log());
        assert!(
            lines.keys().all(|p| p == FAILING),
            "{}: only {FAILING} is approved: {lines:?}",
            host.name()
        );
    }
    ssh.stop_up();
    eprintln!("install failure over SSH: {:?}", started.elapsed());
}

/// The PID of `host`'s init (`container-init <address>`), found in the test's own `/proc`.
fn init_pid(host: &DebianHost) -> u32 {
    let address = host.address().to_string();
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
                args.iter().any(|a| a.ends_with(b"container-init"))
                    && args.contains(&address.as_bytes())
            })
        })
        .unwrap_or_else(|| panic!("no init of {}", host.name()))
}

/// Mounts a small tmpfs over `dir` in `host`'s mount namespace and fills it, with the test
/// machine's own `mount` and `dd` (the container's root has no `mount`).
fn fill_disk_at(host: &DebianHost, dir: &str) {
    let target = host.root().join(&dir[1..]);
    let in_container = |argv: &[&str]| {
        Command::new("nsenter")
            .args(["--target", &init_pid(host).to_string(), "--mount", "--"])
            .args(argv)
            .output()
            .expect("run nsenter")
    };
    let target = target.to_str().expect("a UTF-8 path");
    let mounted = in_container(&["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", target]);
    assert!(mounted.status.success(), "{mounted:?}");
    let filler = format!("of={target}/filler");
    // Runs until the file system is full (and so fails).
    in_container(&["dd", "if=/dev/zero", &filler, "bs=4096"]);
    let full = in_container(&["sh", "-c", "echo x > \"$1\"/probe", "sh", target]);
    assert!(!full.status.success(), "{} is not full", host.name());
}
