//! Starting what `patchwarden up` runs, in its order: the control plane with the CRDs (steps 1
//! and 2), the first sync of the repository (step 3), then the controllers beside the periodic
//! sync (step 4); and stopping all of it again.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ListParams, PostParams};
use kube::{Api, ResourceExt};
use patchwarden_api::{PatchPolicy, PatchRun};
use patchwarden_apiserver::{ApiServer, Config, RunningServer, write_private};
use patchwarden_gitops::sync::{GitSync, SyncError, SyncOutcome, SyncSettings};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Args, git_source_spec, progress, triggers};
use crate::cli::operator::{client_from_kubeconfig, shutdown_on_signals};
use crate::controllers::leader::{LeaseTiming, default_identity};
use crate::controllers::{OperatorOptions, run_operator_with_agents};

/// The embedded control plane and a client of it.
pub(super) struct ControlPlane {
    server: RunningServer,
    pub(super) client: kube::Client,
}

/// Steps 1 and 2: starts (or resumes) the control plane under `state`, writes the kubeconfig
/// at the top of `state` and installs the CRDs.
pub(super) async fn control_plane(state: &Path, args: &Args) -> anyhow::Result<ControlPlane> {
    let resuming = state.join("apiserver").join("state.db").exists();
    progress(
        1,
        &format!(
            "{} the control plane (SQLite under {})",
            if resuming { "resuming" } else { "starting" },
            state.join("apiserver").display()
        ),
    );
    let server = ApiServer::start(server_config(state, args))
        .await
        .context("starting the embedded control plane")?;
    // The kubeconfig people use sits at the top of the state directory. It carries the token
    // (and the CA), so it is private, and written whole so a reader never sees half of it.
    let kubeconfig = state.join("kubeconfig");
    write_private(&kubeconfig, &server.kubeconfig_yaml())
        .with_context(|| format!("writing {}", kubeconfig.display()))?;
    let client = client_from_kubeconfig(Some(&kubeconfig), None).await?;

    progress(2, "installing the CustomResourceDefinitions");
    install_crds(&client).await?;
    println!("export KUBECONFIG={}", kubeconfig.display());
    let _ = std::io::stdout().flush();
    Ok(ControlPlane { server, client })
}

/// The control plane's configuration: TLS (a CA and certificate made once under
/// `state/apiserver/tls`) unless `--insecure-http`, and a bearer token required either way.
fn server_config(state: &Path, args: &Args) -> Config {
    let mut config = Config::new(state.join("apiserver"));
    config.listen = args.listen;
    config.tls = !args.insecure_http;
    config.require_token = true;
    config.tls_hosts = args.tls_hosts.clone();
    config
}

/// Creates or replaces every CRD, then waits until the control plane serves them.
pub(crate) async fn install_crds(client: &kube::Client) -> anyhow::Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in patchwarden_api::crds::all() {
        let name = crd.name_any();
        match api.get_opt(&name).await? {
            None => {
                api.create(&PostParams::default(), &crd)
                    .await
                    .with_context(|| format!("creating CRD {name}"))?;
            }
            Some(existing) => {
                let mut updated = crd.clone();
                updated.metadata.resource_version = existing.metadata.resource_version.clone();
                api.replace(&name, &PostParams::default(), &updated)
                    .await
                    .with_context(|| format!("updating CRD {name}"))?;
            }
        }
    }
    wait_until_served(client).await
}

async fn wait_until_served(client: &kube::Client) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let policies: Api<PatchPolicy> = Api::all(client.clone());
        let runs: Api<PatchRun> = Api::all(client.clone());
        if policies.list(&ListParams::default().limit(1)).await.is_ok()
            && runs.list(&ListParams::default().limit(1)).await.is_ok()
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the CRDs were not served within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Step 3: syncs the repository once, so the resources exist before the controllers start.
/// A failed or rejected sync is reported, not fatal: the periodic sync retries.
pub(super) async fn sync_repository(
    client: &kube::Client,
    args: &Args,
    state: &Path,
) -> anyhow::Result<GitSync> {
    progress(3, &format!("syncing {}", args.repo));
    let spec = git_source_spec(&args.repo, args.branch.clone())?;
    let sync = GitSync::new(
        client.clone(),
        spec,
        SyncSettings {
            default_namespace: String::from("default"),
            status_namespace: String::from("default"),
            cache_dir: state.join("git"),
            prune: true,
            allowed_kinds: patchwarden_gitops::sync::AllowedKinds::default(),
        },
    )?;
    report_sync(sync.sync_once().await, args.sync_interval);
    Ok(sync)
}

