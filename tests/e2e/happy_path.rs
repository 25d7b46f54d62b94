//! End to end, the happy path: the embedded control plane, the real kubectl, the operator as
//! a process and a lab fleet of six real dpkg roots. A window open now and a policy with a
//! canary of 1 and `maxUnavailable: 2` patch every host to the fixed versions.

use std::time::Duration;

use support::cluster::Cluster;
use support::lab::{apply_with_open_window, dpkg_versions, planned_hosts};
use support::operator::Operator;
use support::patchwarden;
use support::resources::condition;

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: web
  namespace: default
spec:
  criticality: High
  exposure: Internet
  lab:
    hosts: 6
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: standard
  namespace: default
spec:
  assetGroups: [web]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
  rollout:
    canary: 1
    maxUnavailable: 2
  hooks:
    postPatch:
      - name: smoke
        command: ["/usr/lib/patchwarden-lab/health-check"]
"#;

#[test]
fn canary_then_waves_patch_every_lab_host_and_the_policy_becomes_compliant() {
    let cluster = Cluster::start();
    let operator = Operator::start(&cluster, patchwarden!(), "happy", &[]);
    apply_with_open_window(&cluster, RESOURCES, "web");

    let window = cluster.wait_for("the window to report open", Duration::from_secs(60), || {
        let window = cluster.get_json(&["maintenancewindow", "always"])?;
        (window["status"]["open"] == true).then_some(window)
    });
    let (ready, _, message) = condition(&window, "Ready").expect("Ready condition");
    assert_eq!(ready, "True");
    assert!(message.starts_with("open until"), "{message}");

    let feed = cluster.wait_for("the feed to load", Duration::from_secs(120), || {
        let feed = cluster.get_json(&["vulnerabilityfeed", "lab-osv"])?;
        (condition(&feed, "Ready")?.0 == "True").then_some(feed)
    });
    assert!(
        feed["status"]["recordCount"].as_u64().unwrap_or(0) > 0,
        "{feed}"
    );
    assert!(
        feed["status"]["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
    );

    // The policy runs to completion: canary, then waves of at most two.
    let policy = cluster.wait_for(
        "the policy to become Ready and compliant",
        Duration::from_secs(300),
        || {
            let policy = cluster.get_json(&["patchpolicy", "standard"])?;
            let ready = condition(&policy, "Ready")?;
            let compliant = condition(&policy, "Compliant")?;
            (ready.0 == "True" && compliant.0 == "True").then_some(policy)
        },
    );
    assert_eq!(policy["status"]["compliance"]["percent"], 100.0, "{policy}");
    assert_eq!(policy["status"]["compliance"]["assets"], 6, "{policy}");
    cluster.kubectl(&[
        "wait",
        "--for=condition=Ready",
        "patchpolicy/standard",
        "--timeout=30s",
    ]);

    let runs = cluster.get_json(&["patchruns"]).expect("runs");
    let runs = runs["items"].as_array().expect("items");
    assert_eq!(
        runs.len(),
        1,
        "exactly one run: {runs:?}; policy {policy}; assets {}",
        cluster.kubectl(&["get", "assets", "-o", "json"])
    );
    let run = &runs[0];
    assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    let waves = run["spec"]["waves"].as_array().expect("waves");
    assert_eq!(waves[0]["canary"], true);
    assert_eq!(waves[0]["assets"].as_array().map(Vec::len), Some(1));
    // Each wave carries its estimate (the default before any outcome history: 10 minutes).
    assert!(
        waves.iter().all(|w| w["estimatedDuration"] == "10m"),
        "{run}"
    );
    assert!(
        run["status"]["expectedFinishAt"].is_null(),
        "finished: {run}"
    );
    assert!(
        waves
            .iter()
            .all(|w| w["assets"].as_array().map(Vec::len).unwrap_or(0) <= 2)
    );
    let results = run["status"]["assets"].as_array().expect("asset results");
    assert_eq!(results.len(), 6);
    for result in results {
        assert_eq!(result["state"], "Succeeded", "{result}");
        assert!(
            !result["cvesClosed"]
                .as_array()
                .map(Vec::is_empty)
                .unwrap_or(true),
            "{result}"
        );
        for package in result["packages"].as_array().expect("packages") {
            assert_ne!(package["before"], package["after"], "{package}");
        }
        // Where the installed versions came from: the lab's repository, its suite and the
        // date of its release file in the host's package lists.
        let sources = result["sources"].as_array().expect("sources");
        assert_eq!(sources.len(), 1, "{result}");
        let source = &sources[0];
        assert!(
            source["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("file:/")),
            "{source}"
        );
        assert_eq!(source["suite"], "bookworm-security", "{source}");
        assert!(
            source["releaseDate"]
                .as_str()
                .is_some_and(|d| d.ends_with("+0000")),
            "{source}"
        );
        assert_eq!(
            source["packages"].as_array().map(Vec::len),
            result["packages"].as_array().map(Vec::len),
            "{result}"
        );
    }
    // Every host's dpkg database shows the planned versions, fully installed.
    for host in planned_hosts(&cluster, run, "web") {
        let dpkg = dpkg_versions(&host.root);
        for package in &host.packages {
            let (version, state) = dpkg
                .get(package["name"].as_str().expect("package"))
                .expect("installed");
            assert_eq!(version, package["to"].as_str().expect("to"));
            assert_eq!(state, "ii");
        }
    }
    // Assets show their findings gone (the fixable ones) and are compliant.
    let assets = cluster.wait_for("assets compliant", Duration::from_secs(60), || {
        let list = cluster.get_json(&["assets"])?;
        let items = list["items"].as_array()?.clone();
        items
            .iter()
            .all(|a| a["status"]["patchState"] == "Compliant")
            .then_some(items)
    });
    assert_eq!(assets.len(), 6);

    let table = cluster.kubectl(&["get", "patchpolicies,patchruns,assets"]);
    assert!(
        table.contains("standard") && table.contains("Succeeded") && table.contains("web-5"),
        "{table}"
    );
    let events = cluster.kubectl(&["get", "events", "-o", "json"]);
    for reason in ["RunCreated", "AssetPatched", "RunSucceeded"] {
        assert!(events.contains(reason), "no {reason} event: {events}");
    }
    let describe = cluster.kubectl(&["describe", "patchpolicy", "standard"]);
    assert!(
        describe.contains("RunCreated"),
        "describe shows Events: {describe}"
    );

    // A reconcile request (the Flux annotation) is handled and recorded.
    cluster.kubectl(&[
        "annotate",
        "patchpolicy",
        "standard",
        "reconcile.fluxcd.io/requestedAt=2026-11-28T12:00:00Z",
        "--overwrite",
    ]);
    cluster.wait_for(
        "the reconcile request to be handled",
        Duration::from_secs(30),
        || {
            let policy = cluster.get_json(&["patchpolicy", "standard"])?;
            (policy["status"]["lastHandledReconcileAt"] == "2026-11-28T12:00:00Z").then_some(())
        },
    );
    // Suspending keeps the policy Ready with reason Suspended at the new generation.
    cluster.kubectl(&[
        "patch",
        "patchpolicy",
        "standard",
        "--type=merge",
        "-p",
        r#"{"spec":{"suspend":true}}"#,
    ]);
    cluster.wait_for(
        "the policy to show Suspended",
        Duration::from_secs(30),
        || {
            let policy = cluster.get_json(&["patchpolicy", "standard"])?;
            let ready = condition(&policy, "Ready")?;
            (ready.1 == "Suspended"
                && policy["status"]["observedGeneration"] == policy["metadata"]["generation"])
                .then_some(())
        },
    );

    let metrics = operator.http_get("/metrics");
    assert!(
        metrics.contains("patchwarden_reconciles_total"),
        "{metrics}"
    );
    assert!(metrics.contains("patchwarden_leader 1"), "{metrics}");
    assert!(
        metrics.contains("patchwarden_patch_runs_finished_total{phase=\"Succeeded\"} 1"),
        "{metrics}"
    );
    assert!(operator.http_get("/healthz").ends_with("ok"));
}
