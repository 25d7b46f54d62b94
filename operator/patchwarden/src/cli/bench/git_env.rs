//! What `patchwarden bench git` measures against, all in this process: the embedded control
//! plane with the CRDs, the controllers serving the webhook receiver beside `/metrics`, Git
//! repositories whose commits change one MaintenanceWindow, and a raw HTTP sender of signed
//! push events.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kube::Api;
use patchwarden_api::MaintenanceWindow;
use patchwarden_apiserver::{ApiServer, Config, RunningServer};
use patchwarden_gitops::git2;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::cli::operator::client_from_kubeconfig;
use crate::cli::up::install_crds;
use crate::controllers::leader::{LeaseTiming, default_identity};
use crate::controllers::{OperatorOptions, run_operator};

/// The namespace everything is declared in.
pub(super) const NAMESPACE: &str = "default";

/// The control plane and the controllers, running.
pub(super) struct BenchPlane {
    server: RunningServer,
    pub(super) client: kube::Client,
    /// Where `/metrics`, `/healthz` and `/hooks/git/<source>` are served.
    pub(super) http_addr: SocketAddr,
    stop: watch::Sender<bool>,
    operator: JoinHandle<anyhow::Result<()>>,
}

impl BenchPlane {
    /// Starts the control plane under `dir` and the controllers with `routes` served.
    pub(super) async fn start(dir: &Path, routes: axum::Router) -> anyhow::Result<Self> {
        let mut config = Config::new(dir.join("apiserver"));
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let server = ApiServer::start(config)
            .await
            .context("starting the embedded control plane")?;
        let client = client_from_kubeconfig(Some(&server.kubeconfig_path), None).await?;
        install_crds(&client).await?;
        let options = OperatorOptions {
            namespace: None,
            lease_namespace: NAMESPACE.to_string(),
            lease_name: String::from("patchwarden-bench"),
            identity: default_identity(),
            lease_timing: LeaseTiming {
                lease_duration: Duration::from_secs(4),
                renew_deadline: Duration::from_secs(3),
                retry_period: Duration::from_secs(1),
            },
            metrics_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            extra_routes: Some(routes),
            lab_root: None,
            feed_base: None,
            evidence_key: crate::controllers::evidence::KeySource::File(dir.join("evidence-key")),
        };
        let (stop, shutdown) = watch::channel(false);
        let (bound, bound_addr) = oneshot::channel();
        let operator_client = client.clone();
        let operator = tokio::spawn(async move {
            run_operator(operator_client, options, shutdown, |addr| {
                let _ = bound.send(addr);
            })
            .await
        });
        let http_addr = bound_addr
            .await
            .context("the controllers stopped before serving HTTP")?;
        Ok(Self {
            server,
            client,
            http_addr,
            stop,
            operator,
        })
    }

    /// Stops the controllers, then the control plane.
    pub(super) async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(15), self.operator).await;
        self.server.shutdown().await;
    }

    /// Waits until the window `name` has a generation above `after` and its status observes
    /// it; returns that generation.
    pub(super) async fn wait_observed(
        &self,
        name: &str,
        after: i64,
        timeout: Duration,
    ) -> anyhow::Result<i64> {
        let api: Api<MaintenanceWindow> = Api::namespaced(self.client.clone(), NAMESPACE);
        let started = Instant::now();
        loop {
            if let Some(window) = api.get_opt(name).await? {
                let generation = window.metadata.generation.unwrap_or(0);
                let observed = window.status.and_then(|status| status.observed_generation);
                if generation > after && observed >= Some(generation) {
                    return Ok(generation);
                }
            }
            if started.elapsed() > timeout {
                bail!(
                    "MaintenanceWindow {name}: no generation above {after} observed within {timeout:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A repository whose commits each change the duration of one MaintenanceWindow.
pub(super) struct BenchRepo {
    path: PathBuf,
    repo: git2::Repository,
    pub(super) window: String,
}

impl BenchRepo {
    /// An empty repository at `path` on branch `main`, declaring the window `window`.
    pub(super) fn create(path: &Path, window: &str) -> anyhow::Result<Self> {
        let mut options = git2::RepositoryInitOptions::new();
        options.initial_head("main");
        let repo = git2::Repository::init_opts(path, &options)
            .with_context(|| format!("creating a repository in {}", path.display()))?;
        Ok(Self {
            path: path.canonicalize()?,
            repo,
            window: window.to_string(),
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Commits the window with a duration of `minutes` on `main`.
    pub(super) fn commit_window(&self, minutes: u32) -> anyhow::Result<()> {
        let yaml = format!(
            "apiVersion: patchwarden.io/v1alpha1\nkind: MaintenanceWindow\nmetadata:\n  name: {}\n  namespace: {NAMESPACE}\nspec:\n  schedule: \"0 2 * * SAT\"\n  timeZone: UTC\n  duration: {minutes}m\n",
            self.window
        );
        std::fs::write(self.path.join("window.yaml"), yaml)?;
        let mut index = self.repo.index()?;
        index.add_path(Path::new("window.yaml"))?;
        index.write()?;
        let tree = self.repo.find_tree(index.write_tree()?)?;
        let signature = git2::Signature::now("bench", "bench@patchwarden.invalid")?;
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo.commit(
            Some("HEAD"),
            &signature,
            &signature,
            &format!("window: {minutes}m"),
            &tree,
            &parents,
        )?;
        Ok(())
    }
}

/// Sends a GitHub push event for `refs/heads/main`, signed with `secret`, to the receiver at
/// `addr` for `source`; returns the HTTP status.
pub(super) async fn send_push(
    addr: SocketAddr,
    source: &str,
    secret: &[u8],
) -> anyhow::Result<u16> {
    let body = br#"{"ref":"refs/heads/main"}"#;
    let signature = patchwarden_gitops::trigger::webhook::signature(secret, body);
    let head = format!(
        "POST /hooks/git/{source} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let status_line = String::from_utf8_lossy(&response);
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("the webhook receiver's answer is not HTTP")
}
