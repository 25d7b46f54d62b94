//! Node maintenance through the real kubectl: `cordon`/`uncordon` patch `spec.unschedulable`,
//! and `drain --ignore-daemonsets` finds the node's pods by `spec.nodeName`, skips the
//! DaemonSet's pod and evicts the rest through `pods/eviction`, which answers 429 while the
//! PodDisruptionBudget allows no disruption; raw requests show the 429 Status itself.

use support::cluster::TestServer;
use support::http::{json_body, raw_request};

const NODE: &str = "apiVersion: v1
kind: Node
metadata: {name: node-a}
status:
  conditions: [{type: Ready, status: 'True'}]
";

/// A Ready, Running pod on `node` with its controller.
fn pod(name: &str, node: &str, app: &str, owner: (&str, &str)) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: shop
  labels: {{app: {app}}}
  ownerReferences:
  - {{apiVersion: apps/v1, kind: {kind}, name: {owner}, uid: 6a4f0b2e-0000-4000-8000-00000000000{n}, controller: true}}
spec:
  nodeName: {node}
  containers: [{{name: main, image: registry.example/{app}:1}}]
status:
  phase: Running
  conditions: [{{type: Ready, status: 'True'}}]
---
",
        kind = owner.0,
        owner = owner.1,
        n = name.len() % 10,
    )
}

fn budget(min_available: u32) -> String {
    format!(
        "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web, namespace: shop}}
spec:
  minAvailable: {min_available}
  selector: {{matchLabels: {{app: web}}}}
"
    )
}

fn workload() -> String {
    let mut yaml = String::from(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
         apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: fluentd, namespace: shop}\n\
         spec:\n  selector: {matchLabels: {app: fluentd}}\n  template:\n    metadata: {labels: {app: fluentd}}\n    spec: {containers: [{name: f, image: registry.example/fluentd:1}]}\n---\n",
    );
    yaml += &pod("web-1", "node-a", "web", ("ReplicaSet", "web-7f"));
    yaml += &pod("web-2", "node-a", "web", ("ReplicaSet", "web-7f"));
    yaml += &pod("web-3", "node-b", "web", ("ReplicaSet", "web-7f"));
    yaml += &pod("fluentd-a", "node-a", "fluentd", ("DaemonSet", "fluentd"));
    yaml
}

fn pod_names(k: &support::kubectl::Kubectl) -> String {
    k.ok(&[
        "get",
        "pods",
        "-n",
        "shop",
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ])
}

#[test]
fn kubectl_cordons_and_drains_a_node_through_evictions_that_respect_the_budget() {
    let server = TestServer::start();
    let k = server.kubectl();
    k.apply(NODE);
    k.apply(&workload());
    k.apply(&budget(2));

    let out = k.ok(&["cordon", "node-a"]);
    assert!(out.contains("node/node-a cordoned"), "{out}");
    let unschedulable = [
        "get",
        "node",
        "node-a",
        "-o",
        "jsonpath={.spec.unschedulable}",
    ];
    assert_eq!(k.ok(&unschedulable), "true");
    let out = k.ok(&["uncordon", "node-a"]);
    assert!(out.contains("node/node-a uncordoned"), "{out}");
    assert_eq!(k.ok(&unschedulable), "");

    // Three healthy web pods and minAvailable 2: one eviction fits, the second is refused
    // until the drain's timeout; the node stays cordoned as kubectl leaves it.
    let out = k.fails(&["drain", "node-a", "--ignore-daemonsets", "--timeout=7s"]);
    assert!(
        out.contains("Cannot evict pod as it would violate the pod's disruption budget"),
        "{out}"
    );
    assert!(
        out.contains("ignoring DaemonSet-managed Pods: shop/fluentd-a"),
        "{out}"
    );
    assert_eq!(k.ok(&unschedulable), "true");
    let left = pod_names(&k);
    assert!(
        left.contains("web-3") && left.contains("fluentd-a"),
        "{left}"
    );
    assert_eq!(
        ["web-1", "web-2"]
            .iter()
            .filter(|p| left.contains(*p))
            .count(),
        1,
        "exactly one of the node's web pods was evicted: {left}"
    );

    // With room in the budget the drain finishes; the DaemonSet's pod stays.
    k.apply(&budget(1));
    let out = k.ok(&["drain", "node-a", "--ignore-daemonsets", "--timeout=20s"]);
    assert!(
        out.contains("evicted") && out.contains("node/node-a drained"),
        "{out}"
    );
    assert_eq!(pod_names(&k), "fluentd-a web-3");
    k.ok(&["uncordon", "node-a"]);
    assert_eq!(k.ok(&unschedulable), "");
}

#[test]
fn an_eviction_the_budget_refuses_is_429_and_an_allowed_one_deletes_the_pod() {
    let server = TestServer::start();
    let k = server.kubectl();
    k.apply(&workload());
    k.apply(&budget(3));
    let addr = server.addr();
    let evict = |pod: &str| {
        let path = format!("/api/v1/namespaces/shop/pods/{pod}/eviction");
        let body = format!(
            r#"{{"apiVersion":"policy/v1","kind":"Eviction","metadata":{{"name":"{pod}","namespace":"shop"}},"deleteOptions":{{"gracePeriodSeconds":30}}}}"#
        );
        let (code, _, body) = raw_request(
            addr,
            "POST",
            &path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        (code, json_body(&body))
    };
    let (code, status) = evict("web-1");
    assert_eq!(code, 429, "{status}");
    assert_eq!(status["reason"], "TooManyRequests");
    assert_eq!(
        status["message"],
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    assert_eq!(
        status["details"]["causes"][0]["message"],
        "The disruption budget web needs 3 healthy pods and has 3 currently"
    );
    assert!(pod_names(&k).contains("web-1"));

    k.apply(&budget(2));
    let (code, status) = evict("web-1");
    assert_eq!(
        (code, &status["status"]),
        (201, &"Success".into()),
        "{status}"
    );
    assert!(!pod_names(&k).contains("web-1"));
    // Now two healthy pods are left for minAvailable 2: the next one is refused.
    assert_eq!(evict("web-2").0, 429);
    // A pod that does not exist is 404; the eviction URL takes no GET.
    assert_eq!(evict("web-9").0, 404);
    let (code, _, _) = raw_request(
        addr,
        "GET",
        "/api/v1/namespaces/shop/pods/web-2/eviction",
        &[],
        b"",
    );
    assert_eq!(code, 405);
}
