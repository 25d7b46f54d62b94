//! The operator process: the metrics server, leader election, and every controller while
//! this process holds the leader Lease.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::error::Backoff;
use super::events::EventRecorder;
use super::leader::{LeaderElector, LeaseTiming};
use super::metrics::{self, Metrics};
use super::{
    Context, assessment, asset, asset_group, evidence, lab_fleets, maintenance_window, operations,
    patch_policy, patch_run, ssh_credentials, vulnerability_feed,
};

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
    /// More routes served beside `/metrics` and `/healthz` (the Git webhook receiver).
    pub extra_routes: Option<axum::Router>,
    /// Directory holding the lab fleets of AssetGroups that declare one.
    pub lab_root: Option<std::path::PathBuf>,
    /// Directory relative feed paths (`spec.source.url`) are read from.
    pub feed_base: Option<std::path::PathBuf>,
    /// Where the evidence signing key is kept (created there when missing).
    pub evidence_key: evidence::KeySource,
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
    run_operator_with_agents(client, options, None, shutdown, on_metrics_bound).await
}

/// [`run_operator`] with `agents` answering for the assets of connection `agent`.
pub async fn run_operator_with_agents(
    client: kube::Client,
    options: OperatorOptions,
    agents: Option<Arc<dyn patchwarden_executor::Executor>>,
    mut shutdown: watch::Receiver<bool>,
    on_metrics_bound: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::new());
    if let Some(addr) = options.metrics_addr {
        let bound = metrics::serve(
            addr,
            metrics.clone(),
            options
                .extra_routes
                .clone()
                .unwrap_or_default()
                .merge(crate::report::routes(
                    client.clone(),
                    options.namespace.clone(),
                )),
            shutdown.clone(),
        )
        .await?;
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
        metrics,
        events: EventRecorder::new(client, &options.identity),
        backoff: Backoff::default(),
        labs: lab_fleets::LabFleets::new(options.lab_root.clone()),
        assessment: assessment::Assessments::new(),
        operations: Arc::new(operations::Journal::new()),
        feed_base: options.feed_base.clone(),
        ssh: ssh_credentials::SshCredentials::default(),
        evidence: evidence::EvidenceKeys::new(options.evidence_key.clone()),
        agents,
    });
    lead_while_elected(&context, &mut leading, &mut shutdown).await;
    // The process may end without dropping what operations still hold: remove the key files.
    context.ssh.remove_files();
    Ok(())
}

/// Leads whenever elected, until told to stop (or the elector ended).
async fn lead_while_elected(
    context: &Arc<Context>,
    leading: &mut watch::Receiver<bool>,
    shutdown: &mut watch::Receiver<bool>,
) {
    loop {
        if !wait_to_lead(leading, shutdown).await {
            return;
        }
        lead(context, leading, shutdown).await;
        if *shutdown.borrow() {
            // Let the elector release the Lease before returning.
            let _ = tokio::time::timeout(Duration::from_secs(3), async {
                while leading.changed().await.is_ok() {}
            })
            .await;
            return;
        }
    }
}

/// Waits until this process leads; false when told to stop (or the elector ended) first.
async fn wait_to_lead(
    leading: &mut watch::Receiver<bool>,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    while !*leading.borrow_and_update() {
        tokio::select! {
            changed = leading.changed() => if changed.is_err() { return false },
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return false;
        }
    }
    true
}

/// Runs the controllers until the Lease is lost or shutdown is asked, then stops them.
async fn lead(
    context: &Arc<Context>,
    leading: &mut watch::Receiver<bool>,
    shutdown: &mut watch::Receiver<bool>,
) {
    context.metrics.set_leader(true);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut controllers = tokio::spawn(run_controllers(context.clone(), stop_rx));
    loop {
        tokio::select! {
            _ = &mut controllers => break,
            changed = leading.changed() => {
                if changed.is_err() || !*leading.borrow() { break; }
            }
            _ = shutdown.changed() => {
                if *shutdown.borrow() { break; }
            }
        }
    }
    context.metrics.set_leader(false);
    let _ = stop_tx.send(true);
    // In-flight reconciles get a short grace period, then are cancelled: a new leader may
    // already be starting.
    if tokio::time::timeout(Duration::from_secs(5), &mut controllers)
        .await
        .is_err()
    {
        controllers.abort();
    }
}
