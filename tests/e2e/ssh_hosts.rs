//! End to end over SSH: `patchwarden up` patches three real Debian 12 machines (system
//! containers, see `support::debian_hosts`) from a local copy of Debian's signed
//! bookworm-security archive, as a user would set it up: a Git repository with an AssetGroup
//! listing the hosts, a PatchPolicy, a window and an OSV feed built by `patchwarden feed
//! build-debian` from the archive, and the SSH credentials created with kubectl.
//!
//! Everything runs inside a private network namespace the test makes; the hosts listen on
//! 127.0.0.2–4 port 22 there.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cluster::take_turn;
use support::debian_hosts::{DebianCache, DebianHost, PendingUpgrade};
use support::namespace::in_private_namespace;
use support::patchwarden;
use support::resources::condition;
use support::ssh_up::{SshUp, upgrade_lines};
use support::wait::poll;

const HOSTS: u8 = 3;

/// Every pending security fix, one host at a time after the canary, no reboots.
const POLICY: &str = "  approval:\n    minSeverity: Unknown\n  rollout:\n    canary: 1\n    maxUnavailable: 1\n    maxFailures: 0\n  reboot: Never\n";

fn dpkg_lt(a: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", a, "lt", b])
        .status()
        .is_ok_and(|s| s.success())
}

/// The CVEs the pending upgrades fix, and the packages whose upgrade fixes one: records whose
/// fixed version for a pending package's source is above the installed version and at most
/// the candidate.
fn cves_fixed(feed: &[Value], upgrades: &[PendingUpgrade]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut cves = BTreeSet::new();
    let mut packages = BTreeSet::new();
    for record in feed {
        for affected in record["affected"].as_array().into_iter().flatten() {
            let source = affected["package"]["name"].as_str().unwrap_or_default();
            let events = affected["ranges"][0]["events"].as_array();
            let Some(version) = events
                .into_iter()
                .flatten()
                .find_map(|e| e["fixed"].as_str())
            else {
                continue;
            };
            for upgrade in upgrades.iter().filter(|u| {
                u.source == source
                    && dpkg_lt(&u.installed, version)
                    && !dpkg_lt(&u.candidate, version)
            }) {
                cves.insert(record["id"].as_str().unwrap_or_default().to_string());
                packages.insert(upgrade.package.clone());
            }
        }
    }
    (cves, packages)
}

/// Every package whose upgrade fixes a CVE was upgraded to the bookworm-security version,
/// once; any other package is either untouched or upgraded once (as a dependency) to it.
fn assert_patched(host: &DebianHost, upgrades: &[PendingUpgrade], fixing: &BTreeSet<String>) {
    let lines = upgrade_lines(&host.dpkg_log());
    for upgrade in upgrades {
        let times = lines.get(&upgrade.package).copied().unwrap_or(0);
        let expected = if times > 0 {
            &upgrade.candidate
        } else {
            &upgrade.installed
        };
        assert_eq!(
            host.dpkg_query(&upgrade.package).as_ref(),
            Some(expected),
            "{}: {upgrade:?}",
            host.name()
        );
        let wanted = if fixing.contains(&upgrade.package) {
            1..=1
        } else {
            0..=1
        };
        assert!(
            wanted.contains(&times),
            "{}: {} upgraded {times} times: {lines:?}",
            host.name(),
            upgrade.package
        );
    }
    for package in lines.keys() {
        assert!(
            upgrades.iter().any(|u| &u.package == package),
            "{}: {package} was upgraded but had no pending security update",
            host.name()
        );
    }
}

#[test]
fn up_patches_three_debian_hosts_over_ssh_from_the_signed_archive() {
    let _turn = take_turn();
    // Built (with network access) before entering the namespace, which has none.
    let cache = DebianCache::get();
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::up_patches_three_debian_hosts_over_ssh_from_the_signed_archive"
        ),
        Duration::from_secs(900),
    ) {
        return;
    }
    let started = Instant::now();
    let mut ssh = SshUp::new(&cache, HOSTS, || patchwarden!());
    eprintln!("{HOSTS} debian hosts up: {:?}", started.elapsed());
    let (fixed, fixing) = cves_fixed(ssh.feed(), cache.upgrades());
    assert!(!fixed.is_empty(), "the pending upgrades fix CVEs");
    ssh.start(POLICY, &ssh.fleet().known_hosts());

    let run = ssh.run_in(&["Succeeded", "Failed", "Halted"], Duration::from_secs(600));
    eprintln!("run finished: {:?}", started.elapsed());
    assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    let waves = run["spec"]["waves"].as_array().expect("waves");
    assert_eq!(waves[0]["canary"], true, "{run}");
    assert!(
        waves
            .iter()
            .all(|w| w["assets"].as_array().map(Vec::len) == Some(1)),
        "one host at a time: {run}"
    );
    for host in ssh.fleet().hosts() {
        assert_patched(host, cache.upgrades(), &fixing);
    }

    // Re-assessment closed the fixed CVEs: every Asset compliant, none of them still open.
    let assets = poll(Duration::from_secs(120), Duration::from_secs(2), || {
        let list = ssh.up().get(&["assets"])?;
        let items = list["items"].as_array()?.clone();
        (items.len() == usize::from(HOSTS)
            && items
                .iter()
                .all(|a| a["status"]["patchState"] == "Compliant"))
        .then_some(items)
    })
    .unwrap_or_else(|| panic!("assets not compliant: {:?}", ssh.up().get(&["assets"])));
    for asset in &assets {
        assert_eq!(asset["spec"]["connection"], "ssh", "{asset}");
        assert_eq!(asset["status"]["os"]["ecosystem"], "Debian:12", "{asset}");
        assert_eq!(asset["status"]["findings"]["fixable"], 0, "{asset}");
        assert!(
            asset["status"]["upgrades"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "{asset}"
        );
        let open: Vec<&str> = asset["status"]["findings"]["topRisks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str())
            .filter(|id| fixed.iter().any(|f| f.ends_with(id)))
            .collect();
        assert!(open.is_empty(), "still open: {open:?} in {asset}");
        let (ready, _, _) = condition(asset, "Ready").expect("Ready");
        assert_eq!(ready, "True", "{asset}");
    }
    for result in run["status"]["assets"].as_array().expect("asset results") {
        assert_eq!(result["state"], "Succeeded", "{result}");
        let closed: BTreeSet<String> = result["cvesClosed"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect();
        assert!(!closed.is_empty(), "{result}");
    }
    ssh.stop_up();
    eprintln!("e2e over SSH: {:?}", started.elapsed());
}
