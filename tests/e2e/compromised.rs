//! End to end, a compromised asset: another system annotates an Asset
//! `patchwarden.io/compromised: "true"` with a reason; the Asset's risk rises into the
//! exploited band and its explanation names the report; a policy whose emergency rules include
//! `Compromised` starts a run out of window for that asset alone, with every approved fix.

use std::time::Duration;

use serde_json::Value;
use support::cluster::Cluster;
use support::lab::osv_feed;
use support::operator::Operator;
use support::patchwarden;
use support::resources::{feed, window_closed_now};

const GROUP: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: edge
  namespace: default
spec:
  exposure: Internal
  criticality: Low
  lab:
    hosts: 2
"#;

const POLICY: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: ir
  namespace: default
spec:
  assetGroups: [edge]
  maintenanceWindows: [weekend]
  emergency: [Compromised]
  approval:
    minSeverity: Unknown
"#;

const REASON: &str = "EDR alert 4711: reverse shell";

/// The assessed Assets (name → status), once both have a risk score.
fn assessed(cluster: &Cluster) -> Option<Vec<(String, Value)>> {
    let list = cluster.get_json(&["assets"])?;
    let items = list["items"].as_array()?;
    let assessed: Vec<(String, Value)> = items
        .iter()
        .filter(|a| a["status"]["findings"]["riskScore"].is_number())
        .map(|a| {
            let name = a["metadata"]["name"].as_str().unwrap_or_default();
            (name.to_string(), a["status"].clone())
        })
        .collect();
    (assessed.len() == 2).then_some(assessed)
}

#[test]
fn a_compromised_asset_is_riskier_explained_and_patched_out_of_window() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "compromised", &[]);
    cluster.apply(&window_closed_now("weekend"));
    cluster.apply(GROUP);
    cluster.wait_for("the lab's feed", Duration::from_secs(120), || {
        osv_feed(&cluster, "edge").exists().then_some(())
    });
    cluster.apply(&feed("osv", "Osv", &osv_feed(&cluster, "edge")));
    let before = cluster.wait_for("assessed assets", Duration::from_secs(180), || {
        assessed(&cluster)
    });
    let (name, status) = before.last().cloned().expect("two assets");
    let risk_before = status["findings"]["riskScore"].as_f64().expect("risk");
    assert!(risk_before < 50.0, "a low, internal lab host: {status}");

    cluster.kubectl(&[
        "annotate",
        "asset",
        &name,
        "patchwarden.io/compromised=true",
        &format!("patchwarden.io/compromised-reason={REASON}"),
    ]);
    let explained = format!("asset reported compromised ({REASON}), ");
    let status = cluster.wait_for("the raised risk", Duration::from_secs(60), || {
        let asset = cluster.get_json(&["asset", &name])?;
        let top = asset["status"]["findings"]["topRisks"]
            .as_array()?
            .first()?;
        top["explanation"]
            .as_str()?
            .starts_with(&explained)
            .then(|| asset["status"].clone())
    });
    let risk_after = status["findings"]["riskScore"].as_f64().expect("risk");
    assert_eq!(
        risk_after,
        ((50.0 + risk_before) * 10.0).round() / 10.0,
        "{status}"
    );
    // The other asset is not affected.
    let other = &before[0];
    let other_now = cluster.get_json(&["asset", &other.0]).expect("asset");
    assert_eq!(
        other_now["status"]["findings"]["riskScore"], other.1["findings"]["riskScore"],
        "{other_now}"
    );

    // The window is closed; the compromise starts a run for that asset alone.
    cluster.apply(POLICY);
    let run = cluster.wait_for("the Compromised run", Duration::from_secs(120), || {
        let runs = cluster.get_json(&["patchruns", "-l", "patchwarden.io/policy=ir"])?;
        runs["items"].as_array()?.first().cloned()
    });
    assert_eq!(run["spec"]["trigger"], "Compromised", "{run}");
    assert!(run["spec"]["window"].is_null(), "{run}");
    let planned: Vec<&str> = run["spec"]["assets"]
        .as_array()
        .expect("planned assets")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(planned, [name.as_str()], "{run}");
    let events = cluster.wait_for(
        "the EmergencyStarted Event",
        Duration::from_secs(30),
        || {
            let events = cluster.get_json(&["events"])?;
            let found: Vec<String> = events["items"]
                .as_array()?
                .iter()
                .filter(|e| {
                    e["reason"] == "EmergencyStarted" && e["involvedObject"]["name"] == "ir"
                })
                .filter_map(|e| e["message"].as_str().map(str::to_string))
                .collect();
            (!found.is_empty()).then_some(found)
        },
    );
    let expected = format!(
        "{name}: emergency (Compromised): the asset is reported compromised ({REASON}), patching starts out of window"
    );
    assert!(events[0].ends_with(&expected), "{events:?}");
}
