//! The controllers: one kube-rs `Controller` per resource kind, and the runtime they share
//! (context, leader election, metrics, Events, status writing, error classification).
//!
//! Each reconciler is a pipeline: observe (read the API and the assets) → validate (spec
//! into core types; invalid input is terminal and shown as `Stalled`) → decide (one pure
//! core call) → act (executors) → write status (only when it changed).

pub mod assessment;
pub mod assessment_inputs;
pub mod asset;
pub mod asset_group;
pub mod cache_ready;
pub mod coalesce;
pub mod conditions;
pub mod driver;
pub mod error;
pub mod events;
pub mod evidence;
pub mod feed_change;
pub mod interner;
pub mod lab_fleets;
pub mod leader;
pub mod maintenance_window;
pub mod metrics;
pub mod operations;
pub mod operator;
pub mod outcomes;
pub mod patch_policy;
pub mod patch_run;
pub mod predicates;
pub mod ssh_credentials;
pub mod stalled_status;
pub mod status;
#[cfg(test)]
pub mod test_control_plane;
pub mod vulnerability_feed;
pub mod wake_stream;

use std::sync::Arc;
use std::time::Duration;

use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};
use tokio::sync::watch;

pub use conditions::{mark_abnormal, mark_ready, mark_stalled};
pub use driver::drive;
use error::Backoff;
use events::EventRecorder;
use metrics::Metrics;
pub use operator::{OperatorOptions, run_controllers, run_operator, run_operator_with_agents};

/// What every reconcile gets: the client and the shared runtime pieces.
pub struct Context {
    /// Client of the API server.
    pub client: kube::Client,
    /// Namespace being watched, if restricted.
    pub namespace: Option<String>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Event publisher.
    pub events: EventRecorder,
    /// Retry state of transient errors.
    pub backoff: Backoff,
    /// Lab fleets and their executors.
    pub labs: lab_fleets::LabFleets,
    /// Loaded feeds and per-asset assessments.
    pub assessment: assessment::Assessments,
    /// Asset operations of PatchRuns started by this process.
    pub operations: Arc<operations::Journal>,
    /// Directory relative feed paths are read from.
    pub feed_base: Option<std::path::PathBuf>,
    /// SSH executors of the credentials Secrets assets name.
    pub ssh: ssh_credentials::SshCredentials,
    /// The key evidence records are signed with.
    pub evidence: evidence::EvidenceKeys,
    /// The executor of `agent` connections, when this process has one (the operator has no
    /// agent transport of its own; `patchwarden bench fleet` supplies a simulated fleet).
    pub agents: Option<std::sync::Arc<dyn patchwarden_executor::Executor>>,
}

impl Context {
    /// The API of kind `K` in the watched scope.
    pub fn api<K>(&self) -> kube::Api<K>
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
    {
        match &self.namespace {
            Some(ns) => kube::Api::namespaced(self.client.clone(), ns),
            None => kube::Api::all(self.client.clone()),
        }
    }

    /// The API of kind `K` in the object's own namespace.
    pub fn api_for<K, O>(&self, object: &O) -> kube::Api<K>
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
        O: Resource,
    {
        let ns = object
            .namespace()
            .unwrap_or_else(|| String::from("default"));
        kube::Api::namespaced(self.client.clone(), &ns)
    }

    /// The Assets in the object's namespace, by name.
    pub async fn assets_by_name<O: Resource>(
        &self,
        object: &O,
    ) -> Result<std::collections::BTreeMap<String, patchwarden_api::asset::Asset>, kube::Error>
    {
        Ok(self
            .api_for::<patchwarden_api::asset::Asset, _>(object)
            .list(&kube::api::ListParams::default())
            .await?
            .items
            .into_iter()
            .map(|a| (a.name_any(), a))
            .collect())
    }
}

/// `namespace/name` of an object, the key of logs, backoff and metrics.
pub fn object_key<K: Resource>(object: &K) -> String {
    format!(
        "{}/{}",
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}

/// The current instant as the core sees it (the only clock read in a reconcile).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// The value of the `reconcile.fluxcd.io/requestedAt` annotation, if set.
pub fn reconcile_requested_at<K: Resource>(object: &K) -> Option<String> {
    object
        .annotations()
        .get(patchwarden_api::labels::RECONCILE_REQUESTED_AT)
        .cloned()
}

/// A requeue at `at` (a known time: a window change, the end of a pause), at least one
/// second from `now`.
pub fn requeue_at(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> Action {
    let after = (at - now).to_std().unwrap_or(Duration::ZERO);
    error::requeue_after(after + Duration::from_millis(200))
}

/// Completes when `stop` turns true (or its sender is dropped).
pub async fn stopped(mut stop: watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            break;
        }
    }
}
