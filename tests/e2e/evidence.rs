//! End to end, the evidence chain: `patchwarden up` on a Git repository runs a policy's first
//! PatchRun, is stopped and started again on the same state directory, and after a commit
//! widens the policy runs a second one. The exported chain of both runs verifies offline,
//! names the commits that froze them, and a record tampered with after export is refused
//! naming its run and field.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::cluster::take_turn;
use support::git::TestRepo;
use support::patchwarden;
use support::paths::repo_path;
use support::resources::window_open_now;
use support::up::Up;
use support::wait::poll;

const POLICY: &str = "evidence";

/// The policy; `exclude` holds packages back from the first run.
fn policy(exclude: &str) -> String {
    format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata:\n  name: {POLICY}\nspec:\n  assetGroups: [quickstart]\n  maintenanceWindows: [always]\n  approval:\n    minSeverity: Unknown\n    securityOnly: true\n    exclude: {exclude}\n  rollout:\n    canary: 1\n    maxUnavailable: 3\n"
    )
}

/// Commits the quickstart fleet and feed, a window open now and the policy.
fn commit(repo: &TestRepo, message: &str, exclude: &str) -> String {
    let read = |file: &str| {
        std::fs::read_to_string(repo_path("examples/quickstart").join(file)).expect("quickstart")
    };
    let (fleet, feeds) = (read("fleet.yaml"), read("feeds.yaml"));
    let (window, policy) = (window_open_now("always"), policy(exclude));
    repo.commit(
        message,
        &[
            ("fleet.yaml", &fleet),
            ("feeds.yaml", &feeds),
            ("window.yaml", &window),
            ("policy.yaml", &policy),
        ],
    )
}

