//! End to end, an EPSS rise: under an `EpssAbove` emergency policy with its window closed, a
//! finding scored below the threshold waits; when the EPSS feed's next refresh scores it above
//! the threshold, a run starts out of window carrying that finding's fix, and the policy
//! records the rise with the feed's date in its status and an `EpssRose` Event.

use std::path::Path;
use std::time::Duration;

use support::cluster::Cluster;
use support::lab::{lab_cve, osv_feed};
use support::operator::Operator;
use support::patchwarden;
use support::resources::{feed, window_closed_now};

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
  name: epss
  namespace: default
spec:
  assetGroups: [edge]
  maintenanceWindows: [weekend]
  emergency: [EpssAbove]
  emergencyThresholds:
    epss: 0.5
  approval:
    minSeverity: Unknown
"#;

/// An EPSS file of one day scoring `cve` with `probability`.
fn write_epss(path: &Path, date: &str, cve: &str, probability: f64) {
    let text = format!(
        "#model_version:v2025.03.14,score_date:{date}T00:00:00+0000\ncve,epss,percentile\n{cve},{probability},0.99\n"
    );
    std::fs::write(path, text).expect("write EPSS");
}

/// The EPSS score the Asset's status shows for `cve`.
fn shown_epss(cluster: &Cluster, cve: &str) -> Option<f64> {
    let assets = cluster.get_json(&["assets"])?;
    let asset = assets["items"].as_array()?.first()?.clone();
    asset["status"]["findings"]["topRisks"]
        .as_array()?
        .iter()
        .find(|risk| risk["id"] == cve)?["epss"]
        .as_f64()
}

/// The `EpssRose` Events of PatchPolicy `epss`.
fn rose_events(cluster: &Cluster) -> Vec<serde_json::Value> {
    let events = cluster.get_json(&["events"]).unwrap_or_default();
    events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["reason"] == "EpssRose" && e["involvedObject"]["name"] == "epss")
        .cloned()
        .collect()
}

fn epss_runs(cluster: &Cluster) -> Vec<serde_json::Value> {
    cluster
        .get_json(&["patchruns", "-l", "patchwarden.io/policy=epss"])
        .and_then(|runs| runs["items"].as_array().cloned())
        .unwrap_or_default()
}

#[test]
fn an_epss_rise_above_the_threshold_starts_a_run_out_of_window() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "epss", &[]);
    cluster.apply(&window_closed_now("weekend"));
    cluster.apply(RESOURCES);
    cluster.wait_for("an inventoried asset", Duration::from_secs(120), || {
        let assets = cluster.get_json(&["assets"])?;
        let asset = assets["items"].as_array()?.first()?.clone();
        asset["status"]["inventoryDigest"].is_string().then_some(())
    });
    let osv = osv_feed(&cluster, "edge");
    let cve = lab_cve(&cluster, "edge", "openssl");
    let epss_path = cluster.path("epss.csv");
    write_epss(&epss_path, "2026-12-01", &cve, 0.1);
    cluster.apply(&feed("osv", "Osv", &osv));
    cluster.apply(&format!(
        "{}  refreshInterval: 5s\n",
        feed("epss", "Epss", &epss_path)
    ));

    // Below the threshold: the score is shown, and no run starts.
    cluster.wait_for("the low EPSS score", Duration::from_secs(180), || {
        shown_epss(&cluster, &cve).filter(|p| (p - 0.1).abs() < 1e-6)
    });
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        epss_runs(&cluster).is_empty(),
        "a run started below the threshold"
    );
    assert!(
        rose_events(&cluster).is_empty(),
        "a rise below the threshold"
    );

    // The next day's feed scores the finding above the threshold.
    write_epss(&epss_path, "2026-12-02", &cve, 0.8);
    // The run and the policy's record of the rise (written by the reconcile that starts it).
    let (run, policy) =
        cluster.wait_for("the EPSS emergency run", Duration::from_secs(180), || {
            let run = epss_runs(&cluster).first().cloned()?;
            let policy = cluster.get_json(&["patchpolicy", "epss"])?;
            policy["status"]["epssRises"].as_array()?.first()?;
            Some((run, policy))
        });
    assert_eq!(run["spec"]["trigger"], "EpssAbove", "{run}");
    assert!(run["spec"]["window"].is_null(), "{run}");
    let fixes: Vec<&str> = run["spec"]["assets"]
        .as_array()
        .expect("planned assets")
        .iter()
        .flat_map(|a| a["packages"].as_array().into_iter().flatten())
        .flat_map(|p| p["fixes"].as_array().into_iter().flatten())
        .filter_map(|f| f.as_str())
        .collect();
    assert!(fixes.contains(&cve.as_str()), "{run}");

    // The rise is recorded with the feed's date, in the status and as an Event.
    let expected = format!("EPSS of {cve} rose to 0.8 on 2026-12-02 (feed date)");
    let rise = &policy["status"]["epssRises"][0];
    let message = rise["message"].as_str().unwrap_or_default();
    assert!(message.starts_with(&expected), "{policy}");
    assert_eq!(rise["feedDate"], "2026-12-02", "{policy}");
    assert_eq!(rise["finding"], cve.as_str(), "{policy}");
    let events = cluster.wait_for("the EpssRose Event", Duration::from_secs(30), || {
        Some(rose_events(&cluster)).filter(|events| !events.is_empty())
    });
    let note = events[0]["message"].as_str().unwrap_or_default();
    assert!(note.contains(&expected), "{note}");
}
