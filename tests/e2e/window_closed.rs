//! End to end, a closed window: nothing is touched by the standard policy, whose status shows
//! the next window; a KEV-listed finding under a `KnownExploited` emergency policy is patched
//! out of window, and nothing else is.

use std::collections::BTreeMap;
use std::time::Duration;

use support::cluster::Cluster;
use support::lab::{apply_feeds_with_openssl_in_kev, dpkg_versions, host_root};
use support::operator::Operator;
use support::patchwarden;
use support::resources::{condition, window_closed_now};

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: edge
  namespace: default
spec:
  exposure: Internet
  lab:
    hosts: 3
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: standard
  namespace: default
spec:
  assetGroups: [edge]
  maintenanceWindows: [weekend]
  approval:
    minSeverity: Unknown
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: kev
  namespace: default
spec:
  assetGroups: [edge]
  maintenanceWindows: [weekend]
  emergency: [KnownExploited]
  approval:
    minSeverity: Unknown
  rollout:
    canary: 1
    maxUnavailable: 2
"#;

#[test]
fn closed_window_holds_everything_but_a_known_exploited_fix() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "closed", &[]);
    cluster.apply(&window_closed_now("weekend"));
    cluster.apply(RESOURCES);
    let hosts = cluster.wait_for("inventoried assets", Duration::from_secs(120), || {
        let list = cluster.get_json(&["assets"])?;
        let items = list["items"].as_array()?.clone();
        (items.len() == 3
            && items
                .iter()
                .all(|a| a["status"]["inventoryDigest"].is_string()))
        .then(|| {
            items
                .iter()
                .map(|a| {
                    a["spec"]["address"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect::<Vec<_>>()
        })
    });
    let root_of = |host: &str| host_root(&cluster, "edge", host);
    let before: BTreeMap<String, _> = hosts
        .iter()
        .map(|h| (h.clone(), dpkg_versions(&root_of(h))))
        .collect();

    // Feeds: the lab's OSV advisories, and a KEV catalog listing one openssl CVE.
    let cve = apply_feeds_with_openssl_in_kev(&cluster, "edge");

    let run = cluster.wait_for(
        "the emergency run to succeed",
        Duration::from_secs(300),
        || {
            let runs = cluster.get_json(&["patchruns", "-l", "patchwarden.io/policy=kev"])?;
            let run = runs["items"].as_array()?.first()?.clone();
            (run["status"]["phase"] == "Succeeded").then_some(run)
        },
    );
    assert_eq!(run["spec"]["trigger"], "KnownExploited");
    assert!(run["spec"]["window"].is_null(), "{run}");
    let planned = run["spec"]["assets"].as_array().expect("planned");
    assert_eq!(planned.len(), 3);
    let mut patched: BTreeMap<String, String> = BTreeMap::new();
    for asset in planned {
        for package in asset["packages"].as_array().expect("packages") {
            let fixes: Vec<&str> = package["fixes"]
                .as_array()
                .expect("fixes")
                .iter()
                .filter_map(|f| f.as_str())
                .collect();
            assert!(
                fixes.contains(&cve.as_str()),
                "only KEV fixes are planned: {package}"
            );
            patched.insert(
                package["name"].as_str().expect("name").to_string(),
                package["to"].as_str().expect("to").to_string(),
            );
        }
    }
    // Only the KEV package changed on every host.
    for host in &hosts {
        let after = dpkg_versions(&root_of(host));
        for (package, (version, state)) in &after {
            match patched.get(package) {
                Some(to) => assert_eq!(version, to, "{host} {package}"),
                None => assert_eq!(
                    Some(&(version.clone(), state.clone())),
                    before[host].get(package),
                    "{host} {package} changed"
                ),
            }
        }
    }
    // The standard policy touched nothing and says when it will act.
    let standard = cluster.wait_for(
        "the standard policy to wait for its window",
        Duration::from_secs(60),
        || {
            let policy = cluster.get_json(&["patchpolicy", "standard"])?;
            let ready = condition(&policy, "Ready")?;
            (ready.1 == "WaitingForWindow").then_some(policy)
        },
    );
    assert_eq!(
        standard["status"]["nextWindow"]["name"], "weekend",
        "{standard}"
    );
    let (compliant, _, _) = condition(&standard, "Compliant").expect("Compliant");
    assert_eq!(compliant, "False");
    let runs = cluster
        .get_json(&["patchruns", "-l", "patchwarden.io/policy=standard"])
        .expect("runs");
    assert_eq!(
        runs["items"].as_array().map(Vec::len),
        Some(0),
        "the standard policy ran out of window"
    );
}
