//! The Node's side of a drain: whether it is `Ready`, cordoning and uncordoning it, and
//! evicting its pods through the Eviction API.

use std::time::Duration;

use futures::future::join_all;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{EvictParams, Patch, PatchParams};

use super::drain::{DrainError, NodeDrain};

/// Whether the Node's `Ready` condition is `True`.
pub(super) fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
}

/// Cordons or uncordons Node `node` (`spec.unschedulable`, as `kubectl cordon` sets it).
pub async fn patch_unschedulable(
    client: &kube::Client,
    node: &str,
    unschedulable: bool,
) -> Result<(), kube::Error> {
    let nodes: Api<Node> = Api::all(client.clone());
    let value = if unschedulable {
        serde_json::Value::Bool(true)
    } else {
        serde_json::Value::Null
    };
    let patch = serde_json::json!({"spec": {"unschedulable": value}});
    nodes
        .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
}

/// Cordons or uncordons the drained Node.
pub(super) async fn set_unschedulable(
    drain: &NodeDrain,
    unschedulable: bool,
) -> Result<(), DrainError> {
    patch_unschedulable(&drain.client, &drain.node, unschedulable)
        .await
        .map_err(|source| DrainError {
            node: drain.node.clone(),
            what: if unschedulable { "cordon" } else { "uncordon" },
            source,
        })
}

/// How long one round of evictions may wait: the client retries a 429 with a growing delay,
/// so a budget that allows nothing would otherwise hold the drain past its timeout.
const EVICTION_ROUND: Duration = Duration::from_secs(2);

/// Asks the Eviction API to evict each pod (`namespace/name`), all at once; a budget's 429
/// (still retried by the client when the round ends) and a pod gone meanwhile are left to the
/// next look.
pub(super) async fn evict(drain: &NodeDrain, pods: &[String]) -> Result<(), DrainError> {
    let evictions = pods
        .iter()
        .filter_map(|pod| pod.split_once('/'))
        .map(|(namespace, name)| {
            let api: Api<Pod> = Api::namespaced(drain.client.clone(), namespace);
            async move { api.evict(name, &EvictParams::default()).await }
        });
    let Ok(results) = tokio::time::timeout(EVICTION_ROUND, join_all(evictions)).await else {
        return Ok(());
    };
    for result in results {
        match result {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if matches!(status.code, 404 | 429) => {}
            Err(source) => {
                return Err(DrainError {
                    node: drain.node.clone(),
                    what: "evict its pods",
                    source,
                });
            }
        }
    }
    Ok(())
}
