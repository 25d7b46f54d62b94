//! End to end over SSH: `patchwarden up` patches three real Debian 12 machines (system
//! containers, see `support::debian_hosts`) from a local copy of Debian's signed
//! bookworm-security archive, as a user would set it up: a Git repository with an AssetGroup
//! listing the hosts, a PatchPolicy, a window and an OSV feed built by `patchwarden feed
//! build-debian` from the archive, and the SSH credentials created with kubectl.
//!
//! Everything runs inside a private network namespace the test makes; the hosts listen on
//! 127.0.0.2–4 port 22 there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cluster::take_turn;
use support::debian_hosts::{DebianCache, DebianHost, DebianHosts, LOGIN_USER, PendingUpgrade};
use support::git::TestRepo;
use support::namespace::in_private_namespace;
use support::patchwarden;
use support::paths::arg;
use support::resources::{condition, window_open_now};
use support::up::Up;
use support::wait::poll;

const HOSTS: u8 = 3;
/// Where `up` reads relative feed paths from (its lab directory), below the state directory.
const FEED_PATH: &str = "debian/osv-debian12.jsonl";

fn resources(hosts: &DebianHosts) -> Vec<(String, String)> {
    let listed: String = hosts
        .hosts()
        .iter()
        .map(|h| {
            format!(
                "    - name: {}\n      address: \"{}\"\n      port: 22\n      user: {LOGIN_USER}\n",
                h.name(),
                h.address()
            )
        })
        .collect();
    let group = format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: AssetGroup\nmetadata:\n  name: debian\n  namespace: default\nspec:\n  criticality: High\n  exposure: Internal\n  credentialsRef:\n    name: debian-ssh\n  hosts:\n{listed}"
    );
    let feed = format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: VulnerabilityFeed\nmetadata:\n  name: debian-osv\n  namespace: default\nspec:\n  format: Osv\n  source:\n    url: {FEED_PATH}\n  ecosystems: [\"Debian:12\"]\n"
    );
    let policy = "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata:\n  name: security\n  namespace: default\nspec:\n  assetGroups: [debian]\n  maintenanceWindows: [always]\n  approval:\n    minSeverity: Unknown\n  rollout:\n    canary: 1\n    maxUnavailable: 1\n    maxFailures: 0\n  reboot: Never\n";
    vec![
        ("fleet.yaml".into(), group),
        ("feeds.yaml".into(), feed),
        ("policies.yaml".into(), policy.into()),
        ("windows.yaml".into(), window_open_now("always")),
    ]
}

/// The feed, as a user builds it: `patchwarden feed build-debian` over the mirror.
fn build_feed(cache: &DebianCache, output: &Path) -> Vec<Value> {
    let built = patchwarden!()
        .args(["feed", "build-debian", "--repo"])
        .arg(cache.mirror())
        .args(["--suite", "bookworm-security", "--output"])
        .arg(output)
        .output()
        .expect("run feed build-debian");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    std::fs::read_to_string(output)
        .expect("the feed")
        .lines()
        .map(|line| serde_json::from_str(line).expect("an OSV record"))
        .collect()
}

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

/// `upgrade` lines of a dpkg log per package (without the architecture).
fn upgrade_lines(log: &str) -> BTreeMap<String, usize> {
    let mut count = BTreeMap::new();
    for line in log.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [_, _, "upgrade", package, ..] = words[..] {
            let name = package.split(':').next().unwrap_or(package);
            *count.entry(name.to_string()).or_default() += 1;
        }
    }
    count
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
    let fleet = DebianHosts::start(&cache, HOSTS);
    eprintln!("{HOSTS} debian hosts up: {:?}", started.elapsed());
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let feed_file = state.join("labs").join(FEED_PATH);
    std::fs::create_dir_all(feed_file.parent().expect("feed dir")).expect("feed dir");
    let feed = build_feed(&cache, &feed_file);
    let (fixed, fixing) = cves_fixed(&feed, cache.upgrades());
    assert!(!fixed.is_empty(), "the pending upgrades fix CVEs");

    let repo = TestRepo::new();
    let files = resources(&fleet);
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    repo.commit("three Debian hosts", &files);
    let log = dir.path().join("up.log");
    let up = Up::start(
        patchwarden!(),
        &repo.path(),
        &state,
        &dir.path().join("home"),
        &log,
    );
    let keys = dir.path().join("keys");
    std::fs::create_dir_all(&keys).expect("keys dir");
    std::fs::write(keys.join("known_hosts"), fleet.known_hosts()).expect("known_hosts");
    up.kubectl().ok(&[
        "create",
        "secret",
        "generic",
        "debian-ssh",
        "--type=kubernetes.io/ssh-auth",
        &format!(
            "--from-file=ssh-privatekey={}",
            arg(fleet.client().private_key_path())
        ),
        &format!("--from-file=known_hosts={}", arg(&keys.join("known_hosts"))),
    ]);

    let run = poll(Duration::from_secs(600), Duration::from_secs(2), || {
        let runs = up.get(&["patchruns"])?;
        let run = runs["items"].as_array()?.first()?.clone();
        matches!(
            run["status"]["phase"].as_str(),
            Some("Succeeded" | "Failed" | "Halted")
        )
        .then_some(run)
    })
    .unwrap_or_else(|| {
        panic!(
            "no PatchRun finished: {}\nassets: {:?}\nlog: {}",
            up.kubectl().ok(&["get", "patchruns,assets", "-o", "wide"]),
            up.get(&["assets"]),
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
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
    for host in fleet.hosts() {
        assert_patched(host, cache.upgrades(), &fixing);
    }

    // Re-assessment closed the fixed CVEs: every Asset compliant, none of them still open.
    let assets = poll(Duration::from_secs(120), Duration::from_secs(2), || {
        let list = up.get(&["assets"])?;
        let items = list["items"].as_array()?.clone();
        (items.len() == usize::from(HOSTS)
            && items
                .iter()
                .all(|a| a["status"]["patchState"] == "Compliant"))
        .then_some(items)
    })
    .unwrap_or_else(|| panic!("assets not compliant: {:?}", up.get(&["assets"])));
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
    eprintln!("e2e over SSH: {:?}", started.elapsed());
}