/// The chain's links once it has `links` of them and every run of the policy finished.
fn wait_for_links(up: &Up, links: usize, log: &Path) -> Vec<Value> {
    let name = format!("patchwarden-evidence-{POLICY}");
    poll(Duration::from_secs(300), Duration::from_secs(1), || {
        let config_map = up.get(&["configmap", &name])?;
        let data = config_map["data"].as_object()?;
        let mut entries: Vec<(&String, Value)> = data
            .iter()
            .filter(|(k, _)| k.starts_with("entry-"))
            .filter_map(|(k, v)| Some((k, serde_json::from_str(v.as_str()?).ok()?)))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        (entries.len() == links).then(|| entries.into_iter().map(|(_, v)| v).collect())
    })
    .unwrap_or_else(|| {
        panic!(
            "the chain did not reach {links} links: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    })
}

/// Runs `patchwarden evidence …`: exit code and standard output.
fn evidence(args: &[&str]) -> (i32, String) {
    let output = patchwarden!()
        .arg("evidence")
        .args(args)
        .output()
        .expect("patchwarden evidence runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    (
        output.status.code().unwrap_or(-1),
        format!("{stdout}{stderr}"),
    )
}

#[test]
fn the_chain_of_two_runs_survives_a_restart_of_up_and_a_tampered_export_is_refused() {
    let _turn = take_turn();
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, home) = (dir.path().join("state"), dir.path().join("home"));
    let repo = TestRepo::new();
    let first_commit = commit(&repo, "hold ssl back", "[\"*ssl*\"]");

    let log = dir.path().join("up.log");
    let mut up = Up::start(patchwarden!(), &repo.path(), &state, &home, &log);
    let first = wait_for_links(&up, 1, &log);
    up.stop();
    let key_file = state.join("evidence-key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file)
            .expect("key file")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the key file is owner-only");

    // Restarted on the same state directory; a commit lets the held-back packages through.
    let second_commit = commit(&repo, "patch ssl too", "[]");
    let log2 = dir.path().join("up2.log");
    let up = Up::start(patchwarden!(), &repo.path(), &state, &home, &log2);
    let links = wait_for_links(&up, 2, &log2);
    assert_eq!(links[0], first[0], "the first link is kept as it was");
    assert_eq!(
        links[0]["keyId"], links[1]["keyId"],
        "one key across restarts"
    );
    assert_eq!(links[1]["record"]["previous"], links[0]["hash"]);
    for (link, commit) in links.iter().zip([&first_commit, &second_commit]) {
        let record = &link["record"];
        assert_eq!(record["policy"]["commit"], commit.as_str(), "{record}");
        assert_eq!(record["outcome"]["phase"], "Succeeded", "{record}");
        assert_eq!(record["window"]["name"], "always", "{record}");
        let approvals = record["approvals"].as_array().expect("approvals");
        assert!(!approvals.is_empty(), "{record}");
        for approval in approvals {
            let reason = approval["reason"].as_str().unwrap_or_default();
            assert!(reason.starts_with("Scheduled run: fixes "), "{approval}");
            // The rules it passed, as the policy froze the run.
            let rules = approval["rules"].as_str().unwrap_or_default();
            assert!(
                rules.starts_with("security update, severity "),
                "{approval}"
            );
        }
        let asset = &record["assets"][0];
        let package = &asset["packages"][0];
        assert!(
            package["before"].is_string() && package["after"].is_string(),
            "{asset}"
        );
        assert_ne!(package["before"], package["after"], "{asset}");
        assert!(
            record["verification"][0]["cvesClosed"]
                .as_array()
                .is_some_and(|c| !c.is_empty()),
            "{record}"
        );
        let feed = &record["feeds"][0];
        assert!(
            feed["digest"]
                .as_str()
                .is_some_and(|d| d.starts_with("sha256:")),
            "{feed}"
        );
        // The run names its link.
        let run = up
            .get(&["patchrun", link["run"].as_str().expect("run")])
            .expect("run");
        assert_eq!(
            run["metadata"]["annotations"]["patchwarden.io/evidence-hash"],
            link["hash"]
        );
    }
    let packages_of = |link: &Value| {
        link["record"]["approvals"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| p["package"].to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    assert!(packages_of(&links[0]).iter().all(|p| !p.contains("ssl")));
    assert!(packages_of(&links[1]).iter().any(|p| p.contains("ssl")));

    // Export, then verify offline and in the cluster.
    let kubeconfig = state.join("kubeconfig");
    let kubeconfig = kubeconfig.to_str().expect("utf-8 path");
    let bundle = dir.path().join("bundle.json");
    let bundle_arg = bundle.to_str().expect("utf-8 path");
    let args = ["export", "--kubeconfig", kubeconfig, "--policy", POLICY];
    let (code, out) = evidence(&[&args[..], &["--output", bundle_arg]].concat());
    assert_eq!(code, 0, "{out}");
    let head = links[1]["hash"].as_str().expect("hash");
    let (code, out) = evidence(&["verify", "--bundle", bundle_arg]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("chain length 2"), "{out}");
    assert!(out.contains(head), "{out}");
    let (code, out) = evidence(&["verify", "--kubeconfig", kubeconfig, "--policy", POLICY]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("default/{POLICY}: verified, chain length 2")),
        "{out}"
    );

    // One field of the first run's record changed after export: refused, naming it.
    let mut tampered: Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).expect("bundle")).expect("json");
    tampered["entries"][0]["record"]["assets"][0]["packages"][0]["after"] = "0.0-tampered".into();
    let tampered_path = dir.path().join("tampered.json");
    std::fs::write(&tampered_path, tampered.to_string()).expect("write");
    let tampered_arg = tampered_path.to_str().expect("utf-8 path");
    let (code, out) = evidence(&["verify", "--bundle", tampered_arg]);
    assert_eq!(code, 1, "{out}");
    let first_run = links[0]["run"].as_str().expect("run");
    assert!(out.contains(&format!("link 1 (run {first_run})")), "{out}");
    assert!(
        out.contains("hash mismatch: record field \"assets\" was changed"),
        "{out}"
    );
}
