//! End to end over SSH, against hostile input on real Debian 12 machines (system containers,
//! see `support::debian_hosts`): a host whose key is not the one the credentials Secret
//! knows is never logged in to, and package names and versions in the feed that a shell
//! would run are refused before any command is built, while the legitimate fixes are still
//! installed.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::cluster::take_turn;
use support::debian_hosts::{DebianCache, DebianHost};
use support::namespace::in_private_namespace;
use support::patchwarden;
use support::resources::condition;
use support::ssh_up::{SshUp, upgrade_lines};
use support::wait::poll;

const HOSTS: u8 = 2;
/// Two small, leaf libraries with pending security fixes: quick to patch.
const APPROVED: [&str; 2] = ["libbrotli1", "libzstd1"];

fn policy() -> String {
    format!(
        "  approval:\n    minSeverity: Unknown\n    include: [\"{}\"]\n  rollout:\n    canary: 1\n    maxUnavailable: 1\n    maxFailures: 0\n  reboot: Never\n",
        APPROVED.join("\", \"")
    )
}

/// The approved packages are at their bookworm-security versions, each upgraded once.
fn assert_approved_patched(cache: &DebianCache, host: &DebianHost) {
    let lines = upgrade_lines(&host.dpkg_log());
    for package in APPROVED {
        let upgrade = cache
            .upgrades()
            .iter()
            .find(|u| u.package == package)
            .expect("a pending upgrade");
        assert_eq!(
            host.dpkg_query(package).as_ref(),
            Some(&upgrade.candidate),
            "{}",
            host.name()
        );
        assert_eq!(lines.get(package), Some(&1), "{}: {lines:?}", host.name());
    }
}

#[test]
fn a_host_whose_key_does_not_match_is_stalled_and_never_logged_in_to() {
    let _turn = take_turn();
    let cache = DebianCache::get();
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::a_host_whose_key_does_not_match_is_stalled_and_never_logged_in_to"
        ),
        Duration::from_secs(900),
    ) {
        return;
    }
    let started = Instant::now();
    let mut ssh = SshUp::new(&cache, HOSTS, || patchwarden!());
    let (impostor, honest) = (ssh.host(0), ssh.host(1));
    // The Secret knows another machine's key for the first host's address.
    let wrong_key: String = honest
        .known_hosts()
        .lines()
        .filter_map(|line| line.split_once(' ').map(|(_, key)| key))
        .map(|key| format!("{} {key}\n", impostor.address()))
        .collect();
    let known_hosts = format!("{wrong_key}{}", honest.known_hosts());
    ssh.start(&policy(), &known_hosts);

    let impostor = ssh.host(0).name().to_string();
    let asset = ssh.asset_where(&impostor, Duration::from_secs(180), |a| {
        condition(a, "Stalled")
            .is_some_and(|(status, reason, _)| status == "True" && reason == "HostKeyMismatch")
    });
    let (_, reason, message) = condition(&asset, "Stalled").expect("Stalled");
    assert_eq!(reason, "HostKeyMismatch", "{asset}");
    assert!(message.contains(&impostor), "{message}");

    // The key exchange failed before authentication: sshd never accepted the client's key,
    // so no command ran there.
    let honest_name = ssh.host(1).name().to_string();
    ssh.asset_where(&honest_name, Duration::from_secs(120), |a| {
        a["status"]["os"]["ecosystem"] == "Debian:12"
    });
    let (stalled_host, honest) = (ssh.host(0), ssh.host(1));
    assert!(
        honest.console().contains("Accepted publickey for patch"),
        "the honest host logs logins: {}",
        honest.console()
    );
    assert!(
        !stalled_host.console().contains("Accepted publickey"),
        "{}",
        stalled_host.console()
    );
    assert!(
        stalled_host.dpkg_log().is_empty(),
        "{}",
        stalled_host.dpkg_log()
    );
    // The stalled host is set aside and named; the other one is patched without waiting.
    let first = ssh.run_in(&["Succeeded", "Failed", "Halted"], Duration::from_secs(300));
    assert_eq!(first["status"]["phase"], "Succeeded", "{first}");
    assert!(
        !first["spec"].to_string().contains(&impostor),
        "the run leaves the stalled host out: {first}"
    );
    assert_approved_patched(&cache, ssh.host(1));
    assert!(
        ssh.host(0).dpkg_log().is_empty(),
        "{}",
        ssh.host(0).dpkg_log()
    );
    poll(Duration::from_secs(60), Duration::from_secs(1), || {
        let policy = ssh.up().get(&["patchpolicy", "security"])?;
        let text = policy["status"]["conditions"].to_string();
        (text.contains("MembersStalled") && text.contains(&impostor)).then_some(())
    })
    .unwrap_or_else(|| panic!("{:?}", ssh.up().get(&["patchpolicy", "security"])));

    // With the host's real key in the Secret, it is assessed and a run patches it too.
    ssh.set_known_hosts(&ssh.fleet().known_hosts());
    let second = poll(Duration::from_secs(300), Duration::from_secs(2), || {
        let runs = ssh.up().get(&["patchruns"])?;
        runs["items"]
            .as_array()?
            .iter()
            .find(|run| {
                run["spec"].to_string().contains(&impostor)
                    && run["status"]["finishedAt"].is_string()
            })
            .cloned()
    })
    .unwrap_or_else(|| panic!("no run for {impostor}: {:?}", ssh.up().get(&["patchruns"])));
    assert_eq!(second["status"]["phase"], "Succeeded", "{second}");
    for host in ssh.fleet().hosts() {
        assert_approved_patched(&cache, host);
    }
    let recovered = ssh.asset_where(&impostor, Duration::from_secs(10), |_| true);
    assert_ne!(
        condition(&recovered, "Stalled").map(|c| c.0).as_deref(),
        Some("True"),
        "{recovered}"
    );
    ssh.stop_up();
    eprintln!("host key mismatch over SSH: {:?}", started.elapsed());
}

