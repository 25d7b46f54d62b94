//! End to end, SLA deadlines and the approval delay count from each advisory's publication.
//! The lab's OSV feed is re-dated: openssl's advisories were published 40 days ago and carry a
//! High CVSS vector, every other advisory was published yesterday. With the only window closed,
//! a policy with `sla.high: 30d` reports its asset out of SLA and records a `SlaBreached`
//! Event; a policy with `approveAfter: 7d` holds the fixes published yesterday back and says
//! until when.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use support::cluster::Cluster;
use support::lab::osv_feed;
use support::operator::Operator;
use support::patchwarden;
use support::resources::{condition, feed, window_closed_now};

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: edge
  namespace: default
spec:
  exposure: Internet
  lab:
    hosts: 1
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: deadline
  namespace: default
spec:
  assetGroups: [edge]
  maintenanceWindows: [weekend]
  approval:
    minSeverity: Unknown
  sla:
    high: 30d
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: delay
  namespace: default
spec:
  assetGroups: [edge]
  maintenanceWindows: [weekend]
  approval:
    minSeverity: Unknown
    approveAfter: 7d
"#;

/// A CVSS v3.1 vector scoring 7.4 (High).
const HIGH_VECTOR: &str = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N";

/// The lab's feed with openssl's records published at `old` with a High vector, and every
/// other record published at `recent`.
fn redated(feed: &str, old: DateTime<Utc>, recent: DateTime<Utc>) -> String {
    let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut out = String::new();
    for line in feed.lines().filter(|l| !l.trim().is_empty()) {
        let mut record: Value = serde_json::from_str(line).expect("an OSV record");
        let openssl = record["affected"]
            .as_array()
            .is_some_and(|a| a.iter().any(|p| p["package"]["name"] == "openssl"));
        if openssl {
            record["published"] = Value::from(stamp(old));
            record["severity"] = serde_json::json!([{"type": "CVSS_V3", "score": HIGH_VECTOR}]);
        } else {
            record["published"] = Value::from(stamp(recent));
        }
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

/// The Events whose reason is `reason` about PatchPolicy `policy`.
fn policy_events(cluster: &Cluster, policy: &str, reason: &str) -> Vec<Value> {
    let events = cluster.get_json(&["events"]).unwrap_or(Value::Null);
    events["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|e| {
                    e["reason"] == reason
                        && e["involvedObject"]["kind"] == "PatchPolicy"
                        && e["involvedObject"]["name"] == policy
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sla_and_approval_delay_count_from_advisory_publication() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "sla", &[]);
    cluster.apply(&window_closed_now("weekend"));
    cluster.apply(RESOURCES);
    cluster.wait_for("the inventoried asset", Duration::from_secs(120), || {
        let list = cluster.get_json(&["assets"])?;
        let items = list["items"].as_array()?;
        (items.len() == 1 && items[0]["status"]["inventoryDigest"].is_string()).then_some(())
    });

    // Whole seconds: the feed's dates have no fractions.
    let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("now");
    let old = now - TimeDelta::days(40);
    let recent = now - TimeDelta::days(1);
    let lab_feed = std::fs::read_to_string(osv_feed(&cluster, "edge")).expect("lab OSV feed");
    let dated = cluster.path("osv-dated.jsonl");
    std::fs::write(&dated, redated(&lab_feed, old, recent)).expect("write the feed");
    cluster.apply(&feed("osv", "Osv", &dated));

    // The asset shows openssl's upgrades as High, published 40 days ago.
    let upgrades = cluster.wait_for("upgrades with dates", Duration::from_secs(120), || {
        let list = cluster.get_json(&["assets"])?;
        let asset = list["items"].as_array()?.first()?.clone();
        let upgrades = asset["status"]["upgrades"].as_array()?.clone();
        (!upgrades.is_empty()).then_some(upgrades)
    });
    let openssl: Vec<&Value> = upgrades
        .iter()
        .filter(|u| u["sourcePackage"] == "openssl" || u["package"] == "openssl")
        .collect();
    assert!(!openssl.is_empty(), "{upgrades:?}");
    for upgrade in &openssl {
        assert_eq!(upgrade["severity"], "High", "{upgrade}");
        assert_eq!(
            upgrade["published"].as_str(),
            Some(old.format("%Y-%m-%dT%H:%M:%SZ").to_string().as_str()),
            "{upgrade}"
        );
        assert_eq!(upgrade["security"], true, "{upgrade}");
    }

    // sla.high: 30d from 40 days ago has passed, and the only window is closed.
    let deadline = cluster.wait_for(
        "the deadline policy to report its asset out of SLA",
        Duration::from_secs(120),
        || {
            let policy = cluster.get_json(&["patchpolicy", "deadline"])?;
            (policy["status"]["assetsOutOfSla"].as_u64()? > 0).then_some(policy)
        },
    );
    let forecast = &deadline["status"]["slaForecasts"][0];
    assert_eq!(forecast["breached"], true, "{deadline}");
    let message = forecast["message"].as_str().expect("forecast message");
    assert!(
        message.contains("High SLA 30d from publication on")
            && message.contains(&old.format("%Y-%m-%d").to_string()),
        "{message}"
    );
    let table = cluster.kubectl(&["get", "patchpolicy", "deadline"]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or_default()
        .split("  ")
        .collect();
    assert!(table.contains("OUT OF SLA"), "{table}");
    let row = table.lines().nth(1).unwrap_or_default();
    assert!(
        row.split_whitespace().any(|cell| cell == "1"),
        "{header:?}\n{table}"
    );
    let breached = cluster.wait_for("a SlaBreached Event", Duration::from_secs(60), || {
        let events = policy_events(&cluster, "deadline", "SlaBreached");
        (!events.is_empty()).then_some(events)
    });
    let note = breached[0]["message"].as_str().unwrap_or_default();
    assert!(note.contains("breached on"), "{note}");
    assert_eq!(
        cluster
            .get_json(&["patchruns"])
            .and_then(|r| r["items"].as_array().map(Vec::len)),
        Some(0),
        "nothing runs out of window"
    );

    // approveAfter: 7d holds back what was published yesterday, and says until when.
    let approvable_from = (recent + TimeDelta::days(7))
        .format("%Y-%m-%d %H:%M UTC")
        .to_string();
    let delay = cluster.wait_for(
        "the delay policy to explain what it holds back",
        Duration::from_secs(120),
        || {
            let policy = cluster.get_json(&["patchpolicy", "delay"])?;
            let (_, _, message) = condition(&policy, "Compliant")?;
            message.contains("held back").then_some(policy)
        },
    );
    let (_, _, compliant) = condition(&delay, "Compliant").expect("Compliant");
    assert!(
        compliant.contains("is younger than approveAfter 1w")
            && compliant.contains(&format!("approvable from {approvable_from}")),
        "{compliant}"
    );
    let (_, _, ready) = condition(&delay, "Ready").expect("Ready");
    assert!(ready.contains(&approvable_from), "{ready}");

    // One Event per transition: a later reconcile of the still-breached policy adds none.
    let requested = Utc::now().to_rfc3339();
    cluster.kubectl(&[
        "annotate",
        "--overwrite",
        "patchpolicy",
        "deadline",
        &format!("reconcile.fluxcd.io/requestedAt={requested}"),
    ]);
    cluster.wait_for(
        "the reconcile request to be handled",
        Duration::from_secs(60),
        || {
            let policy = cluster.get_json(&["patchpolicy", "deadline"])?;
            (policy["status"]["lastHandledReconcileAt"] == requested.as_str()).then_some(())
        },
    );
    let events = policy_events(&cluster, "deadline", "SlaBreached");
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0]["count"].as_u64().unwrap_or(1) <= 1,
        "{:?}",
        events[0]
    );
}
