//! `patchwarden operator`: runs every controller against a cluster (or the embedded control
//! plane) with Lease-based leader election, `/metrics` and `/healthz`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kube::config::{KubeConfigOptions, Kubeconfig};
use patchwarden_gitops::sync::{AllowedKinds, GitSync, SyncSettings};
use tokio::sync::watch;

use crate::cli::up::triggers;
use crate::controllers::evidence::KeySource;
use crate::controllers::leader::{LeaseTiming, default_identity};
use crate::controllers::{OperatorOptions, run_operator_with_agents};

/// Arguments of `patchwarden operator`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kubeconfig file of the cluster; without it, `KUBECONFIG` or the in-cluster
    /// service account is used.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Watch only this namespace (default: all namespaces).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Name of the leader-election Lease.
    #[arg(long, default_value = "patchwarden-operator")]
    pub lease_name: String,
    /// Namespace of the leader-election Lease (default: `--namespace`, else `default`).
    #[arg(long)]
    pub lease_namespace: Option<String>,
    /// Identity written into the Lease (default: host name, process id and start time).
    #[arg(long)]
    pub identity: Option<String>,
    /// Seconds a Lease stays valid after its last renewal.
    #[arg(long, default_value_t = 15)]
    pub lease_duration: u64,
    /// Seconds the leader keeps acting without a successful renewal.
    #[arg(long, default_value_t = 10)]
    pub renew_deadline: u64,
    /// Seconds between attempts to acquire or renew the Lease.
    #[arg(long, default_value_t = 2)]
    pub retry_period: u64,
    /// Address of the `/metrics` and `/healthz` server (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub metrics_addr: SocketAddr,
    /// Directory for the lab fleets of AssetGroups that declare `spec.lab` (one lab per
    /// group, under `<dir>/<namespace>/<group>`); without it, lab assets are not served.
    #[arg(long)]
    pub lab_root: Option<PathBuf>,
    /// Directory that relative VulnerabilityFeed paths are read from (default: the current
    /// directory).
    #[arg(long)]
    pub feed_base: Option<PathBuf>,
    /// Also sync the resources of this Git repository (a URL, a repository, or a directory
    /// inside one) into the cluster, pruning what was removed from Git.
    #[arg(long)]
    pub git_repo: Option<String>,
    /// Branch of `--git-repo` to follow (default: the checked-out branch, or `main`).
    #[arg(long)]
    pub git_branch: Option<String>,
    /// Seconds between syncs of `--git-repo`. A local repository is also synced as soon as
    /// its refs change, and any repository when the webhook receives a push.
    #[arg(long, default_value_t = 60)]
    pub git_interval: u64,
    /// `NAMESPACE/NAME` of a Secret whose key `token` authenticates pushes to the webhook
    /// receiver, `POST /hooks/git/<source>` on `--metrics-addr` (GitHub, GitLab or generic
    /// deliveries); each push of the followed branch fetches at once.
    #[arg(long, value_name = "NAMESPACE/NAME", requires = "git_repo")]
    pub git_webhook_secret_ref: Option<String>,
    /// Directory for Git mirrors of URL repositories.
    #[arg(long, default_value = ".patchwarden/git")]
    pub git_cache: PathBuf,
    /// Another kind `--git-repo` may apply besides AssetGroup, Asset, MaintenanceWindow,
    /// PatchPolicy and VulnerabilityFeed: `Kind` for the core group (`Secret`), `group/Kind`
    /// (`patchwarden.io/PatchRun`), or `*` for every kind. Repeatable.
    #[arg(long = "git-allow-kind", value_name = "KIND")]
    pub git_allow_kind: Vec<String>,
    /// Seconds an `agent` asset's agent may take to answer an upgrade or roll back before
    /// the change counts as failed (a lost agent).
    #[arg(long, default_value_t = 600)]
    pub agent_timeout: u64,
    /// Seconds an agent may take to answer anything else (inventory, boot id, sources) before
    /// the asset counts as unreachable.
    #[arg(long, default_value_t = 120)]
    pub agent_query_timeout: u64,
}

