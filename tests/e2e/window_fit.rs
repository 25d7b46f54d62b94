//! End to end, window fit: a policy's window opens every 20 seconds for 5 seconds, far too
//! short for the 10 minutes each asset is estimated at before there is outcome history. Each
//! run therefore carries only its first wave (one asset, the canary), the other assets keep
//! their approved patches for the next run, and every run starts inside an opening of the
//! window, until all three lab hosts are patched.

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use serde_json::Value;
use support::cluster::Cluster;
use support::lab::apply_with_open_window;
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
  lab:
    hosts: 3
---
apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: bursts
  namespace: default
spec:
  schedule: "*/20 * * * * *"
  timeZone: UTC
  duration: 5s
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: fit
  namespace: default
spec:
  assetGroups: [web]
  maintenanceWindows: [bursts]
  approval:
    minSeverity: Unknown
  rollout:
    canary: 1
    maxUnavailable: 1
"#;

fn created(run: &Value) -> DateTime<Utc> {
    run["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("creationTimestamp")
}

#[test]
fn a_run_too_long_for_its_window_carries_what_fits_and_the_rest_follows() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "window-fit", &[]);
    apply_with_open_window(&cluster, RESOURCES, "web");

    cluster.wait_for(
        "every host patched over several runs",
        Duration::from_secs(240),
        || {
            let policy = cluster.get_json(&["patchpolicy", "fit"])?;
            (condition(&policy, "Compliant")?.0 == "True").then_some(())
        },
    );
    let runs = cluster.get_json(&["patchruns"]).expect("runs");
    let mut runs = runs["items"].as_array().cloned().expect("items");
    runs.sort_by_key(created);
    assert!(runs.len() >= 2, "one run carried everything: {runs:?}");
    let carried: Vec<usize> = runs
        .iter()
        .map(|run| run["spec"]["assets"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(
        carried[0], 1,
        "the first run carries only its canary wave: {carried:?}"
    );
    assert_eq!(carried.iter().sum::<usize>(), 3, "{carried:?}");
    for run in &runs {
        assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
        assert_eq!(run["spec"]["window"], "bursts", "{run}");
        // Openings are at :00, :20 and :40 and last 5 s.
        let second = created(run).second();
        assert!(second % 20 < 6, "started outside an opening: {run}");
    }
}
