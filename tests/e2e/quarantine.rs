//! End to end, learning from outcomes: the new `openssl` fails its postinst on every lab host,
//! so the canaries of two policies' runs fail with it. The update is then quarantined
//! fleet-wide: a third policy's run carries its other fix without that openssl version, and
//! its status lists the quarantine naming both runs. The outcome statistics are in the
//! ConfigMap `patchwarden-outcomes`, and its lift annotation ends the quarantine. A fixed
//! re-release published in the lab's repository supersedes the quarantine, and a new run
//! installs it on every host.

use std::time::Duration;

use patchwarden_lab::Lab;
use serde_json::Value;
use support::cluster::Cluster;
use support::lab::{apply_with_open_window, dpkg_versions, host_root};
use support::operator::Operator;
use support::patchwarden;

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: db
  namespace: default
spec:
  lab:
    hosts: 3
    faults:
      - kind: PostinstFails
        package: openssl
        hosts: [db-0, db-1, db-2]
"#;

/// A policy over the lab group approving `packages`, one canary first.
fn policy(name: &str, packages: &str) -> String {
    format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  assetGroups: [db]\n  maintenanceWindows: [always]\n  approval:\n    minSeverity: Unknown\n    include: [{packages}]\n  rollout:\n    canary: 1\n    maxUnavailable: 1\n"
    )
}

/// The first run of `policy` once it has finished.
fn finished_run(cluster: &Cluster, policy: &str) -> Value {
    let what = format!("the run of {policy} to finish");
    cluster.wait_for(&what, Duration::from_secs(300), || {
        let selector = format!("patchwarden.io/policy={policy}");
        let runs = cluster.get_json(&["patchruns", "-l", &selector])?;
        let run = runs["items"].as_array()?.first()?.clone();
        run["status"]["finishedAt"].is_string().then_some(run)
    })
}

fn name(run: &Value) -> String {
    run["metadata"]["name"]
        .as_str()
        .expect("run name")
        .to_string()
}

/// The planned package names of a run.
fn planned_packages(run: &Value) -> Vec<String> {
    let mut names: Vec<String> = run["spec"]["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .flat_map(|a| a["packages"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Two policies' runs whose canaries fail on openssl and halt, counted in the outcome
/// statistics; their names.
fn fail_twice(cluster: &Cluster) -> (String, String) {
    apply_with_open_window(cluster, RESOURCES, "db");
    cluster.apply(&policy("first", "\"openssl\""));
    let first = finished_run(cluster, "first");
    assert_eq!(first["status"]["phase"], "Halted", "{first}");
    cluster.apply(&policy("second", "\"openssl\""));
    let second = finished_run(cluster, "second");
    assert_eq!(second["status"]["phase"], "Halted", "{second}");
    let (first, second) = (name(&first), name(&second));
    cluster.wait_for("both runs counted", Duration::from_secs(60), || {
        let map = cluster.get_json(&["configmap", "patchwarden-outcomes"])?;
        let stats = map["data"]["stats.json"].as_str()?;
        (stats.contains(&first) && stats.contains(&second)).then_some(())
    });
    (first, second)
}

#[test]
fn an_update_that_failed_on_two_canaries_is_skipped_fleet_wide() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "quarantine", &[]);
    let (first, second) = fail_twice(&cluster);

    // A third policy patches libexpat1 and skips the quarantined openssl.
    cluster.apply(&policy("third", "\"openssl\", \"libexpat1\""));
    let third = finished_run(&cluster, "third");
    assert_eq!(third["status"]["phase"], "Succeeded", "{third}");
    assert_eq!(planned_packages(&third), ["libexpat1"], "{third}");
    let status = cluster.wait_for("the quarantine in status", Duration::from_secs(60), || {
        let policy = cluster.get_json(&["patchpolicy", "third"])?;
        let listed = policy["status"]["quarantined"].as_array()?.first()?.clone();
        Some((listed, policy["status"]["outcomes"].clone()))
    });
    let (quarantine, outcomes) = status;
    assert_eq!(quarantine["package"], "openssl", "{quarantine}");
    let reason = quarantine["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("quarantined: failed on 2 canaries"),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("of runs {first}, {second}"))
            || reason.contains(&format!("of runs {second}, {first}")),
        "{reason}"
    );
    assert!(outcomes["runs"].as_u64().unwrap_or(0) >= 2, "{outcomes}");
    assert!(
        outcomes["failures"].as_u64().unwrap_or(0) >= 2,
        "{outcomes}"
    );

    // Lifted by hand on the ConfigMap: no longer listed.
    let version = quarantine["version"].as_str().expect("version");
    cluster.kubectl(&[
        "annotate",
        "configmap",
        "patchwarden-outcomes",
        &format!("patchwarden.io/lift-quarantine=openssl={version}"),
    ]);
    cluster.kubectl(&[
        "annotate",
        "--overwrite",
        "patchpolicy",
        "third",
        "reconcile.fluxcd.io/requestedAt=lift",
    ]);
    cluster.wait_for("the quarantine lifted", Duration::from_secs(60), || {
        let policy = cluster.get_json(&["patchpolicy", "third"])?;
        policy["status"]["quarantined"]
            .as_array()
            .is_none_or(Vec::is_empty)
            .then_some(())
    });
}

