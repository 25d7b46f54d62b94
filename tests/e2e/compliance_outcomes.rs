//! End to end, a compliance profile judged on outcomes. The lab's OSV feed is re-dated so that
//! openssl's advisories are Critical and were published 40 days (less an hour) ago; every
//! other advisory was published yesterday. A policy listing PCI-DSS-4.0-6.3.3 (critical and
//! high patches installed within one month of release) patches in the window open now: the
//! fix lands ten days after the one-month deadline, and `Compliant-PCI-DSS-4.0-6.3.3` is
//! False naming the asset, the CVE and the days late.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use support::cluster::Cluster;
use support::lab::osv_feed;
use support::operator::Operator;
use support::patchwarden;
use support::resources::{condition, feed, window_open_now};

const GROUP: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: cde
  namespace: default
spec:
  exposure: Internet
  lab:
    hosts: 1
"#;

const POLICY: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: pci
  namespace: default
spec:
  assetGroups: [cde]
  maintenanceWindows: [always]
  compliance: [PCI-DSS-4.0-6.3.3]
  approval:
    minSeverity: Unknown
  sla:
    critical: 30d
    high: 30d
"#;

const CONDITION: &str = "Compliant-PCI-DSS-4.0-6.3.3";

/// A CVSS v3.1 vector scoring 9.8 (Critical).
const CRITICAL_VECTOR: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

/// The lab's feed with openssl's records published at `old` with a Critical vector, and every
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
            record["severity"] = serde_json::json!([{"type": "CVSS_V3", "score": CRITICAL_VECTOR}]);
        } else {
            record["published"] = Value::from(stamp(recent));
        }
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

#[test]
fn a_critical_fix_installed_late_makes_pci_633_non_compliant_naming_asset_cve_and_days() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "compliance", &[]);
    cluster.apply(&window_open_now("always"));
    cluster.apply(GROUP);
    let asset = cluster.wait_for("the inventoried asset", Duration::from_secs(120), || {
        let list = cluster.get_json(&["assets"])?;
        let items = list["items"].as_array()?;
        let name = items.first()?["metadata"]["name"].as_str()?.to_string();
        (items.len() == 1 && items[0]["status"]["inventoryDigest"].is_string()).then_some(name)
    });

    // Whole seconds: the feed's dates have no fractions. An hour inside the 40th day, so the
    // fix a few minutes from now is 10 days (rounded up) past the one-month deadline.
    let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("now");
    let old = now - TimeDelta::days(40) + TimeDelta::hours(1);
    let recent = now - TimeDelta::days(1);
    let lab_feed = std::fs::read_to_string(osv_feed(&cluster, "cde")).expect("lab OSV feed");
    let dated = cluster.path("osv-dated.jsonl");
    std::fs::write(&dated, redated(&lab_feed, old, recent)).expect("write the feed");
    cluster.apply(&feed("osv", "Osv", &dated));
    cluster.wait_for(
        "openssl's upgrades as Critical",
        Duration::from_secs(120),
        || {
            let asset = cluster.get_json(&["asset", &asset])?;
            let upgrades = asset["status"]["upgrades"].as_array()?.clone();
            upgrades
                .iter()
                .any(|u| {
                    (u["sourcePackage"] == "openssl" || u["package"] == "openssl")
                        && u["severity"] == "Critical"
                })
                .then_some(())
        },
    );

    // Only now the policy: its run patches from the re-dated assessment.
    cluster.apply(POLICY);
    let run = cluster.wait_for("the run to succeed", Duration::from_secs(300), || {
        let runs = cluster.get_json(&["patchruns"])?;
        let run = runs["items"].as_array()?.first()?.clone();
        (run["status"]["phase"] == "Succeeded").then_some(run)
    });
    // The run recorded what each fix's deadline counts from.
    let openssl_findings: Vec<String> = run["spec"]["assets"][0]["packages"]
        .as_array()
        .expect("planned packages")
        .iter()
        .flat_map(|p| p["findings"].as_array().cloned().unwrap_or_default())
        .filter(|f| {
            f["severity"] == "Critical"
                && f["published"].as_str()
                    == Some(old.format("%Y-%m-%dT%H:%M:%SZ").to_string().as_str())
        })
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect();
    assert!(!openssl_findings.is_empty(), "{run}");
    let closed: Vec<&str> = run["status"]["assets"][0]["cvesClosed"]
        .as_array()
        .expect("closed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // The message lists the most days late first, then by asset and finding id.
    let cve = openssl_findings
        .iter()
        .filter(|id| closed.contains(&id.as_str()))
        .min()
        .expect("an openssl finding the run closed")
        .clone();

    let policy = cluster.wait_for(
        "the profile to judge the late fix",
        Duration::from_secs(120),
        || {
            let policy = cluster.get_json(&["patchpolicy", "pci"])?;
            let (_, _, message) = condition(&policy, CONDITION)?;
            message.contains("patched").then_some(policy)
        },
    );
    let (status, reason, message) = condition(&policy, CONDITION).expect("the condition");
    assert_eq!(status, "False", "{message}");
    assert_eq!(reason, "DeadlinesMissed", "{message}");
    assert!(
        message.contains(&format!("{asset} {cve} patched 10 day(s) late")),
        "{message}"
    );
    let entry = &policy["status"]["complianceProfiles"][0];
    assert_eq!(entry["profile"], "PCI-DSS-4.0-6.3.3", "{entry}");
    assert_eq!(entry["specViolations"], 0, "{entry}");
    assert!(entry["late"].as_u64() >= Some(1), "{entry}");
    assert!(
        entry["findingsInScope"].as_u64() >= entry["late"].as_u64(),
        "{entry}"
    );

    // `kubectl wait` reads the per-profile condition as it is.
    let waited = cluster.kubectl(&[
        "wait",
        "patchpolicy/pci",
        &format!("--for=condition={CONDITION}=False"),
        "--timeout=30s",
    ]);
    assert!(waited.contains("condition met"), "{waited}");

    // Dropping the profile removes its condition.
    cluster.kubectl(&[
        "patch",
        "patchpolicy",
        "pci",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/spec/compliance"}]"#,
    ]);
    cluster.wait_for("the condition to go", Duration::from_secs(60), || {
        let policy = cluster.get_json(&["patchpolicy", "pci"])?;
        condition(&policy, CONDITION).is_none().then_some(())
    });
}
