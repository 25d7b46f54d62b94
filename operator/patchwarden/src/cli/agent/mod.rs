//! `patchwarden agent`: the pull-mode executor. It runs on the machine it patches (a systemd
//! service, or a DaemonSet pod with the host root at `/host`), authenticates with its own
//! token, watches only its own Asset, runs the operations the operator writes into the
//! Asset's `status.agent.request` with the local executor and writes each answer into
//! `status.agent.result` (the protocol: `patchwarden_executor::agent`).

pub mod channel;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use futures::StreamExt;
use kube::Api;
use kube::api::{Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use patchwarden_api::asset::Asset;
use patchwarden_executor::LocalExecutor;
use patchwarden_executor::agent::{AgentMessage, AgentWorker, StateFile, Step, next_step};
use tokio::sync::watch;

use crate::cli::operator::{client_from_kubeconfig, shutdown_on_signals};
use channel::{from_status, to_status};

/// Arguments of `patchwarden agent`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kubeconfig file with the agent's own token; without it, `KUBECONFIG` or the pod's
    /// service account is used.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Name of this machine's Asset (in a DaemonSet: the node name).
    #[arg(long, env = "NODE_NAME")]
    pub asset: String,
    /// Namespace of the Asset.
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Root of the host to patch, when it is mounted elsewhere (`/host` in a DaemonSet pod):
    /// apt and dpkg run through `chroot` into it.
    #[arg(long)]
    pub host_root: Option<PathBuf>,
    /// Directory of the agent's state file (the answers it gave, kept across restarts).
    #[arg(long, default_value = "/var/lib/patchwarden-agent")]
    pub state_dir: PathBuf,
}

/// Runs `patchwarden agent` until SIGINT or SIGTERM.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let client =
            client_from_kubeconfig(args.kubeconfig.as_deref(), args.context.clone()).await?;
        let api: Api<Asset> = Api::namespaced(client, &args.namespace);
        let file = StateFile::in_dir(&args.state_dir)?;
        let executor = Arc::new(LocalExecutor::new(args.host_root.clone()));
        let asset = channel::agent_target(&args.namespace, &args.asset);
        let worker = AgentWorker::new(executor, asset, file)?;
        serve(&api, &args.asset, worker, shutdown_on_signals()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Watches the Asset and answers its requests until `shutdown` turns true.
async fn serve(
    api: &Api<Asset>,
    name: &str,
    mut worker: AgentWorker,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let seen = serde_json::json!({
        "status": { "agent": { "lastSeen": patchwarden_api::time::to_k8s(Utc::now()) } }
    });
    write_status(api, name, &seen).await?;
    tracing::info!(asset = name, "agent watching its Asset");
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut assets = watcher::watcher(api.clone(), config)
        .default_backoff()
        .applied_objects()
        .boxed();
    loop {
        tokio::select! {
            _ = shutdown.changed() => return Ok(()),
            item = assets.next() => match item {
                Some(Ok(asset)) => handle(api, name, &mut worker, &asset).await?,
                Some(Err(e)) => tracing::warn!(asset = name, "watching the Asset: {e}"),
                None => return Ok(()),
            },
        }
    }
}

/// Acts on the request slot of one observed version of the Asset.
async fn handle(
    api: &Api<Asset>,
    name: &str,
    worker: &mut AgentWorker,
    asset: &Asset,
) -> anyhow::Result<()> {
    let exchange = asset.status.as_ref().and_then(|s| s.agent.as_ref());
    let request = exchange.and_then(|e| e.request.as_ref()).map(from_status);
    let answered = exchange
        .and_then(|e| e.result.as_ref())
        .map(|r| r.id.as_str());
    let result: AgentMessage = match next_step(request.as_ref(), answered, worker.state()) {
        Step::Idle => return Ok(()),
        Step::Report(stored) => stored,
        Step::Run(request) => {
            tracing::info!(asset = name, id = %request.id, operation = %request.operation, "running");
            worker.answer(&request).await?
        }
    };
    let body = serde_json::json!({
        "status": { "agent": { "result": to_status(&result) } }
    });
    // A failed write is retried from the state file when the watch sees the Asset again.
    if let Err(e) = write_status(api, name, &body).await {
        tracing::warn!(asset = name, id = %result.id, "cannot report the answer yet: {e:#}");
    } else {
        tracing::info!(asset = name, id = %result.id, "answered");
    }
    Ok(())
}

/// Merge-patches the Asset's status, retrying briefly over API server restarts.
async fn write_status(
    api: &Api<Asset>,
    name: &str,
    body: &serde_json::Value,
) -> anyhow::Result<()> {
    let mut attempt = 0;
    loop {
        match api
            .patch_status(name, &PatchParams::default(), &Patch::Merge(body))
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if attempt < 5 => {
                tracing::debug!(asset = name, "status write failed, retrying: {e}");
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
            }
            Err(e) => return Err(e).with_context(|| format!("writing the status of Asset {name}")),
        }
    }
}