/// The vendor's fixed re-release of the openssl that failed.
const FIXED_RELEASE: &str = "3.0.22-1~deb12u3";

#[test]
fn a_fixed_release_supersedes_the_quarantine_and_is_installed() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "superseded", &[]);
    fail_twice(&cluster);
    // The policies whose runs failed stand aside, so the third alone meets the fixed release.
    for policy in ["first", "second"] {
        cluster.kubectl(&[
            "patch",
            "patchpolicy",
            policy,
            "--type=merge",
            "-p",
            r#"{"spec":{"suspend":true}}"#,
        ]);
    }
    cluster.apply(&policy("third", "\"openssl\", \"libexpat1\""));
    let third = finished_run(&cluster, "third");
    assert_eq!(planned_packages(&third), ["libexpat1"], "{third}");

    // The lab's repository publishes a fixed openssl, without the failing maintainer script;
    // the hosts read their sources again.
    let lab = Lab::open(&cluster.path("labs/default/db")).expect("the lab");
    let quarantined = lab
        .package("openssl")
        .expect("openssl")
        .candidate_version
        .clone();
    lab.publish_release("openssl", FIXED_RELEASE)
        .expect("publish the fixed release");
    cluster.kubectl(&[
        "annotate",
        "--overwrite",
        "assets",
        "--all",
        "reconcile.fluxcd.io/requestedAt=republished",
    ]);

    // Every host is offered the newer version, so the quarantine of the failed one ends and
    // the policy that skipped openssl installs the fixed release everywhere.
    let fixed_run = cluster.wait_for(
        "a run of the third policy with the fixed openssl",
        Duration::from_secs(300),
        || {
            let runs = cluster.get_json(&["patchruns", "-l", "patchwarden.io/policy=third"])?;
            runs["items"]
                .as_array()?
                .iter()
                .find(|run| {
                    run["status"]["finishedAt"].is_string()
                        && planned_packages(run).contains(&"openssl".to_string())
                })
                .cloned()
        },
    );
    assert_eq!(fixed_run["status"]["phase"], "Succeeded", "{fixed_run}");
    let targets: Vec<&str> = fixed_run["spec"]["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .flat_map(|a| a["packages"].as_array().into_iter().flatten())
        .filter(|p| p["name"] == "openssl")
        .filter_map(|p| p["to"].as_str())
        .collect();
    assert_eq!(targets, [FIXED_RELEASE; 3], "{fixed_run}");
    for host in lab.host_names() {
        let versions = dpkg_versions(&host_root(&cluster, "db", host));
        assert_eq!(
            versions.get("openssl"),
            Some(&(FIXED_RELEASE.to_string(), "ii".to_string())),
            "{host}"
        );
    }
    let policy = cluster.get_json(&["patchpolicy", "third"]).expect("policy");
    let listed = policy["status"]["quarantined"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        listed.iter().all(|q| q["version"] != quarantined.as_str()),
        "{policy}"
    );
}
