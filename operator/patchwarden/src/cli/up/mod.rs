//! `patchwarden up`: the whole product on one machine — the embedded control plane (SQLite
//! under the state directory), the CRDs, Git sync of a repository of resources, the
//! controllers, and the lab fleets the repository declares. Running it again resumes from
//! the state directory. With `--exit-when-settled` it waits until every policy has settled,
//! prints a summary table and exits (non-zero when anything is Degraded or Stalled).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

mod preflight;
mod settle;
mod source;
mod start;
mod summary;
pub mod triggers;

pub use source::git_source_spec;
pub(crate) use start::install_crds;

/// Arguments of `patchwarden up`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The repository of resources: a local path (a repository or a directory inside one)
    /// or a URL.
    #[arg(long)]
    pub repo: String,
    /// Branch to follow (default: the repository's current branch, or `main` for URLs).
    #[arg(long)]
    pub branch: Option<String>,
    /// Where the control plane's database, the kubeconfig, Git mirrors and lab fleets live.
    #[arg(long, default_value = ".patchwarden")]
    pub state_dir: PathBuf,
    /// Address of the embedded API server (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:6443")]
    pub listen: SocketAddr,
    /// Serve plain HTTP instead of TLS (loopback `--listen` only). Requests must still carry
    /// the kubeconfig's bearer token, which kubectl only sends over TLS: this is for clients
    /// that send it over HTTP.
    #[arg(long)]
    pub insecure_http: bool,
    /// Another DNS name or IP address the API server's certificate is for, beside localhost,
    /// 127.0.0.1, ::1 and the listen address (repeatable).
    #[arg(long = "tls-host", value_name = "NAME")]
    pub tls_hosts: Vec<String>,
    /// Seconds between syncs of the repository. A local repository is also synced as soon
    /// as its refs change, and any repository when the webhook receives a push.
    #[arg(long, default_value_t = 30)]
    pub sync_interval: u64,
    /// Serve the Git webhook receiver (`POST /hooks/git/<source>`) with the token in this
    /// file, on `--http-addr` beside `/metrics` and `/healthz`.
    #[arg(long)]
    pub webhook_secret_file: Option<PathBuf>,
    /// Address of the `/metrics`, `/healthz` and webhook server when `--webhook-secret-file`
    /// is given (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// Exit once every policy has settled, after printing a summary table; the exit code is
    /// non-zero when anything is Degraded or Stalled.
    #[arg(long)]
    pub exit_when_settled: bool,
    /// With `--exit-when-settled`: give up (exit 1) after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub settle_timeout: u64,
}

/// The steps `up` announces on standard error.
const STEPS: usize = 5;

fn progress(step: usize, message: &str) {
    eprintln!("[{step}/{STEPS}] {message}");
}

/// Runs `patchwarden up`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    preflight::check_required_tools()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(up(args))
}

async fn up(args: Args) -> anyhow::Result<ExitCode> {
    let state = preflight::state_dir(&args.state_dir)?;
    let plane = start::control_plane(&state, &args).await?;
    let sync = start::sync_repository(&plane.client, &args, &state).await?;
    let controllers = start::controllers(&plane.client, &state, sync, &args)?;

    progress(
        5,
        if args.exit_when_settled {
            "running until every policy has settled"
        } else {
            "running; Ctrl-C stops"
        },
    );
    let shutdown = controllers.shutdown.clone();
    let code = if args.exit_when_settled {
        let timeout = Duration::from_secs(args.settle_timeout);
        settle::wait_until_settled(&plane.client, shutdown, timeout).await?
    } else {
        settle::report_until_stopped(&plane.client, shutdown).await;
        ExitCode::SUCCESS
    };
    controllers.stop(plane, &state).await;
    Ok(code)
}
