//! End to end, bad resources: a dangling reference, a window that never closes and a policy
//! whose node drain may take no time are `Stalled` with the exact reason and a message naming the field, and
//! the good resources beside them still reconcile.

use std::time::Duration;

use support::cluster::Cluster;
use support::operator::Operator;
use support::patchwarden;
use support::resources::{condition, window_open_now};

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: dangling
  namespace: default
spec:
  assetGroups: [ghost]
  maintenanceWindows: [always]
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: drains
  namespace: default
spec:
  assetGroups: [web]
  maintenanceWindows: [always]
  drain:
    enabled: true
    timeout: 0s
---
apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: never-closes
  namespace: default
spec:
  schedule: "0 * * * *"
  timeZone: UTC
  duration: 2h
---
apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: bad-zone
  namespace: default
spec:
  schedule: "0 2 * * *"
  timeZone: Mars/Olympus_Mons
  duration: 1h
---
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: web
  namespace: default
spec:
  lab:
    hosts: 2
"#;

#[test]
fn invalid_resources_stall_with_a_message_and_never_block_the_others() {
    let cluster = Cluster::start();
    // Agents must answer within 2 s, so a node with no agent shows as unreachable at once.
    let _operator = Operator::start(
        &cluster,
        patchwarden!(),
        "bad",
        &["--agent-query-timeout", "2"],
    );
    cluster.apply(&window_open_now("always"));
    cluster.apply(RESOURCES);

    let stalled = |kind: &str, name: &str| {
        cluster.wait_for(
            &format!("{kind}/{name} to stall"),
            Duration::from_secs(60),
            || {
                let object = cluster.get_json(&[kind, name])?;
                let stalled = condition(&object, "Stalled")?;
                (stalled.0 == "True").then_some((stalled, condition(&object, "Ready")))
            },
        )
    };
    let ((_, reason, message), ready) = stalled("patchpolicy", "dangling");
    assert_eq!(reason, "ReferenceNotFound");
    assert!(
        message.contains("spec.assetGroups[0]") && message.contains("ghost"),
        "{message}"
    );
    assert_eq!(ready.map(|r| r.0).as_deref(), Some("False"));

    let ((_, reason, message), _) = stalled("maintenancewindow", "never-closes");
    assert_eq!(reason, "InvalidSpec");
    assert_eq!(
        message,
        "spec.duration: duration 2h is at least as long as the time between occurrences of \"0 * * * *\": the window would never close"
    );

    let ((_, reason, message), _) = stalled("maintenancewindow", "bad-zone");
    assert_eq!(reason, "InvalidSpec");
    assert_eq!(
        message,
        "spec.timeZone: unknown time zone \"Mars/Olympus_Mons\"; use an IANA name such as \"Europe/Berlin\" or \"UTC\""
    );

    // A drain that may take no time would fail every node: refused, naming the field.
    let ((_, reason, message), _) = stalled("patchpolicy", "drains");
    assert_eq!(reason, "InvalidSpec");
    assert_eq!(message, "spec.drain.timeout: must be longer than 0s");

    // Good resources next to them reconcile normally.
    cluster.wait_for(
        "the good window to be Ready",
        Duration::from_secs(60),
        || {
            let window = cluster.get_json(&["maintenancewindow", "always"])?;
            (condition(&window, "Ready")?.0 == "True" && window["status"]["open"] == true)
                .then_some(())
        },
    );
    cluster.wait_for(
        "the good group to have its members",
        Duration::from_secs(120),
        || {
            let group = cluster.get_json(&["assetgroup", "web"])?;
            (group["status"]["memberCount"] == 2).then_some(())
        },
    );
    // A Kubernetes Node matched by a group's nodeSelector becomes a `node` Asset, patched
    // through the agent on that node; with no agent running there the Asset says so.
    cluster.apply("apiVersion: v1\nkind: Node\nmetadata:\n  name: node-a\n  labels:\n    pool: blue\n---\napiVersion: patchwarden.io/v1alpha1\nkind: AssetGroup\nmetadata:\n  name: blue-pool\n  namespace: default\nspec:\n  nodeSelector:\n    matchLabels:\n      pool: blue\n",
    );
    let (_, reason, message) = cluster.wait_for(
        "the node Asset to be unreachable",
        Duration::from_secs(60),
        || {
            let asset = cluster.get_json(&["asset", "node-a"])?;
            condition(&asset, "Ready").filter(|ready| ready.1 == "Unreachable")
        },
    );
    assert_eq!(reason, "Unreachable");
    assert!(
        message.contains("no answer to") && message.contains("the agent is not running or lost"),
        "{message}"
    );
    let node_asset = cluster.get_json(&["asset", "node-a"]).expect("node asset");
    assert_eq!(node_asset["spec"]["connection"], "node");

    // A feed whose content does not match its expected digest is not loaded.
    let feed_file = cluster.path("feed.jsonl");
    std::fs::write(&feed_file, "").expect("feed file");
    cluster.apply(&format!(
            "apiVersion: patchwarden.io/v1alpha1\nkind: VulnerabilityFeed\nmetadata:\n  name: tampered\n  namespace: default\nspec:\n  format: Osv\n  digest: sha256:{}\n  source:\n    url: {}\n",
            "0".repeat(64),
            feed_file.display()
        ),
    );
    let (_, reason, message) = cluster.wait_for(
        "the feed to report a digest mismatch",
        Duration::from_secs(60),
        || {
            let feed = cluster.get_json(&["vulnerabilityfeed", "tampered"])?;
            condition(&feed, "Ready").filter(|r| r.0 == "False")
        },
    );
    assert_eq!(reason, "DigestMismatch");
    assert!(
        message.contains("expected") && message.contains(&"0".repeat(64)),
        "{message}"
    );

    // kstatus reads Stalled=True as Failed; the policy's observedGeneration is current.
    let policy = cluster
        .get_json(&["patchpolicy", "dangling"])
        .expect("policy");
    assert_eq!(
        policy["status"]["observedGeneration"],
        policy["metadata"]["generation"]
    );
}
