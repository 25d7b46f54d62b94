//! Which pods on a node a drain evicts, as `kubectl drain` decides: DaemonSet pods and mirror
//! (static) pods are skipped (their controller or the kubelet would recreate them on the same
//! node at once), finished pods need no eviction, and pods with no controller or with local
//! `emptyDir` data are refused unless the policy allows losing that data.

use std::fmt;

use serde_json::Value;

/// The annotation the kubelet puts on the API copy of a static pod.
const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// What the policy allows a drain to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainOptions {
    /// Evict pods with `emptyDir` volumes, losing their data.
    pub delete_empty_dir_data: bool,
}

/// A pod by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
}

impl PodRef {
    pub fn of(pod: &Value) -> PodRef {
        let text = |field: &str| {
            pod["metadata"][field]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        PodRef {
            namespace: text("namespace"),
            name: text("name"),
        }
    }
}

impl fmt::Display for PodRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Why a pod is left alone by a drain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    DaemonSet,
    Mirror,
    Finished,
}

/// Why a pod cannot be evicted under the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No controller would recreate it elsewhere: evicting it deletes it for good.
    NoController,
    /// It keeps data in an `emptyDir` volume and `deleteEmptyDirData` is off.
    EmptyDirData,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::NoController => "has no controller, so evicting it would delete it for good",
            Refusal::EmptyDirData => {
                "keeps emptyDir data and the policy's drain.deleteEmptyDirData is false"
            }
        })
    }
}

/// A drain's verdict on each pod of a node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainSelection {
    pub evict: Vec<PodRef>,
    pub skipped: Vec<(PodRef, SkipReason)>,
    pub refused: Vec<(PodRef, Refusal)>,
}

/// Sorts the pods running on `node` into those to evict, skip and refuse.
pub fn select_pods(pods: &[Value], node: &str, options: DrainOptions) -> DrainSelection {
    let mut selection = DrainSelection::default();
    for pod in pods.iter().filter(|pod| pod["spec"]["nodeName"] == node) {
        let pod_ref = PodRef::of(pod);
        if let Some(reason) = skip_reason(pod) {
            selection.skipped.push((pod_ref, reason));
        } else if let Some(refusal) = refusal(pod, options) {
            selection.refused.push((pod_ref, refusal));
        } else {
            selection.evict.push(pod_ref);
        }
    }
    selection
}

pub(super) fn skip_reason(pod: &Value) -> Option<SkipReason> {
    if !pod["metadata"]["annotations"][MIRROR_ANNOTATION].is_null() {
        return Some(SkipReason::Mirror);
    }
    if controller_of(pod).is_some_and(|(kind, _)| kind == "DaemonSet") {
        return Some(SkipReason::DaemonSet);
    }
    let phase = pod["status"]["phase"].as_str();
    if matches!(phase, Some("Succeeded" | "Failed")) {
        return Some(SkipReason::Finished);
    }
    None
}

fn refusal(pod: &Value, options: DrainOptions) -> Option<Refusal> {
    if controller_of(pod).is_none() {
        return Some(Refusal::NoController);
    }
    let has_empty_dir = pod["spec"]["volumes"]
        .as_array()
        .is_some_and(|volumes| volumes.iter().any(|v| !v["emptyDir"].is_null()));
    (has_empty_dir && !options.delete_empty_dir_data).then_some(Refusal::EmptyDirData)
}

/// The owner reference marked `controller: true`, as (kind, name).
pub(super) fn controller_of(object: &Value) -> Option<(&str, &str)> {
    object["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|owner| owner["controller"] == true)
        .and_then(|owner| Some((owner["kind"].as_str()?, owner["name"].as_str()?)))
}

#[cfg(test)]
pub(super) mod tests {
    use serde_json::json;

    use super::*;

    pub fn pod(name: &str, owner: Option<(&str, &str)>) -> Value {
        let owners: Vec<Value> = owner
            .map(|(kind, owner_name)| json!({"kind": kind, "name": owner_name, "controller": true}))
            .into_iter()
            .collect();
        json!({
            "metadata": {"name": name, "namespace": "shop", "labels": {"app": name},
                         "ownerReferences": owners},
            "spec": {"nodeName": "node-a"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        })
    }

    fn names(pods: &[PodRef]) -> Vec<&str> {
        pods.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn daemonset_mirror_and_finished_pods_are_skipped_and_the_rest_evicted() {
        let mut mirror = pod("etcd", None);
        mirror["metadata"]["annotations"] = json!({MIRROR_ANNOTATION: "abc"});
        let mut done = pod("job-1", Some(("Job", "job")));
        done["status"]["phase"] = json!("Succeeded");
        let mut elsewhere = pod("web-2", Some(("ReplicaSet", "web-1a")));
        elsewhere["spec"]["nodeName"] = json!("node-b");
        let pods = [
            pod("web-1", Some(("ReplicaSet", "web-1a"))),
            pod("fluentd", Some(("DaemonSet", "fluentd"))),
            mirror,
            done,
            elsewhere,
        ];
        let selection = select_pods(&pods, "node-a", DrainOptions::default());
        assert_eq!(names(&selection.evict), ["web-1"]);
        let skipped: Vec<_> = selection
            .skipped
            .iter()
            .map(|(p, r)| (p.name.as_str(), *r))
            .collect();
        assert_eq!(
            skipped,
            [
                ("fluentd", SkipReason::DaemonSet),
                ("etcd", SkipReason::Mirror),
                ("job-1", SkipReason::Finished)
            ]
        );
        assert!(selection.refused.is_empty());
    }

    #[test]
    fn unmanaged_pods_are_refused_and_empty_dir_needs_the_option() {
        let mut cache = pod("cache", Some(("StatefulSet", "cache")));
        cache["spec"]["volumes"] = json!([{"name": "scratch", "emptyDir": {}}]);
        let pods = [pod("debug", None), cache];
        let strict = select_pods(&pods, "node-a", DrainOptions::default());
        let refused: Vec<_> = strict
            .refused
            .iter()
            .map(|(p, r)| (p.name.as_str(), *r))
            .collect();
        assert_eq!(
            refused,
            [
                ("debug", Refusal::NoController),
                ("cache", Refusal::EmptyDirData)
            ]
        );
        let lenient = select_pods(
            &pods,
            "node-a",
            DrainOptions {
                delete_empty_dir_data: true,
            },
        );
        assert_eq!(names(&lenient.evict), ["cache"]);
        assert_eq!(lenient.refused.len(), 1);
    }
}
