//! End to end, a failing update: the new `openssl` postinst fails on every lab host, so the
//! canary fails first. The run halts, the canary is rolled back to its recorded versions,
//! no other host is touched, and the policy is `Degraded` naming host, package and error.
//! A second policy whose pre-patch hook fails leaves its canary untouched and says why; a third
//! whose hook names a program outside the lab host's root is refused without running it.

use std::time::Duration;

use support::cluster::Cluster;
use support::lab::{apply_with_open_window, dpkg_versions, host_root, planned_hosts};
use support::operator::Operator;
use support::patchwarden;
use support::resources::condition;

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: db
  namespace: default
spec:
  lab:
    hosts: 4
    faults:
      - kind: PostinstFails
        package: openssl
        hosts: [db-0, db-1, db-2, db-3]
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: standard
  namespace: default
spec:
  assetGroups: [db]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
    include: ["openssl", "libssl*"]
  rollout:
    canary: 1
    maxUnavailable: 2
"#;

#[test]
fn a_failing_postinst_on_the_canary_halts_rolls_back_and_degrades_the_policy() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "failure", &[]);
    apply_with_open_window(&cluster, RESOURCES, "db");

    let run = cluster.wait_for("the run to halt", Duration::from_secs(300), || {
        let runs = cluster.get_json(&["patchruns"])?;
        let run = runs["items"].as_array()?.first()?.clone();
        (run["status"]["phase"] == "Halted" && run["status"]["finishedAt"].is_string())
            .then_some(run)
    });
    let canary = run["spec"]["waves"][0]["assets"][0]
        .as_str()
        .expect("canary")
        .to_string();
    let results = run["status"]["assets"].as_array().expect("results");
    for result in results {
        let name = result["name"].as_str().expect("name");
        if name == canary {
            assert_eq!(result["state"], "RolledBack", "{result}");
        } else {
            assert_eq!(result["state"], "Skipped", "{result}");
        }
    }
    // The canary is back at its recorded versions, fully installed; others never changed.
    for host in planned_hosts(&cluster, &run, "db") {
        let dpkg = dpkg_versions(&host.root);
        for package in &host.packages {
            let (version, state) = dpkg
                .get(package["name"].as_str().expect("package"))
                .expect("installed");
            let name = &host.name;
            assert_eq!(
                version,
                package["from"].as_str().expect("from"),
                "{name} {package}"
            );
            assert_eq!(state, "ii", "{name} {package}");
        }
    }
    let policy = cluster.wait_for("the policy to be Degraded", Duration::from_secs(60), || {
        let policy = cluster.get_json(&["patchpolicy", "standard"])?;
        (condition(&policy, "Degraded")?.0 == "True").then_some(policy)
    });
    let (_, reason, message) = condition(&policy, "Degraded").expect("Degraded");
    assert_eq!(reason, "RunHalted");
    assert!(message.contains(&canary), "names the host: {message}");
    assert!(message.contains("openssl"), "names the package: {message}");
    // The run, the step, the package and the package manager's own error, in that order.
    let run_name = run["metadata"]["name"].as_str().expect("run name");
    let prefix = format!(
        "PatchRun {run_name} Halted: halted: canary {canary} failed, so no further wave starts: {canary} ("
    );
    assert!(message.starts_with(&prefix), "{message}");
    let (_, failure) = message
        .split_once("): upgrade failed: ")
        .expect("names the failed step");
    let (_, failure) = failure
        .split_once(": openssl 3.0.22-1~deb12u2: ")
        .expect("names the package and version");
    assert_eq!(
        failure,
        "openssl: post-installation check failed on this host (lab fault postinst-fail) / dpkg: error processing package openssl (--configure): / installed openssl package post-installation script subprocess returned error exit status 1 (apt-get exit 100; dpkg state iF 3.0.22-1~deb12u2)"
    );
    let (ready, _, _) = condition(&policy, "Ready").expect("Ready");
    assert_eq!(ready, "False");
    // The halted plan is not retried on its own.
    std::thread::sleep(Duration::from_secs(5));
    let runs = cluster.get_json(&["patchruns"]).expect("runs");
    assert_eq!(runs["items"].as_array().map(Vec::len), Some(1));
    let events = cluster.kubectl(&["get", "events", "-o", "json"]);
    assert!(events.contains("RunHalted"), "{events}");

    // A failing pre-patch hook fails the canary before anything is installed. On lab hosts a
    // hook is a program inside the host's root (a lab host is a directory on the operator's
    // machine): each db host gets one that refuses the change.
    let hosts = std::fs::read_dir(cluster.path("labs/default/db/hosts")).expect("db hosts");
    for host in hosts {
        install_refusing_hook(&host.expect("db host").path());
    }
    cluster.apply("apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata:\n  name: hooked\n  namespace: default\nspec:\n  assetGroups: [db]\n  maintenanceWindows: [always]\n  approval:\n    minSeverity: Unknown\n    include: [\"libexpat1\"]\n  hooks:\n    prePatch:\n      - name: change-ticket\n        command: [\"/usr/local/sbin/change-ticket\", \"CHG-4711\"]\n",
    );
    let run = cluster.wait_for("the hooked run to halt", Duration::from_secs(120), || {
        let runs = cluster.get_json(&["patchruns", "-l", "patchwarden.io/policy=hooked"])?;
        let run = runs["items"].as_array()?.first()?.clone();
        (run["status"]["phase"] == "Halted" && run["status"]["finishedAt"].is_string())
            .then_some(run)
    });
    let message = run["status"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("pre-patch hook change-ticket failed"),
        "{message}"
    );
    assert!(message.contains("change is not approved"), "{message}");
    assert!(!message.contains("CHG-4711"), "{message}");
    let canary = run["spec"]["assets"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|x| x["name"] == run["spec"]["waves"][0]["assets"][0])
        })
        .expect("canary plan")
        .clone();
    let asset = cluster
        .get_json(&["asset", canary["name"].as_str().expect("name")])
        .expect("asset");
    let host = asset["spec"]["address"].as_str().expect("address");
    let dpkg = dpkg_versions(&host_root(&cluster, "db", host));
    for package in canary["packages"].as_array().expect("packages") {
        let (version, _) = dpkg
            .get(package["name"].as_str().expect("package"))
            .expect("installed");
        assert_eq!(
            version,
            package["from"].as_str().expect("from"),
            "{package}"
        );
    }

    // A hook naming a program of the operator's machine is refused on lab hosts, unrun, and
    // the message names the program without its arguments.
    let witness = cluster.path("hook-ran");
    cluster.apply(&format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata:\n  name: outside\n  namespace: default\nspec:\n  assetGroups: [db]\n  maintenanceWindows: [always]\n  approval:\n    minSeverity: Unknown\n    include: [\"libexpat1\"]\n  hooks:\n    prePatch:\n      - name: touch\n        command: [\"/usr/bin/touch\", \"{}\"]\n",
        witness.display()
    ));
    let run = cluster.wait_for("the outside run to halt", Duration::from_secs(120), || {
        let runs = cluster.get_json(&["patchruns", "-l", "patchwarden.io/policy=outside"])?;
        let run = runs["items"].as_array()?.first()?.clone();
        (run["status"]["phase"] == "Halted" && run["status"]["finishedAt"].is_string())
            .then_some(run)
    });
    let message = run["status"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("pre-patch hook touch failed"), "{message}");
    assert!(
        message
            .contains("`/usr/bin/touch` (arguments withheld) is not a file inside the host's root"),
        "{message}"
    );
    assert!(!message.contains("hook-ran"), "{message}");
    assert!(!witness.exists(), "the hook ran on the operator's machine");
}

/// A hook inside a lab host's root that refuses every change (exit 3, reason on stderr; the
/// ticket it is given is not echoed).
fn install_refusing_hook(root: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let path = root.join("usr/local/sbin/change-ticket");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("sbin directory");
    std::fs::write(
        &path,
        "#!/bin/sh\necho change is not approved >&2\nexit 3\n",
    )
    .expect("hook");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("mode");
}
