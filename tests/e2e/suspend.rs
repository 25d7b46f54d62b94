//! End to end, `spec.suspend` on a PatchPolicy during its run: once the run shows it is
//! suspended, no further asset starts; unsuspending resumes the run to `Succeeded`. An Asset
//! suspended meanwhile is skipped by the resumed run, with the reason in its result.

use std::collections::BTreeSet;
use std::time::Duration;

use support::cluster::Cluster;
use support::lab::apply_with_open_window;
use support::operator::Operator;
use support::patchwarden;

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: app
  namespace: default
spec:
  lab:
    hosts: 4
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: paced
  namespace: default
spec:
  assetGroups: [app]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
  rollout:
    canary: 1
    maxUnavailable: 1
"#;

/// The policy's run.
fn the_run(cluster: &Cluster) -> Option<serde_json::Value> {
    let runs = cluster.get_json(&["patchruns", "-l", "patchwarden.io/policy=paced"])?;
    runs["items"].as_array()?.first().cloned()
}

/// The assets of `run` that have started (have a `startedAt`).
fn started(run: &serde_json::Value) -> BTreeSet<String> {
    run["status"]["assets"]
        .as_array()
        .map(|assets| {
            assets
                .iter()
                .filter(|a| a["startedAt"].is_string())
                .filter_map(|a| a["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn set_suspend(cluster: &Cluster, suspend: bool) {
    let patch = format!("{{\"spec\":{{\"suspend\":{suspend}}}}}");
    cluster.kubectl(&[
        "patch",
        "patchpolicy",
        "paced",
        "--type",
        "merge",
        "-p",
        &patch,
    ]);
}

#[test]
fn a_suspended_policy_pauses_its_run_and_resumes_it_skipping_a_suspended_asset() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "suspend", &[]);
    apply_with_open_window(&cluster, RESOURCES, "app");

    cluster.wait_for("the canary to start", Duration::from_secs(300), || {
        the_run(&cluster).filter(|run| !started(run).is_empty())
    });
    set_suspend(&cluster, true);
    let paused = cluster.wait_for("the run to pause", Duration::from_secs(120), || {
        the_run(&cluster).filter(|run| {
            run["status"]["phase"] == "Paused"
                && run["status"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("suspended"))
        })
    });
    let started_when_paused = started(&paused);
    let total = paused["spec"]["assets"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert!(started_when_paused.len() < total, "{paused}");
    // Longer than the controller's poll interval: nothing new starts while suspended.
    std::thread::sleep(Duration::from_secs(20));
    let still = the_run(&cluster).expect("run");
    assert_eq!(still["status"]["phase"], "Paused", "{still}");
    assert_eq!(started(&still), started_when_paused, "{still}");

    // One asset that has not started yet is suspended while the run waits.
    let held = paused["spec"]["assets"]
        .as_array()
        .and_then(|assets| {
            assets
                .iter()
                .filter_map(|a| a["name"].as_str())
                .find(|name| !started_when_paused.contains(*name))
        })
        .expect("an asset not started yet")
        .to_string();
    cluster.kubectl(&[
        "patch",
        "asset",
        &held,
        "--type",
        "merge",
        "-p",
        "{\"spec\":{\"suspend\":true}}",
    ]);

    set_suspend(&cluster, false);
    let run = cluster.wait_for("the run to succeed", Duration::from_secs(300), || {
        the_run(&cluster).filter(|run| run["status"]["finishedAt"].is_string())
    });
    assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    assert_eq!(started(&run).len(), total - 1, "{run}");
    let results = run["status"]["assets"].as_array().expect("results");
    for result in results {
        if result["name"] == held.as_str() {
            assert_eq!(result["state"], "Skipped", "{result}");
            assert_eq!(
                result["message"],
                format!("{held}: skipped: the Asset is suspended"),
                "{result}"
            );
        } else {
            assert_eq!(result["state"], "Succeeded", "{result}");
        }
    }
    assert_eq!(run["status"]["counts"]["skipped"], 1, "{run}");
    let runs = cluster
        .get_json(&["patchruns", "-l", "patchwarden.io/policy=paced"])
        .expect("runs");
    assert_eq!(runs["items"].as_array().map(Vec::len), Some(1), "{runs}");
}
