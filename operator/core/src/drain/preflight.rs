//! The drain preflight: before a window opens, name what would keep the nodes it patches from
//! draining, so a blocked drain is visible in the policy's status and in `plan` instead of
//! surfacing as a timeout mid-window.
//!
//! Three blockers: a PodDisruptionBudget that allows no disruption now (the drain would wait
//! for it until its timeout), a Deployment of one replica with no budget (draining takes the
//! service down), and a pod with no controller (evicting it deletes it for good).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use patchwarden_k8s_rules::disruption::{budget_selects, budget_state};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::pods::{PodRef, Refusal, controller_of, skip_reason};

/// The objects the preflight reads, as listed from the cluster (and kept in a `plan` state
/// file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClusterSnapshot {
    pub pods: Vec<Value>,
    pub disruption_budgets: Vec<Value>,
    pub replica_sets: Vec<Value>,
    pub deployments: Vec<Value>,
}

/// Something that would block draining the nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// A budget covering pods on the nodes allows no disruption.
    BudgetAllowsNone { budget: PodRef, pods: Vec<PodRef> },
    /// A budget that cannot be evaluated (an eviction of its pods would be refused too).
    InvalidBudget { budget: PodRef, reason: String },
    /// A Deployment of one replica, with no budget, has its pod on the nodes.
    SingleReplicaWithoutBudget {
        deployment: PodRef,
        pods: Vec<PodRef>,
    },
    /// A pod on the nodes that no controller recreates.
    Unmanaged { pod: PodRef },
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::BudgetAllowsNone { budget, pods } => write!(
                f,
                "PodDisruptionBudget {budget} allows 0 disruptions (pods {})",
                join(pods)
            ),
            Blocker::InvalidBudget { budget, reason } => {
                write!(
                    f,
                    "PodDisruptionBudget {budget} cannot be evaluated: {reason}"
                )
            }
            Blocker::SingleReplicaWithoutBudget { deployment, pods } => write!(
                f,
                "Deployment {deployment} has 1 replica and no PodDisruptionBudget (pod {})",
                join(pods)
            ),
            Blocker::Unmanaged { pod } => write!(f, "pod {pod} {}", Refusal::NoController),
        }
    }
}