fn report_sync(outcome: Result<SyncOutcome, SyncError>, sync_interval: u64) {
    match outcome {
        Ok(SyncOutcome::Applied {
            revision, applied, ..
        }) => eprintln!(
            "      applied {} resources from {}",
            applied.len(),
            revision
        ),
        Ok(SyncOutcome::Rejected {
            problems,
            last_applied_revision,
            ..
        }) => {
            eprintln!(
                "      the repository's revision is invalid; keeping {last_applied_revision:?}:"
            );
            for problem in problems {
                eprintln!("        {problem}");
            }
        }
        Err(err) => eprintln!("      sync failed (retrying every {sync_interval} s): {err}"),
    }
}

/// The controllers and the periodic sync, running, and the one stop signal they share.
pub(super) struct Controllers {
    stop: watch::Sender<bool>,
    /// True once Ctrl-C/SIGTERM arrived or [`Controllers::stop`] began.
    pub(super) shutdown: watch::Receiver<bool>,
    operator: JoinHandle<anyhow::Result<()>>,
    syncing: JoinHandle<()>,
}

/// Step 4: starts the controllers (lab fleets under `state/labs`) and the sync, which runs
/// every `--sync-interval`, when a local repository's refs change, and on webhook pushes.
pub(super) fn controllers(
    client: &kube::Client,
    state: &Path,
    sync: GitSync,
    args: &Args,
) -> anyhow::Result<Controllers> {
    progress(
        4,
        &format!(
            "starting the controllers (lab fleets under {})",
            state.join("labs").display()
        ),
    );
    let trigger = Arc::new(tokio::sync::Notify::new());
    let watch = triggers::watch_if_local(sync.spec(), &trigger);
    let mut options = operator_options(state);
    if let Some(path) = &args.webhook_secret_file {
        let secret = triggers::secret_from_file(path)?;
        options.extra_routes = Some(triggers::webhook_routes(sync.spec(), secret, &trigger));
        options.metrics_addr = Some(args.http_addr);
    }
    let source = sync.spec().name.clone();
    let (stop, shutdown) = stop_signal();
    let operator_client = client.clone();
    let operator_shutdown = shutdown.clone();
    let operator = tokio::spawn(async move {
        let agents = crate::cli::agent::channel::status_executor(
            &operator_client,
            patchwarden_executor::AgentTimeouts::default(),
        );
        run_operator_with_agents(
            operator_client,
            options,
            Some(agents),
            operator_shutdown,
            |addr| {
                println!("webhook-url=http://{addr}/hooks/git/{source}");
            },
        )
        .await
    });
    let interval = Duration::from_secs(args.sync_interval.max(1));
    let syncing = tokio::spawn(async move {
        // The watch lives as long as the sync it triggers.
        let _watch = watch;
        sync.run(interval, trigger).await
    });
    Ok(Controllers {
        stop,
        shutdown,
        operator,
        syncing,
    })
}

/// One stop signal for everything: Ctrl-C/SIGTERM, or settling with --exit-when-settled.
fn stop_signal() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    let (stop, shutdown) = watch::channel(false);
    let mut signals = shutdown_on_signals();
    let forward = stop.clone();
    tokio::spawn(async move {
        while signals.changed().await.is_ok() {
            if *signals.borrow() {
                let _ = forward.send(true);
                break;
            }
        }
    });
    (stop, shutdown)
}

fn operator_options(state: &Path) -> OperatorOptions {
    let labs = state.join("labs");
    OperatorOptions {
        namespace: None,
        lease_namespace: String::from("default"),
        lease_name: String::from("patchwarden-up"),
        identity: default_identity(),
        lease_timing: LeaseTiming {
            // One process: a lease left by a killed run is taken over quickly.
            lease_duration: Duration::from_secs(4),
            renew_deadline: Duration::from_secs(3),
            retry_period: Duration::from_secs(1),
        },
        metrics_addr: None,
        extra_routes: None,
        lab_root: Some(labs.clone()),
        feed_base: Some(labs),
        evidence_key: crate::controllers::evidence::KeySource::File(state.join("evidence-key")),
    }
}

impl Controllers {
    /// Stops the periodic sync, then the controllers (given 15 s to finish what they are
    /// doing), then the control plane, and says how to resume.
    pub(super) async fn stop(self, plane: ControlPlane, state: &Path) {
        self.syncing.abort();
        let _ = self.stop.send(true);
        match tokio::time::timeout(Duration::from_secs(15), self.operator).await {
            Ok(Ok(Err(err))) => eprintln!("controllers stopped with an error: {err:#}"),
            Ok(_) => {}
            Err(_) => eprintln!("controllers did not stop within 15 s"),
        }
        plane.server.shutdown().await;
        eprintln!(
            "stopped; run the same command again to resume from {}",
            state.display()
        );
    }
}
