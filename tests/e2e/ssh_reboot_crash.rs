//! End to end over SSH, reboots and an operator crash on real Debian 12 machines (system
//! containers, see `support::debian_hosts`): `reboot: IfRequired` reboots only the host that
//! asks for it (its boot id changes, the others keep theirs), and `patchwarden up` killed
//! during an upgrade finishes the run after a restart on the same state directory without
//! upgrading any package twice.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use support::cluster::take_turn;
use support::debian_hosts::DebianCache;
use support::namespace::in_private_namespace;
use support::patchwarden;
use support::ssh_up::{SshUp, asset_result, planned_packages, upgrade_lines};
use support::wait::poll;

const HOSTS: u8 = 2;

#[test]
fn if_required_reboots_only_the_host_that_asks_and_its_boot_id_changes() {
    let _turn = take_turn();
    let cache = DebianCache::get();
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::if_required_reboots_only_the_host_that_asks_and_its_boot_id_changes"
        ),
        Duration::from_secs(900),
    ) {
        return;
    }
    let started = Instant::now();
    let mut ssh = SshUp::new(&cache, HOSTS, || patchwarden!());
    // As a kernel or libc upgrade leaves it, before the run.
    let asks = ssh.host(0);
    let touched = asks.run(&["touch", "/run/reboot-required"]);
    assert!(touched.status.success(), "{touched:?}");
    let boot_ids: BTreeMap<String, String> = ssh
        .fleet()
        .hosts()
        .iter()
        .map(|h| (h.name().to_string(), h.boot_id()))
        .collect();
    let policy = "  approval:\n    minSeverity: Unknown\n    include: [\"libbrotli1\", \"libzstd1\"]\n  rollout:\n    canary: 1\n    maxUnavailable: 1\n    maxFailures: 0\n  reboot: IfRequired\n";
    ssh.start(policy, &ssh.fleet().known_hosts());

    let run = ssh.run_in(&["Succeeded", "Failed", "Halted"], Duration::from_secs(420));
    assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    let asks = ssh.host(0).name().to_string();
    for host in ssh.fleet().hosts() {
        host.wait_for_ssh(Duration::from_secs(30));
        let result = asset_result(&run, host.name());
        let rebooted = host.name() == asks;
        assert_eq!(
            result["rebooted"].as_bool().unwrap_or(false),
            rebooted,
            "{result}"
        );
        assert_eq!(
            host.boot_id() != boot_ids[host.name()],
            rebooted,
            "{}: boot id before {}, now {}",
            host.name(),
            boot_ids[host.name()],
            host.boot_id()
        );
        for (package, _, to) in planned_packages(&run, host.name()) {
            assert_eq!(host.dpkg_query(&package), Some(to), "{}", host.name());
        }
        let reboot_required = host.run(&["test", "-e", "/run/reboot-required"]);
        assert!(!reboot_required.status.success(), "{}", host.name());
    }
    ssh.stop_up();
    eprintln!("IfRequired reboot over SSH: {:?}", started.elapsed());
}

/// True once some host's dpkg log shows an upgrade being unpacked.
fn upgrading(ssh: &SshUp) -> bool {
    ssh.fleet()
        .hosts()
        .iter()
        .any(|h| !upgrade_lines(&h.dpkg_log()).is_empty())
}

#[test]
fn up_killed_during_an_ssh_upgrade_finishes_the_run_after_a_restart_without_upgrading_twice() {
    let _turn = take_turn();
    let cache = DebianCache::get();
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::up_killed_during_an_ssh_upgrade_finishes_the_run_after_a_restart_without_upgrading_twice"
        ),
        Duration::from_secs(900),
    ) {
        return;
    }
    let started = Instant::now();
    let mut ssh = SshUp::new(&cache, HOSTS, || patchwarden!());
    let policy = "  approval:\n    minSeverity: Unknown\n  rollout:\n    canary: 1\n    maxUnavailable: 1\n    maxFailures: 0\n  reboot: Never\n";
    ssh.start(policy, &ssh.fleet().known_hosts());
    poll(Duration::from_secs(300), Duration::from_millis(100), || {
        upgrading(&ssh).then_some(())
    })
    .unwrap_or_else(|| panic!("no upgrade started: {}", ssh.log()));
    ssh.kill_up();
    let killed_at: Vec<(String, usize)> = ssh
        .fleet()
        .hosts()
        .iter()
        .map(|h| (h.name().to_string(), upgrade_lines(&h.dpkg_log()).len()))
        .collect();
    eprintln!(
        "up killed during the upgrade: {killed_at:?} after {:?}",
        started.elapsed()
    );

    ssh.restart();
    let run = ssh.run_in(&["Succeeded", "Failed", "Halted"], Duration::from_secs(480));
    assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    let runs = ssh.up().get(&["patchruns"]).expect("patchruns");
    assert_eq!(runs["items"].as_array().map(Vec::len), Some(1), "{runs}");
    for host in ssh.fleet().hosts() {
        let planned = planned_packages(&run, host.name());
        assert!(!planned.is_empty(), "{run}");
        for (package, _, to) in &planned {
            assert_eq!(
                host.dpkg_query(package).as_ref(),
                Some(to),
                "{}",
                host.name()
            );
        }
        let lines = upgrade_lines(&host.dpkg_log());
        assert!(
            lines.values().all(|&n| n == 1),
            "{}: a package upgraded twice: {lines:?}\n{}",
            host.name(),
            host.dpkg_log()
        );
        let audit = host.run(&["dpkg", "--audit"]);
        assert!(audit.stdout.is_empty(), "{}: {audit:?}", host.name());
        assert_eq!(
            asset_result(&run, host.name())["state"],
            "Succeeded",
            "{run}"
        );
    }
    ssh.stop_up();
    eprintln!("up crash during an SSH upgrade: {:?}", started.elapsed());
}