fn join(pods: &[PodRef]) -> String {
    pods.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Blockers named in one message; the rest are counted (a condition message is read by a
/// person, and a cluster-wide problem could name thousands of pods).
pub const MAX_NAMED_BLOCKERS: usize = 10;

/// One line naming the nodes and the blockers, for the `DrainBlocked` condition and `plan`.
pub fn blocked_message(nodes: &BTreeSet<String>, blockers: &[Blocker]) -> String {
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let mut named: Vec<String> = blockers
        .iter()
        .take(MAX_NAMED_BLOCKERS)
        .map(ToString::to_string)
        .collect();
    if blockers.len() > MAX_NAMED_BLOCKERS {
        named.push(format!("and {} more", blockers.len() - MAX_NAMED_BLOCKERS));
    }
    format!(
        "draining node{} {} would be blocked: {}",
        if nodes.len() == 1 { "" } else { "s" },
        nodes.join(", "),
        named.join("; ")
    )
}

/// Why draining `nodes` would be blocked (see [`blocked_message`]), or `None` when nothing
/// blocks it.
pub fn drain_verdict(snapshot: &ClusterSnapshot, nodes: &BTreeSet<String>) -> Option<String> {
    let blockers = drain_blockers(snapshot, nodes);
    (!blockers.is_empty()).then(|| blocked_message(nodes, &blockers))
}

/// The blockers for draining `nodes`, in a stable order.
pub fn drain_blockers(snapshot: &ClusterSnapshot, nodes: &BTreeSet<String>) -> Vec<Blocker> {
    let drained: Vec<&Value> = snapshot
        .pods
        .iter()
        .filter(|pod| {
            pod["spec"]["nodeName"]
                .as_str()
                .is_some_and(|n| nodes.contains(n))
        })
        .filter(|pod| skip_reason(pod).is_none())
        .collect();
    let mut blockers = budget_blockers(snapshot, &drained);
    blockers.extend(single_replica_blockers(snapshot, &drained));
    // Only the controller check blocks whatever the policy says: the emptyDir refusal depends
    // on the policy's `deleteEmptyDirData`, not on the cluster.
    blockers.extend(
        drained
            .iter()
            .filter(|pod| controller_of(pod).is_none())
            .map(|pod| Blocker::Unmanaged {
                pod: PodRef::of(pod),
            }),
    );
    blockers
}

fn budget_blockers(snapshot: &ClusterSnapshot, drained: &[&Value]) -> Vec<Blocker> {
    let mut blockers = Vec::new();
    for budget in &snapshot.disruption_budgets {
        let covered: Vec<PodRef> = drained
            .iter()
            .filter(|pod| budget_selects(budget, pod).unwrap_or(true))
            .map(|pod| PodRef::of(pod))
            .collect();
        if covered.is_empty() {
            continue;
        }
        match budget_state(budget, &snapshot.pods) {
            Ok(state) if state.disruptions_allowed == 0 => {
                blockers.push(Blocker::BudgetAllowsNone {
                    budget: PodRef::of(budget),
                    pods: covered,
                })
            }
            Ok(_) => {}
            Err(error) => blockers.push(Blocker::InvalidBudget {
                budget: PodRef::of(budget),
                reason: error.to_string(),
            }),
        }
    }
    blockers
}

fn single_replica_blockers(snapshot: &ClusterSnapshot, drained: &[&Value]) -> Vec<Blocker> {
    let deployment_of_replica_set: BTreeMap<(String, String), String> = snapshot
        .replica_sets
        .iter()
        .filter_map(|rs| {
            let (kind, deployment) = controller_of(rs)?;
            let rs_ref = PodRef::of(rs);
            (kind == "Deployment").then(|| ((rs_ref.namespace, rs_ref.name), deployment.to_owned()))
        })
        .collect();
    let mut pods_of_deployment: BTreeMap<PodRef, Vec<PodRef>> = BTreeMap::new();
    for pod in drained {
        let pod_ref = PodRef::of(pod);
        let Some(("ReplicaSet", rs)) = controller_of(pod) else {
            continue;
        };
        let key = (pod_ref.namespace.clone(), rs.to_owned());
        if let Some(deployment) = deployment_of_replica_set.get(&key) {
            let deployment = PodRef {
                namespace: pod_ref.namespace.clone(),
                name: deployment.clone(),
            };
            pods_of_deployment
                .entry(deployment)
                .or_default()
                .push(pod_ref);
        }
    }
    let mut blockers = Vec::new();
    for deployment in &snapshot.deployments {
        let deployment_ref = PodRef::of(deployment);
        let Some(pods) = pods_of_deployment.get(&deployment_ref) else {
            continue;
        };
        let single = deployment["spec"]["replicas"].as_u64().unwrap_or(1) == 1;
        if single && !has_budget(snapshot, drained, pods) {
            blockers.push(Blocker::SingleReplicaWithoutBudget {
                deployment: deployment_ref,
                pods: pods.clone(),
            });
        }
    }
    blockers
}

fn has_budget(snapshot: &ClusterSnapshot, drained: &[&Value], pods: &[PodRef]) -> bool {
    drained
        .iter()
        .filter(|pod| pods.contains(&PodRef::of(pod)))
        .any(|pod| {
            snapshot
                .disruption_budgets
                .iter()
                .any(|budget| budget_selects(budget, pod).unwrap_or(false))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::pods::tests::pod;
    use super::*;

    fn nodes() -> BTreeSet<String> {
        BTreeSet::from(["node-a".to_owned()])
    }

    fn owned(kind: &str, name: &str, owner: (&str, &str), replicas: u64) -> Value {
        json!({
            "kind": kind,
            "metadata": {"name": name, "namespace": "shop",
                         "ownerReferences": [{"kind": owner.0, "name": owner.1, "controller": true}]},
            "spec": {"replicas": replicas}
        })
    }

    fn budget(name: &str, app: &str, min_available: u64) -> Value {
        json!({"metadata": {"name": name, "namespace": "shop"},
               "spec": {"minAvailable": min_available,
                        "selector": {"matchLabels": {"app": app}}}})
    }

    fn snapshot() -> ClusterSnapshot {
        ClusterSnapshot {
            pods: vec![
                pod("api", Some(("ReplicaSet", "api-7f"))),
                pod("db", Some(("StatefulSet", "db"))),
                pod("debug", None),
                pod("fluentd", Some(("DaemonSet", "fluentd"))),
            ],
            disruption_budgets: vec![budget("db", "db", 1)],
            replica_sets: vec![owned("ReplicaSet", "api-7f", ("Deployment", "api"), 1)],
            deployments: vec![json!({"metadata": {"name": "api", "namespace": "shop"},
                                     "spec": {"replicas": 1}})],
        }
    }

    #[test]
    fn names_each_blocker_with_its_pods() {
        let blockers = drain_blockers(&snapshot(), &nodes());
        let lines: Vec<String> = blockers.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "PodDisruptionBudget shop/db allows 0 disruptions (pods shop/db)",
                "Deployment shop/api has 1 replica and no PodDisruptionBudget (pod shop/api)",
                "pod shop/debug has no controller, so evicting it would delete it for good",
            ]
        );
    }

    #[test]
    fn a_budget_with_room_and_a_covered_deployment_block_nothing() {
        let mut snapshot = snapshot();
        snapshot.pods.retain(|p| p["metadata"]["name"] != "debug");
        snapshot.pods.push(pod("db-2", Some(("StatefulSet", "db"))));
        snapshot.pods[3]["metadata"]["labels"]["app"] = json!("db");
        snapshot.disruption_budgets.push(budget("api", "api", 0));
        assert_eq!(drain_blockers(&snapshot, &nodes()), []);
    }

    #[test]
    fn the_message_names_the_nodes_and_at_most_ten_blockers() {
        let blockers = drain_blockers(&snapshot(), &nodes());
        assert_eq!(
            blocked_message(&nodes(), &blockers[..1]),
            "draining node node-a would be blocked: PodDisruptionBudget shop/db allows 0 disruptions (pods shop/db)"
        );
        let many: Vec<Blocker> = (0..13)
            .map(|i| Blocker::Unmanaged {
                pod: PodRef {
                    namespace: "shop".into(),
                    name: format!("debug-{i}"),
                },
            })
            .collect();
        let two = BTreeSet::from(["node-a".to_owned(), "node-b".to_owned()]);
        let message = blocked_message(&two, &many);
        assert!(
            message.starts_with(
                "draining nodes node-a, node-b would be blocked: pod shop/debug-0 has no controller"
            ),
            "{message}"
        );
        assert!(
            message.contains("shop/debug-9 ") && !message.contains("debug-10"),
            "{message}"
        );
        assert!(message.ends_with("; and 3 more"), "{message}");
    }

    #[test]
    fn pods_on_other_nodes_are_not_blockers() {
        assert_eq!(
            drain_blockers(&snapshot(), &BTreeSet::from(["node-b".to_owned()])),
            []
        );
    }
}
