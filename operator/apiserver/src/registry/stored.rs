//! Built-in kinds served for storage only: what a Helm chart or a GitOps tool applies to run a
//! workload (Deployments, DaemonSets, Services, ServiceAccounts, RBAC objects, NetworkPolicies),
//! and what a node drain reads (Pods, ReplicaSets, PodDisruptionBudgets).
//! They are stored and listed like any object, with no controller acting on them: this control
//! plane runs no pods and enforces no RBAC beyond its own principals.

use super::ResourceDef;
use super::builtins::builtin;

/// `(group, plural, kind, namespaced, short names, description)` of each stored-only kind.
type StoredKind = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    &'static str,
);

const STORED_KINDS: [StoredKind; 12] = [
    (
        "",
        "serviceaccounts",
        "ServiceAccount",
        true,
        &["sa"],
        "ServiceAccount binds together a name, understood by users, and a set of secrets.",
    ),
    (
        "",
        "services",
        "Service",
        true,
        &["svc"],
        "Service is a named abstraction of software service consisting of local port that the proxy listens on.",
    ),
    (
        "apps",
        "deployments",
        "Deployment",
        true,
        &["deploy"],
        "Deployment enables declarative updates for Pods and ReplicaSets.",
    ),
    (
        "apps",
        "daemonsets",
        "DaemonSet",
        true,
        &["ds"],
        "DaemonSet represents the configuration of a daemon set.",
    ),
    (
        "rbac.authorization.k8s.io",
        "clusterroles",
        "ClusterRole",
        false,
        &[],
        "ClusterRole is a cluster level, logical grouping of PolicyRules.",
    ),
    (
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        &[],
        "ClusterRoleBinding references a ClusterRole and binds it to subjects.",
    ),
    (
        "rbac.authorization.k8s.io",
        "roles",
        "Role",
        true,
        &[],
        "Role is a namespaced, logical grouping of PolicyRules.",
    ),
    (
        "rbac.authorization.k8s.io",
        "rolebindings",
        "RoleBinding",
        true,
        &[],
        "RoleBinding references a role and binds it to subjects in a namespace.",
    ),
    (
        "networking.k8s.io",
        "networkpolicies",
        "NetworkPolicy",
        true,
        &["netpol"],
        "NetworkPolicy describes what network traffic is allowed for a set of Pods.",
    ),
    // What a node drain reads and its preflight weighs: the pods on a node, the ReplicaSets
    // that own them (and the Deployments that own those), and the budgets that guard them.
    (
        "",
        "pods",
        "Pod",
        true,
        &["po"],
        "Pod is a collection of containers that can run on a host.",
    ),
    (
        "apps",
        "replicasets",
        "ReplicaSet",
        true,
        &["rs"],
        "ReplicaSet ensures that a specified number of pod replicas are running at any given time.",
    ),
    (
        "policy",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        "PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods.",
    ),
];

/// The stored-only kinds, in discovery order.
pub fn stored_kinds() -> Vec<ResourceDef> {
    STORED_KINDS
        .iter()
        .map(
            |&(group, plural, kind, namespaced, short_names, description)| {
                let mut def = builtin(group, plural, kind, namespaced, short_names, description);
                // Workloads carry a status their controllers would write; keep it apart from spec.
                def.status_subresource = matches!(
                    kind,
                    "Deployment"
                        | "DaemonSet"
                        | "Service"
                        | "Pod"
                        | "ReplicaSet"
                        | "PodDisruptionBudget"
                );
                // `kubectl drain` lists the pods of a node by `spec.nodeName`.
                if kind == "Pod" {
                    def.selectable_fields =
                        vec!["spec.nodeName".to_string(), "status.phase".to_string()];
                }
                def
            },
        )
        .collect()
}
