//! End to end, the operator serves the report and prunes runs: a policy with
//! `history.keepRuns: 0` patches a lab fleet, its finished run is deleted once its evidence is
//! recorded, and `/report` and `/report.json` on the operator's metrics server still show the
//! run's success in the policy's history, next to the policy's compliance.

use std::time::Duration;

use serde_json::Value;
use support::cluster::Cluster;
use support::lab::apply_with_open_window;
use support::operator::Operator;
use support::patchwarden;

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: web
  namespace: default
spec:
  lab:
    hosts: 3
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: pruned
  namespace: default
spec:
  assetGroups: [web]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
  history:
    keepRuns: 0
"#;

#[test]
fn finished_runs_beyond_keep_runs_are_pruned_and_the_served_report_keeps_their_trend() {
    let cluster = Cluster::start();
    let operator = Operator::start(&cluster, patchwarden!(), "report", &[]);
    apply_with_open_window(&cluster, RESOURCES, "web");

    // What was seen last, for the message should the wait time out.
    let mut seen = String::new();
    let policy = support::wait::poll(Duration::from_secs(240), Duration::from_millis(500), || {
        let policy = cluster.get_json(&["patchpolicy", "pruned"])?;
        let runs = cluster.get_json(&["patchruns"])?;
        seen = format!(
            "policy status: {}\nruns: {}",
            policy["status"], runs["items"]
        );
        let last = policy["status"]["history"].as_array()?.last()?.clone();
        (last["runsSucceeded"] == 1
            && policy["status"]["compliance"]["percent"] == 100.0
            && runs["items"].as_array().is_some_and(Vec::is_empty))
        .then_some(policy)
    })
    .unwrap_or_else(|| {
        panic!("the run did not succeed and get pruned in 240 s; last seen:\n{seen}")
    });
    // The evidence of the pruned run stays.
    let chain = cluster
        .get_json(&["configmap", "patchwarden-evidence-pruned"])
        .expect("the evidence chain outlives the run");
    assert_eq!(
        chain["data"].as_object().map(|d| d.len() >= 2),
        Some(true),
        "{chain}"
    );

    let report: Value =
        serde_json::from_str(&operator.http_get("/report.json")).expect("/report.json is JSON");
    assert_eq!(report["runs"], Value::Array(Vec::new()));
    let row = &report["policies"][0];
    assert_eq!(row["name"], "default/pruned");
    assert_eq!(
        row["compliant"],
        policy["status"]["compliance"]["compliant"]
    );
    let points = report["trends"][0]["points"].as_array().expect("points");
    assert!(points.len() >= 2, "{points:?}");
    assert_eq!(
        points.last().map(|p| &p["runSuccessPercent"]),
        Some(&Value::from(100.0))
    );
    assert_eq!(
        points.last().map(|p| &p["compliantPercent"]),
        Some(&Value::from(100.0))
    );

    // The page escapes `/` in text and attributes as `&#x2f;`, as a browser decodes it.
    let html = operator.http_get("/report").replace("&#x2f;", "/");
    assert!(
        html.contains(r#"<tr data-policy="default/pruned">"#),
        "{html}"
    );
    assert!(html.contains(r#"<path class="series" data-series="Run success %" d="M"#));
    assert!(!html.contains("<script"));
}
