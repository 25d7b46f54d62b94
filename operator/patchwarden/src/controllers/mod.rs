//! The controllers: one kube-rs `Controller` per resource kind, and the runtime they share
//! (context, leader election, metrics, Events, status writing, error classification).
//!
//! Each reconciler is a pipeline: observe (read the API and the assets) → validate (spec
//! into core types; invalid input is terminal and shown as `Stalled`) → decide (one pure
//! core call) → act (executors) → write status (only when it changed).

pub mod assessment;
pub mod asset;
pub mod asset_group;
pub mod driver;
pub mod error;
pub mod events;
pub mod lab_fleets;
pub mod leader;
pub mod maintenance_window;
pub mod metrics;
pub mod operations;
pub mod patch_policy;
pub mod patch_run;
pub mod stalled_status;
pub mod status;
pub mod vulnerability_feed;

use std::fmt::Debug;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

pub use driver::drive;
use error::{Backoff, ReconcileError};
use events::EventRecorder;
use leader::{LeaderElector, LeaseTiming};
use metrics::Metrics;

/// How the operator runs.
#[derive(Debug, Clone)]
pub struct OperatorOptions {
    /// Namespace to watch; `None` watches all namespaces.
    pub namespace: Option<String>,
    /// Namespace of the leader Lease.
    pub lease_namespace: String,
    /// Name of the leader Lease.
    pub lease_name: String,
    /// This process's identity in the Lease.
    pub identity: String,
    /// Leader election timing.
    pub lease_timing: LeaseTiming,
    /// Address of the `/metrics` and `/healthz` server; `None` runs without it.
    pub metrics_addr: Option<SocketAddr>,
    /// Directory holding the lab fleets of AssetGroups that declare one.
    pub lab_root: Option<std::path::PathBuf>,
    /// Directory relative feed paths (`spec.source.url`) are read from.
    pub feed_base: Option<std::path::PathBuf>,
}

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

/// Marks `conditions` as stalled on an invalid spec: `Stalled=True` and `Ready=False`, both
/// with `reason` and `message`; `Reconciling` is dropped (kstatus: Failed).
pub fn mark_stalled(
    conditions: &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) {
    use patchwarden_api::conditions::{self as c, new_condition, set_condition};
    let at = patchwarden_api::time::to_k8s(now);
    set_condition(
        conditions,
        new_condition(c::STALLED, c::TRUE, reason, message, generation, at.clone()),
        at.clone(),
    );
    set_condition(
        conditions,
        new_condition(c::READY, c::FALSE, reason, message, generation, at.clone()),
        at,
    );
    c::remove_condition(conditions, c::RECONCILING);
    c::remove_condition(conditions, c::PROGRESSING);
}

