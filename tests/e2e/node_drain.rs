//! End to end, a Kubernetes node: `patchwarden up` with an AssetGroup whose `nodeSelector`
//! matches a Node the test creates, and `patchwarden agent` for that node inside a real Debian
//! 12 machine (a system container, see `support::debian_hosts`). The node runs a database pod
//! under a PodDisruptionBudget, a web pod of a two-replica Deployment and a DaemonSet pod.
//!
//! 1. While the budget allows no disruption, the policy's `DrainBlocked` condition names it
//!    and its pod (the drain preflight), the run cordons the node, cannot evict the database
//!    (the Eviction API answers 429), gives up after `drain.timeout` with `DrainBlocked`,
//!    installs nothing and uncordons the node: a blocked drain never leaves it cordoned.
//! 2. Once the budget allows one disruption, the condition clears, and a requested reconcile
//!    runs again: the pods are evicted (the DaemonSet pod stays), the agent upgrades the
//!    packages from the signed bookworm-security archive once each, and the node is uncordoned.

use std::time::{Duration, Instant};

use serde_json::Value;
use support::agent::{Agent, AgentLogin, AgentScene};
use support::cluster::take_turn;
use support::debian_hosts::DebianCache;
use support::namespace::in_private_namespace;
use support::patchwarden;
use support::resources::{condition, window_open_now};
use support::ssh_up::{FEED_PATH, upgrade_lines};
use support::up::Up;
use support::wait::poll;

const NODE: &str = "node-a";
const LOGIN: AgentLogin<'static> = AgentLogin {
    asset: NODE,
    token: "agent-node-a-7c1e4b9d20f35a86",
};

/// The node pool, the feed, the policy that drains and an open window.
fn resources() -> Vec<(&'static str, String)> {
    let group = "apiVersion: patchwarden.io/v1alpha1\nkind: AssetGroup\nmetadata:\n  name: blue-pool\n  namespace: default\nspec:\n  criticality: High\n  exposure: Internal\n  nodeSelector:\n    matchLabels:\n      pool: blue\n".to_string();
    let feed = format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: VulnerabilityFeed\nmetadata:\n  name: debian-osv\n  namespace: default\nspec:\n  format: Osv\n  source:\n    url: {FEED_PATH}\n  ecosystems: [\"Debian:12\"]\n"
    );
    let policy = "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata:\n  name: nodes\n  namespace: default\nspec:\n  assetGroups: [blue-pool]\n  maintenanceWindows: [always]\n  approval:\n    minSeverity: Unknown\n  rollout:\n    maxFailures: 0\n  reboot: Never\n  drain:\n    enabled: true\n    timeout: 20s\n".to_string();
    vec![
        ("group.yaml", group),
        ("feeds.yaml", feed),
        ("policies.yaml", policy),
        ("windows.yaml", window_open_now("always")),
    ]
}

/// A Ready pod on the node, controlled by `owner` (kind, name).
fn pod(name: &str, app: &str, owner: (&str, &str)) -> String {
    format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: default
  labels: {{app: {app}}}
  ownerReferences:
  - {{apiVersion: apps/v1, kind: {kind}, name: {owner}, uid: uid-{owner}, controller: true}}
spec:
  nodeName: {NODE}
  containers:
  - {{name: main, image: "{app}:1"}}
status:
  phase: Running
  conditions:
  - {{type: Ready, status: "True"}}
"#,
        kind = owner.0,
        owner = owner.1,
    )
}

/// The Node, what runs on it, and a budget that allows no disruption of the database.
fn workloads() -> String {
    let node = format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: {NODE}\n  labels:\n    pool: blue\nstatus:\n  conditions:\n  - {{type: Ready, status: \"True\"}}\n"
    );
    let deployment = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: main, image: "web:1"}
"#;
    let replica_set = r#"apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7f
  namespace: default
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: uid-web, controller: true}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: main, image: "web:1"}
"#;
    let budget = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: db\n  namespace: default\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app: db\n";
    [
        node,
        deployment.to_string(),
        replica_set.to_string(),
        budget.to_string(),
        pod("db-0", "db", ("StatefulSet", "db")),
        pod("web-7f-x2k9q", "web", ("ReplicaSet", "web-7f")),
        pod("agent-node-a", "agent", ("DaemonSet", "agent")),
    ]
    .join("---\n")
}

fn node_cordoned(up: &Up) -> Option<bool> {
    let node = up.get(&["node", NODE])?;
    Some(node["spec"]["unschedulable"] == true)
}

