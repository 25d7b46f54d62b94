//! Argo CD's health (the chart's Lua script, in a real interpreter) and Flux's kstatus rules,
//! over the statuses the controllers write in a real run: a lab fleet patched by a PatchPolicy
//! (Progressing, then Healthy), a suspended policy (Suspended), a feed whose file is missing
//! (Ready=False: Degraded) and an SSH Asset whose Secret is missing (Stalled: Degraded, Failed).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cluster::Cluster;
use support::lab::apply_with_open_window;
use support::operator::Operator;
use support::patchwarden;

use crate::kstatus::{KStatus, compute};
use crate::lua::{Health, argocd_health};

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: app
  namespace: default
spec:
  lab:
    hosts: 2
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: active
  namespace: default
spec:
  assetGroups: [app]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
  rollout:
    canary: 1
    maxUnavailable: 1
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: paused
  namespace: default
spec:
  suspend: true
  assetGroups: [app]
  maintenanceWindows: [always]
---
apiVersion: patchwarden.io/v1alpha1
kind: VulnerabilityFeed
metadata:
  name: missing
  namespace: default
spec:
  format: Osv
  source:
    url: /nonexistent/osv.json
---
apiVersion: patchwarden.io/v1alpha1
kind: Asset
metadata:
  name: remote
  namespace: default
spec:
  connection: ssh
  address: 127.0.0.1
  credentialsRef:
    name: nowhere
"#;

/// Every distinct status an object showed, keyed by `Kind/name`, in the order seen.
type Seen = BTreeMap<String, Vec<Value>>;

fn record(seen: &mut Seen, items: &[Value]) {
    for item in items {
        let key = format!(
            "{}/{}",
            item["kind"].as_str().unwrap_or("?"),
            item["metadata"]["name"].as_str().unwrap_or("?")
        );
        // Only what the health rules read: generation, spec.suspend and the status.
        let snapshot = serde_json::json!({
            "kind": item["kind"],
            "metadata": {"name": item["metadata"]["name"], "generation": item["metadata"]["generation"]},
            "spec": {"suspend": item["spec"]["suspend"]},
            "status": {"observedGeneration": item["status"]["observedGeneration"],
                       "conditions": item["status"]["conditions"]},
        });
        let statuses = seen.entry(key).or_default();
        if statuses.last() != Some(&snapshot) {
            statuses.push(snapshot);
        }
    }
}

fn run_succeeded(items: &[Value]) -> bool {
    items
        .iter()
        .any(|i| i["kind"] == "PatchRun" && i["status"]["phase"] == "Succeeded")
}

/// Runs the fleet until the policy's run succeeded, recording every status on the way.
fn statuses_of_a_real_run() -> Seen {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "health", &[]);
    apply_with_open_window(&cluster, RESOURCES, "app");
    let mut seen = Seen::new();
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut settled_polls = 0;
    while settled_polls < 5 {
        assert!(
            Instant::now() < deadline,
            "the run did not succeed in time: {seen:#?}"
        );
        let list = cluster.get_json(&["patchwarden"]).unwrap_or(Value::Null);
        let items = list["items"].as_array().cloned().unwrap_or_default();
        record(&mut seen, &items);
        if run_succeeded(&items) {
            settled_polls += 1;
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    seen
}

#[test]
fn argocd_health_and_kstatus_agree_on_the_statuses_of_a_real_run() {
    let seen = statuses_of_a_real_run();
    let objects: Vec<(String, Value)> = seen
        .iter()
        .flat_map(|(key, statuses)| statuses.iter().map(move |s| (key.clone(), s.clone())))
        .collect();
    let values: Vec<Value> = objects.iter().map(|(_, v)| v.clone()).collect();
    let health = argocd_health(&values);
    let verdicts: Vec<(String, String, KStatus, Value)> = objects
        .iter()
        .zip(&health)
        .map(|((key, object), Health { status, .. })| {
            (key.clone(), status.clone(), compute(object), object.clone())
        })
        .collect();
    for (key, lua, kstatus, object) in &verdicts {
        // The two agree wherever both can tell: Healthy is Current; Stalled fails both.
        match lua.as_str() {
            "Healthy" => assert_eq!(*kstatus, KStatus::Current, "{key}: {object}"),
            "Progressing" | "Degraded" | "Suspended" => {}
            other => panic!("{key}: unexpected health {other}"),
        }
        if *kstatus == KStatus::Failed {
            assert_eq!(lua, "Degraded", "{key}: {object}");
        }
    }
    let final_health = |key: &str| {
        verdicts
            .iter()
            .rev()
            .find(|(k, ..)| k == key)
            .map(|(_, lua, kstatus, _)| (lua.as_str(), *kstatus))
            .unwrap_or_else(|| panic!("{key} seen: {:?}", seen.keys()))
    };
    assert_eq!(final_health("PatchPolicy/paused").0, "Suspended");
    assert_eq!(
        final_health("VulnerabilityFeed/missing"),
        ("Degraded", KStatus::InProgress)
    );
    assert_eq!(final_health("Asset/remote"), ("Degraded", KStatus::Failed));
    assert_eq!(
        final_health("MaintenanceWindow/always"),
        ("Healthy", KStatus::Current)
    );
    let run_key = seen
        .keys()
        .find(|k| k.starts_with("PatchRun/"))
        .expect("a PatchRun")
        .clone();
    assert_eq!(final_health(&run_key), ("Healthy", KStatus::Current));
    let run_was_progressing = verdicts.iter().any(|(k, lua, kstatus, _)| {
        *k == run_key && lua == "Progressing" && *kstatus == KStatus::InProgress
    });
    assert!(
        run_was_progressing,
        "the run showed Progressing/InProgress: {:#?}",
        seen[&run_key]
    );
}

#[test]
fn a_spec_not_yet_observed_is_progressing_for_both() {
    let object = serde_json::json!({
        "metadata": {"name": "w", "generation": 3},
        "spec": {},
        "status": {"observedGeneration": 2,
                   "conditions": [{"type": "Ready", "status": "True", "message": "ok"}]},
    });
    let health = argocd_health(std::slice::from_ref(&object));
    assert_eq!(health[0].status, "Progressing");
    assert_eq!(compute(&object), KStatus::InProgress);
}

#[test]
fn a_suspended_object_whose_spec_cannot_work_is_degraded_and_failed() {
    let stalled = serde_json::json!({
        "metadata": {"name": "paused", "generation": 1},
        "spec": {"suspend": true},
        "status": {"observedGeneration": 1, "conditions": [
            {"type": "Stalled", "status": "True", "reason": "ReferenceNotFound",
             "message": "spec.maintenanceWindows[0]: MaintenanceWindow \"always\" does not exist"},
            {"type": "Ready", "status": "False", "reason": "ReferenceNotFound", "message": "x"},
        ]},
    });
    let mut resolved = stalled.clone();
    resolved["status"]["conditions"] = serde_json::json!([
        {"type": "Ready", "status": "True", "reason": "Suspended", "message": "suspended"},
    ]);
    let health = argocd_health(&[stalled.clone(), resolved.clone()]);
    assert_eq!(
        (health[0].status.as_str(), compute(&stalled)),
        ("Degraded", KStatus::Failed)
    );
    assert!(
        health[0].message.contains("does not exist"),
        "{:?}",
        health[0].message
    );
    assert_eq!(health[1].status, "Suspended");
}