/// Shows an invalid spec as `Stalled` (see [`mark_stalled`]) with the status `desired`,
/// writes it and waits for the object to change. Superseded by returning a
/// [`error::Terminal`] (see the header of [`error`]), which the driver shows as `Stalled`
/// and counts under the `terminal` metric label; kept while a controller still calls it.
pub async fn stall<K, S>(
    api: &kube::Api<K>,
    object: &K,
    desired: &mut S,
    reason: &str,
    message: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Action, ReconcileError>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + serde::Serialize + Debug,
    S: patchwarden_api::CommonStatus + serde::Serialize,
{
    let generation = object.meta().generation;
    mark_stalled(desired.conditions_mut(), reason, message, generation, now);
    status::write_status(api, object, desired).await?;
    Ok(Action::await_change())
}

/// Sets `Ready` to `status` with `reason`/`message` and drops `Stalled`.
pub fn mark_ready(
    conditions: &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    status: &str,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) {
    use patchwarden_api::conditions::{self as c, new_condition, set_condition};
    let at = patchwarden_api::time::to_k8s(now);
    set_condition(
        conditions,
        new_condition(c::READY, status, reason, message, generation, at.clone()),
        at,
    );
    c::remove_condition(conditions, c::STALLED);
}

/// Sets (when `Some`) or removes (when `None`) an abnormal-true condition such as `Degraded`
/// or `Reconciling`, which is only present while true.
pub fn mark_abnormal(
    conditions: &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    type_: &str,
    reason_message: Option<(&str, &str)>,
    generation: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) {
    use patchwarden_api::conditions::{self as c, new_condition, set_condition};
    match reason_message {
        Some((reason, message)) => {
            let at = patchwarden_api::time::to_k8s(now);
            set_condition(
                conditions,
                new_condition(type_, c::TRUE, reason, message, generation, at.clone()),
                at,
            );
        }
        None => {
            c::remove_condition(conditions, type_);
        }
    }
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

/// Runs every controller until `stop` turns true.
pub async fn run_controllers(context: Arc<Context>, stop: watch::Receiver<bool>) {
    futures::join!(
        vulnerability_feed::run(context.clone(), stop.clone()),
        maintenance_window::run(context.clone(), stop.clone()),
        asset_group::run(context.clone(), stop.clone()),
        asset::run(context.clone(), stop.clone()),
        patch_run::run(context.clone(), stop.clone()),
        patch_policy::run(context.clone(), stop.clone()),
    );
}

/// Runs the operator until `shutdown` turns true: the metrics server (when asked), leader
/// election, and the controllers while this process holds the Lease. Returns the bound
/// metrics address through `on_metrics_bound` as soon as it is known.
pub async fn run_operator(
    client: kube::Client,
    options: OperatorOptions,
    shutdown: watch::Receiver<bool>,
    on_metrics_bound: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::new());
    if let Some(addr) = options.metrics_addr {
        let bound = metrics::serve(addr, metrics.clone(), shutdown.clone()).await?;
        tracing::info!(address = %bound, "serving /metrics and /healthz");
        on_metrics_bound(bound);
    }
    let elector = LeaderElector::new(
        client.clone(),
        &options.lease_namespace,
        &options.lease_name,
        &options.identity,
        options.lease_timing.clone(),
    );
    let mut leading = elector.spawn(shutdown.clone());
    let context = Arc::new(Context {
        client: client.clone(),
        namespace: options.namespace.clone(),
        metrics: metrics.clone(),
        events: EventRecorder::new(client, &options.identity),
        backoff: Backoff::default(),
        labs: lab_fleets::LabFleets::new(options.lab_root.clone()),
        assessment: assessment::Assessments::new(),
        operations: Arc::new(operations::Journal::new()),
        feed_base: options.feed_base.clone(),
    });
    let mut shutdown_rx = shutdown.clone();
    loop {
        // Wait to lead (or to be told to stop).
        while !*leading.borrow_and_update() {
            tokio::select! {
                changed = leading.changed() => if changed.is_err() { return Ok(()) },
                _ = shutdown_rx.changed() => {}
            }
            if *shutdown_rx.borrow() {
                return Ok(());
            }
        }
        metrics.set_leader(true);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut controllers = tokio::spawn(run_controllers(context.clone(), stop_rx));
        // Lead until the Lease is lost or shutdown is asked.
        loop {
            tokio::select! {
                _ = &mut controllers => break,
                changed = leading.changed() => {
                    if changed.is_err() || !*leading.borrow() { break; }
                }
                _ = shutdown_rx.changed() => {
                    if *shutdown_rx.borrow() { break; }
                }
            }
        }
        metrics.set_leader(false);
        let _ = stop_tx.send(true);
        // In-flight reconciles get a short grace period, then are cancelled: a new leader
        // may already be starting.
        if tokio::time::timeout(Duration::from_secs(5), &mut controllers)
            .await
            .is_err()
        {
            controllers.abort();
        }
        if *shutdown_rx.borrow() {
            // Let the elector release the Lease before returning.
            let _ = tokio::time::timeout(Duration::from_secs(3), async {
                while leading.changed().await.is_ok() {}
            })
            .await;
            return Ok(());
        }
    }
}