/// Marker files a shell would create if it ever ran one of the hostile names or versions.
const MARKERS: [&str; 4] = [
    "pwned-name",
    "pwned-subst",
    "pwned-version",
    "pwned-semicolon",
];

/// An advisory like `template` for `source` fixed in `fixed`, with its own id.
fn hostile(template: &Value, id: &str, source: &str, fixed: &str) -> Value {
    let mut record = template.clone();
    record["id"] = json!(id);
    record["aliases"] = json!([]);
    record["affected"][0]["package"]["name"] = json!(source);
    record["affected"][0]["ranges"][0]["events"] = json!([{"introduced": "0"}, {"fixed": fixed}]);
    record
}

/// A second OSV feed, read from `path` below up's lab directory.
fn extra_feed(path: &str) -> String {
    format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: VulnerabilityFeed\nmetadata:\n  name: hostile-osv\n  namespace: default\nspec:\n  format: Osv\n  source:\n    url: {path}\n  ecosystems: [\"Debian:12\"]\n"
    )
}

/// The feed mixes the real advisories with ones naming shell commands as packages (which
/// match no installed package, so no finding and no command ever names them); a second feed
/// carries shell commands as fixed versions of installed packages and is refused as a whole,
/// naming the record and field. The real fixes are installed; no shell ever ran the text.
#[test]
fn hostile_package_names_and_versions_in_the_feed_never_reach_a_shell() {
    let _turn = take_turn();
    let cache = DebianCache::get();
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::hostile_package_names_and_versions_in_the_feed_never_reach_a_shell"
        ),
        Duration::from_secs(900),
    ) {
        return;
    }
    let started = Instant::now();
    let mut ssh = SshUp::new(&cache, HOSTS, || patchwarden!());
    let mut records = ssh.feed().to_vec();
    let template = records
        .iter()
        .find(|r| r["affected"][0]["package"]["name"] == "brotli")
        .expect("a brotli advisory")
        .clone();
    records.extend([
        hostile(
            &template,
            "DEBIAN-HOSTILE-1",
            "openssl;touch /tmp/pwned-name",
            "9.9-1",
        ),
        hostile(
            &template,
            "DEBIAN-HOSTILE-2",
            "$(touch /tmp/pwned-subst)",
            "9.9-1",
        ),
    ]);
    ssh.set_feed(records);
    let versions = [
        hostile(
            &template,
            "DEBIAN-HOSTILE-3",
            "libzstd",
            "$(touch${IFS}/tmp/pwned-version)",
        ),
        hostile(
            &template,
            "DEBIAN-HOSTILE-4",
            "brotli",
            "9.9-1;touch${IFS}/tmp/pwned-semicolon",
        ),
    ];
    let path = "debian/hostile.jsonl";
    ssh.write_lab_file(
        path,
        &versions
            .iter()
            .map(|r| format!("{r}\n"))
            .collect::<String>(),
    );
    let feed = extra_feed(path);
    ssh.start_with(
        &policy(),
        &ssh.fleet().known_hosts(),
        &[("hostile.yaml", &feed)],
    );

    let run = ssh.run_in(&["Succeeded", "Failed", "Halted"], Duration::from_secs(300));
    assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    for host in ssh.fleet().hosts() {
        assert_approved_patched(&cache, host);
        for marker in MARKERS {
            assert!(!host.root().join("tmp").join(marker).exists(), "{marker}");
        }
    }
    for marker in MARKERS {
        assert!(!Path::new("/tmp").join(marker).exists(), "{marker}");
    }
    assert!(!run.to_string().contains("pwned"), "planned: {run}");
    let feed = ssh
        .up()
        .get(&["vulnerabilityfeed", "hostile-osv"])
        .expect("the hostile feed");
    let (ready, _, message) = condition(&feed, "Ready").expect("Ready");
    assert_eq!(ready, "False", "{feed}");
    assert!(
        message.contains("DEBIAN-HOSTILE-3") && message.contains("fixed"),
        "the refusal names the record and field: {feed}"
    );
    for asset in ssh.up().get(&["assets"]).expect("assets")["items"]
        .as_array()
        .expect("items")
    {
        assert!(!asset.to_string().contains("pwned"), "{asset}");
    }
    ssh.stop_up();
    eprintln!("hostile feed over SSH: {:?}", started.elapsed());
}