fn pod_names(up: &Up) -> Vec<String> {
    up.get(&["pods"])
        .and_then(|list| list["items"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|pod| pod["metadata"]["name"].as_str().map(str::to_string))
        .collect()
}

/// The policy's runs that finished, oldest first.
fn finished_runs(up: &Up) -> Vec<Value> {
    let mut runs: Vec<Value> = up
        .get(&["patchruns"])
        .and_then(|list| list["items"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|run| run["status"]["finishedAt"].is_string())
        .collect();
    runs.sort_by_key(|run| run["status"]["finishedAt"].as_str().map(str::to_string));
    runs
}

#[test]
fn a_node_is_drained_around_its_patch_and_a_blocked_drain_uncordons_it() {
    let _turn = take_turn();
    let cache = DebianCache::get();
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::a_node_is_drained_around_its_patch_and_a_blocked_drain_uncordons_it"
        ),
        Duration::from_secs(900),
    ) {
        return;
    }
    let started = Instant::now();
    let scene = AgentScene::start(&cache, LOGIN, &resources(), || patchwarden!());
    let (up, host) = (&scene.up, scene.host());
    let log = || scene.log();
    up.kubectl().ok_stdin(&["apply", "-f", "-"], &workloads());

    // The group makes the Node an Asset; its agent serves it from inside the machine.
    poll(Duration::from_secs(60), Duration::from_millis(500), || {
        up.get(&["asset", NODE])
    })
    .unwrap_or_else(|| panic!("no node Asset\n{}", log()));
    LOGIN.install(host, env!("CARGO_BIN_EXE_patchwarden-cli"), &scene.state);
    let _agent = Agent::start(host, NODE, &scene.agent_log());

    // 1. The preflight names the budget and its pod; the run's drain is blocked, gives up
    //    and uncordons the node.
    let (_, reason, message) = poll(Duration::from_secs(300), Duration::from_secs(1), || {
        let policy = up.get(&["patchpolicy", "nodes"])?;
        condition(&policy, "DrainBlocked").filter(|c| c.0 == "True")
    })
    .unwrap_or_else(|| {
        panic!(
            "no DrainBlocked condition: {:?}\n{}",
            up.get(&["patchpolicy", "nodes"]),
            log()
        )
    });
    assert_eq!(reason, "DrainPreflightFailed");
    assert_eq!(
        message,
        "draining node node-a would be blocked: PodDisruptionBudget default/db allows 0 disruptions (pods default/db-0)"
    );
    let cordoned = poll(Duration::from_secs(300), Duration::from_millis(200), || {
        node_cordoned(up).filter(|c| *c)
    });
    assert!(cordoned.is_some(), "the node was never cordoned\n{}", log());
    // While it drains, the run says when it expects to finish: its start plus the estimate
    // of its one wave (10 minutes before there is outcome history).
    let running = up
        .get(&["patchruns"])
        .and_then(|list| list["items"].as_array()?.first().cloned())
        .expect("the run");
    assert_eq!(
        running["spec"]["waves"][0]["estimatedDuration"], "10m",
        "{running}"
    );
    let started_at: chrono::DateTime<chrono::Utc> = running["status"]["startedAt"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not started: {running}"));
    assert_eq!(
        running["status"]["expectedFinishAt"].as_str(),
        Some(
            (started_at + chrono::Duration::minutes(10))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
                .as_str()
        ),
        "{running}"
    );
    let blocked = poll(Duration::from_secs(120), Duration::from_secs(1), || {
        finished_runs(up).into_iter().next()
    })
    .unwrap_or_else(|| panic!("the blocked run never finished\n{}", log()));
    assert_ne!(blocked["status"]["phase"], "Succeeded", "{blocked}");
    let result = blocked["status"]["assets"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        result.contains("DrainBlocked") && result.contains("node node-a uncordoned"),
        "{blocked}"
    );
    assert_eq!(node_cordoned(up), Some(false), "left cordoned");
    assert!(pod_names(up).contains(&"db-0".to_string()));
    assert!(
        upgrade_lines(&host.dpkg_log()).is_empty(),
        "installed despite the blocked drain"
    );

    // 2. With room in the budget the preflight clears, and a requested run drains, patches
    //    and uncordons.
    up.kubectl().ok(&[
        "patch",
        "pdb",
        "db",
        "--type=merge",
        "-p",
        r#"{"spec":{"minAvailable":0}}"#,
    ]);
    up.kubectl().ok(&[
        "annotate",
        "patchpolicy",
        "nodes",
        "--overwrite",
        "reconcile.fluxcd.io/requestedAt=after-the-budget-changed",
    ]);
    let patched = poll(Duration::from_secs(600), Duration::from_secs(2), || {
        finished_runs(up).into_iter().nth(1)
    })
    .unwrap_or_else(|| panic!("no second run: {:?}\n{}", up.get(&["patchruns"]), log()));
    assert_eq!(
        patched["status"]["phase"],
        "Succeeded",
        "{patched}\n{}",
        log()
    );
    let pods = pod_names(up);
    assert_eq!(pods, ["agent-node-a"], "evicted all but the DaemonSet pod");
    assert_eq!(node_cordoned(up), Some(false), "left cordoned");
    let lines = upgrade_lines(&host.dpkg_log());
    assert!(!lines.is_empty(), "nothing upgraded: {patched}");
    for (package, times) in &lines {
        assert_eq!(*times, 1, "{package} upgraded {times} times: {lines:?}");
    }
    let cleared = poll(Duration::from_secs(120), Duration::from_secs(1), || {
        let policy = up.get(&["patchpolicy", "nodes"])?;
        condition(&policy, "DrainBlocked").is_none().then_some(())
    });
    assert!(
        cleared.is_some(),
        "DrainBlocked stayed: {:?}",
        up.get(&["patchpolicy", "nodes"])
    );
    eprintln!("e2e of a drained node: {:?}", started.elapsed());
}