/// Builds a client from a kubeconfig file, or from the environment when `path` is `None`.
pub async fn client_from_kubeconfig(
    path: Option<&Path>,
    context: Option<String>,
) -> anyhow::Result<kube::Client> {
    let options = KubeConfigOptions {
        context,
        ..KubeConfigOptions::default()
    };
    let config = match path {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .with_context(|| format!("loading kubeconfig {}", path.display()))?
        }
        None => kube::Config::infer()
            .await
            .context("no --kubeconfig given and none found in the environment")?,
    };
    kube::Client::try_from(config).context("building the Kubernetes client")
}

/// A channel that turns true on SIGINT or SIGTERM.
pub fn shutdown_on_signals() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate => {}
        }
        tracing::info!("shutting down");
        let _ = tx.send(true);
    });
    rx
}

/// Runs `patchwarden operator`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let client =
            client_from_kubeconfig(args.kubeconfig.as_deref(), args.context.clone()).await?;
        let lease_namespace = args
            .lease_namespace
            .clone()
            .or_else(|| args.namespace.clone())
            .unwrap_or_else(|| String::from("default"));
        let options = OperatorOptions {
            namespace: args.namespace.clone(),
            // The operator's own namespace holds its evidence key.
            evidence_key: KeySource::Secret {
                namespace: lease_namespace.clone(),
            },
            lease_namespace,
            lease_name: args.lease_name.clone(),
            identity: args.identity.clone().unwrap_or_else(default_identity),
            lease_timing: LeaseTiming {
                lease_duration: Duration::from_secs(args.lease_duration),
                renew_deadline: Duration::from_secs(args.renew_deadline),
                retry_period: Duration::from_secs(args.retry_period),
            },
            metrics_addr: Some(args.metrics_addr),
            extra_routes: None,
            lab_root: args.lab_root.clone(),
            feed_base: args.feed_base.clone(),
        };
        if options.lease_timing.renew_deadline >= options.lease_timing.lease_duration {
            anyhow::bail!("--renew-deadline must be shorter than --lease-duration");
        }
        let shutdown = shutdown_on_signals();
        let (syncing, extra_routes) = match &args.git_repo {
            Some(repo) => start_git_sync(&client, &args, repo).await?,
            None => (None, None),
        };
        let options = OperatorOptions {
            extra_routes,
            ..options
        };
        let timeouts = patchwarden_executor::AgentTimeouts {
            change: Duration::from_secs(args.agent_timeout),
            query: Duration::from_secs(args.agent_query_timeout),
        };
        let agents = crate::cli::agent::channel::status_executor(&client, timeouts);
        let result = run_operator_with_agents(client, options, Some(agents), shutdown, |addr| {
            // One machine-readable line so scripts and tests can find the port.
            println!("metrics-addr={addr}");
        })
        .await;
        if let Some(syncing) = syncing {
            syncing.abort();
        }
        result?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Starts the sync of `--git-repo`: on its interval, when a local repository's refs change,
/// and (with `--git-webhook-secret-ref`) on webhook pushes, whose routes are returned to be
/// served beside `/metrics`.
async fn start_git_sync(
    client: &kube::Client,
    args: &Args,
    repo: &str,
) -> anyhow::Result<(Option<tokio::task::JoinHandle<()>>, Option<axum::Router>)> {
    let spec = crate::cli::up::git_source_spec(repo, args.git_branch.clone())?;
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| String::from("default"));
    let sync = GitSync::new(
        client.clone(),
        spec,
        SyncSettings {
            default_namespace: namespace.clone(),
            status_namespace: namespace,
            cache_dir: args.git_cache.clone(),
            prune: true,
            allowed_kinds: AllowedKinds::with_extra(
                args.git_allow_kind.iter().map(String::as_str),
            )?,
        },
    )?;
    let trigger = Arc::new(tokio::sync::Notify::new());
    let routes = match &args.git_webhook_secret_ref {
        Some(secret_ref) => {
            let (namespace, name) = triggers::parse_secret_ref(secret_ref)?;
            let secret = triggers::secret_from_cluster(client, &namespace, &name).await?;
            Some(triggers::webhook_routes(sync.spec(), secret, &trigger))
        }
        None => None,
    };
    let watch = triggers::watch_if_local(sync.spec(), &trigger);
    let interval = Duration::from_secs(args.git_interval.max(1));
    let syncing = tokio::spawn(async move {
        // The watch lives as long as the sync it triggers.
        let _watch = watch;
        sync.run(interval, trigger).await
    });
    Ok((Some(syncing), routes))
}
