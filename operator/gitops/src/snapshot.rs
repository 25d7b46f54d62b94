//! The live state `plan` reasons about: Assets (labels, status, findings), PatchPolicies and
//! the workloads a node drain depends on, read from the API ([`read_live`]) or from a file
//! written by `patchwarden snapshot`.

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use patchwarden_api::{Asset, PatchPolicy};
use patchwarden_core::drain::ClusterSnapshot;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the snapshot file format.
pub const SNAPSHOT_FORMAT: &str = "patchwarden.io/snapshot/v1";

/// A JSON dump of the live objects `plan` needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Always [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// When the state was read.
    pub taken_at: DateTime<Utc>,
    /// Every Asset, with its status.
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// Every PatchPolicy, with its status.
    #[serde(default)]
    pub policies: Vec<PatchPolicy>,
    /// The Pods, PodDisruptionBudgets, ReplicaSets and Deployments the drain preflight reads;
    /// absent when they could not be listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads: Option<ClusterSnapshot>,
}

/// A snapshot file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{file}: not a patchwarden snapshot: {reason}")]
    Parse { file: String, reason: String },
    #[error("{file}: field `format` is `{found}`, expected `{SNAPSHOT_FORMAT}`")]
    Format { file: String, found: String },
    #[error("cannot list {kind} objects: {error}")]
    List {
        kind: &'static str,
        #[source]
        error: Box<kube::Error>,
    },
}

/// Reads every Asset and PatchPolicy (all namespaces) from the API, and the workloads when
/// they may be listed (a reader without access to Pods still gets a plan, without the drain
/// preflight).
pub async fn read_live(
    client: &kube::Client,
    now: DateTime<Utc>,
) -> Result<Snapshot, SnapshotError> {
    let assets: kube::Api<Asset> = kube::Api::all(client.clone());
    let policies: kube::Api<PatchPolicy> = kube::Api::all(client.clone());
    let list = kube::api::ListParams::default();
    let assets = assets
        .list(&list)
        .await
        .map_err(|error| SnapshotError::List {
            kind: "Asset",
            error: Box::new(error),
        })?
        .items;
    let policies = policies
        .list(&list)
        .await
        .map_err(|error| SnapshotError::List {
            kind: "PatchPolicy",
            error: Box::new(error),
        })?
        .items;
    let mut snapshot = Snapshot::new(now, assets, policies);
    match read_workloads(client).await {
        Ok(workloads) => snapshot.workloads = Some(workloads),
        Err(error) => tracing::warn!("the drain preflight is left out: {error}"),
    }
    Ok(snapshot)
}

/// The cluster's Pods, PodDisruptionBudgets, ReplicaSets and Deployments (all namespaces): what
/// the drain preflight judges.
pub async fn read_workloads(client: &kube::Client) -> Result<ClusterSnapshot, SnapshotError> {
    Ok(ClusterSnapshot {
        pods: list_values::<Pod>(client, "Pod").await?,
        disruption_budgets: list_values::<PodDisruptionBudget>(client, "PodDisruptionBudget")
            .await?,
        replica_sets: list_values::<ReplicaSet>(client, "ReplicaSet").await?,
        deployments: list_values::<Deployment>(client, "Deployment").await?,
    })
}

/// Every object of a kind, as the API's JSON.
async fn list_values<K>(
    client: &kube::Client,
    kind: &'static str,
) -> Result<Vec<Value>, SnapshotError>
where
    K: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    let api: kube::Api<K> = kube::Api::all(client.clone());
    let items = api
        .list(&kube::api::ListParams::default())
        .await
        .map_err(|error| SnapshotError::List {
            kind,
            error: Box::new(error),
        })?
        .items;
    items
        .iter()
        .map(|item| {
            serde_json::to_value(item).map_err(|error| SnapshotError::Parse {
                file: format!("the {kind} list"),
                reason: error.to_string(),
            })
        })
        .collect()
}

impl Snapshot {
    /// A snapshot of the given objects.
    pub fn new(taken_at: DateTime<Utc>, assets: Vec<Asset>, policies: Vec<PatchPolicy>) -> Self {
        Self {
            format: SNAPSHOT_FORMAT.to_string(),
            taken_at,
            assets,
            policies,
            workloads: None,
        }
    }

    /// Parses a snapshot file's text; `file` names it in errors.
    pub fn from_json(file: &str, text: &str) -> Result<Self, SnapshotError> {
        let snapshot: Snapshot =
            serde_json::from_str(text).map_err(|err| SnapshotError::Parse {
                file: file.to_string(),
                reason: err.to_string(),
            })?;
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(SnapshotError::Format {
                file: file.to_string(),
                found: snapshot.format,
            });
        }
        Ok(snapshot)
    }
}
