//! `patchwarden bench fleet`: the operator at fleet scale. The control plane
//! (`patchwarden apiserver`) and the operator (this executable with `--operator-child`, its
//! `agent` assets answered by the simulated fleet of [`super::simulated_fleet`]) run as two
//! child processes, so that the CPU time and peak memory of each are read from `/proc`.
//!
//! Measured: cold start (the operator started over a control plane already holding the
//! assets, feeds, windows, groups and policies) until every policy's status counts all its
//! members assessed; one feed change (an advisory appended to the OSV feed, the feed asked to
//! reconcile) until every policy's open findings count it, and until the last write it causes
//! (5 s without one); the CPU of each process over an idle period after that; the peak RSS
//! of each.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::watch;

use super::fleet_objects::{
    append_new_advisory, create_assets, create_configuration, new_advisory_installed, write_feeds,
};
use super::fleet_processes::{Child, ProcessSample, spawn_apiserver, spawn_operator};
use super::fleet_status::{PolicyProgress, annotate_feed, wait_for_policies, wait_until_quiet};
use super::simulated_fleet::SimulatedFleet;
use crate::cli::operator::client_from_kubeconfig;
use crate::controllers::leader::{LeaseTiming, default_identity};
use crate::controllers::{OperatorOptions, run_operator_with_agents};

/// How long the control plane must take no write before the idle CPU is measured.
const QUIET: Duration = Duration::from_secs(5);

/// Arguments of `patchwarden bench fleet`.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// Assets in the fleet.
    #[arg(long, default_value_t = 10_000)]
    pub assets: usize,
    /// Probability that a package with a pending security update has its real fixed version.
    #[arg(long, default_value_t = 0.3)]
    pub variation: f64,
    /// The shared data folder (dpkg database, security delta, KEV, EPSS).
    #[arg(long, default_value = "../shared/data")]
    pub data_dir: PathBuf,
    /// Seconds of the idle CPU measurement.
    #[arg(long, default_value_t = 60)]
    pub idle_seconds: u64,
    /// Give up waiting for status after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout_seconds: u64,
    /// Keep the scratch directory (control plane data, feeds, operator log) here.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Internal: run the operator with the simulated fleet against this kubeconfig.
    #[arg(long, hide = true)]
    pub operator_child: Option<PathBuf>,
    /// Internal: the operator's feed directory.
    #[arg(long, hide = true)]
    pub feed_base: Option<PathBuf>,
}

/// The figures of one run.
#[derive(Debug, serde::Serialize)]
struct FleetFigures {
    assets: usize,
    /// Filling the control plane (not part of the cold start).
    fill_seconds: f64,
    cold_start_seconds: f64,
    feed_change_seconds: f64,
    /// From the feed change to the last write it caused (every Asset's status written).
    writes_done_seconds: f64,
    idle_seconds: f64,
    operator_idle_cpu_percent: f64,
    apiserver_idle_cpu_percent: f64,
    operator_peak_rss_mib: f64,
    apiserver_peak_rss_mib: f64,
    operator_cpu_seconds_total: f64,
    apiserver_cpu_seconds_total: f64,
    policies: Vec<PolicyProgress>,
}

/// Runs `patchwarden bench fleet` (or, with `--operator-child`, the operator it measures).
pub(super) fn run(args: FleetArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    if let Some(kubeconfig) = &args.operator_child {
        runtime.block_on(operator_child(&args, kubeconfig))?;
        return Ok(ExitCode::SUCCESS);
    }
    let scratch = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            Scratch::Kept(dir.clone())
        }
        None => Scratch::Temporary(tempfile::tempdir().context("creating a scratch directory")?),
    };
    let figures = runtime.block_on(measure(&args, scratch.path()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print_table(&figures);
    }
    Ok(ExitCode::SUCCESS)
}

enum Scratch {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl Scratch {
    fn path(&self) -> &Path {
        match self {
            Scratch::Kept(path) => path,
            Scratch::Temporary(dir) => dir.path(),
        }
    }
}

async fn measure(args: &FleetArgs, dir: &Path) -> anyhow::Result<FleetFigures> {
    let feed_base = dir.join("feeds");
    write_feeds(&args.data_dir, &feed_base)?;
    let apiserver = spawn_apiserver(dir).await?;
    let client = client_from_kubeconfig(Some(&apiserver.kubeconfig), None).await?;
    crate::cli::up::install_crds(&client).await?;
    let filling = Instant::now();
    create_configuration(&client).await?;
    create_assets(&client, args.assets, 16).await?;
    let fill_seconds = filling.elapsed().as_secs_f64();
    eprintln!("filled the control plane in {fill_seconds:.1} s");

    let timeout = Duration::from_secs(args.timeout_seconds);
    let operator = spawn_operator(args, dir, &apiserver.kubeconfig, &feed_base)?;
    let started = Instant::now();
    let cold = wait_for_policies(&client, args.assets, None, timeout).await?;
    let cold_start_seconds = started.elapsed().as_secs_f64();
    eprintln!("cold start: {cold_start_seconds:.1} s");

    // Let the controllers finish what the cold start queued before the feed changes.
    wait_until_quiet(&client, QUIET, timeout).await?;
    append_new_advisory(&feed_base, &new_advisory_installed(&args.data_dir)?)?;
    let changed = Instant::now();
    annotate_feed(&client).await?;
    let after = wait_for_policies(&client, args.assets, Some(&cold), timeout).await?;
    let feed_change_seconds = changed.elapsed().as_secs_f64();
    eprintln!("feed change: {feed_change_seconds:.2} s");

    let last_write = wait_until_quiet(&client, QUIET, timeout).await?;
    let writes_done_seconds = last_write.duration_since(changed).as_secs_f64();
    eprintln!("feed change: last write after {writes_done_seconds:.2} s");
    let (operator_idle, apiserver_idle) = idle(&operator, &apiserver.child, args).await?;
    let operator_end = operator.sample()?;
    let apiserver_end = apiserver.child.sample()?;
    Ok(FleetFigures {
        assets: args.assets,
        fill_seconds,
        cold_start_seconds,
        feed_change_seconds,
        writes_done_seconds,
        idle_seconds: args.idle_seconds as f64,
        operator_idle_cpu_percent: operator_idle,
        apiserver_idle_cpu_percent: apiserver_idle,
        operator_peak_rss_mib: operator_end.peak_rss_mib,
        apiserver_peak_rss_mib: apiserver_end.peak_rss_mib,
        operator_cpu_seconds_total: operator_end.cpu_seconds,
        apiserver_cpu_seconds_total: apiserver_end.cpu_seconds,
        policies: after,
    })
}

/// CPU of each process, in percent of one core, over the idle period.
async fn idle(operator: &Child, apiserver: &Child, args: &FleetArgs) -> anyhow::Result<(f64, f64)> {
    let before = (operator.sample()?, apiserver.sample()?);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.idle_seconds.max(1))).await;
    let wall = started.elapsed().as_secs_f64();
    let after = (operator.sample()?, apiserver.sample()?);
    let percent =
        |a: &ProcessSample, b: &ProcessSample| 100.0 * (b.cpu_seconds - a.cpu_seconds) / wall;
    Ok((percent(&before.0, &after.0), percent(&before.1, &after.1)))
}

/// The operator the bench measures: every controller, with the simulated fleet answering for
/// `agent` assets, until SIGTERM.
async fn operator_child(args: &FleetArgs, kubeconfig: &Path) -> anyhow::Result<()> {
    let fleet = SimulatedFleet::load(&args.data_dir, args.variation)?;
    let client = client_from_kubeconfig(Some(kubeconfig), None).await?;
    let dir = kubeconfig
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let options = OperatorOptions {
        namespace: None,
        lease_namespace: super::git_env::NAMESPACE.to_string(),
        lease_name: String::from("patchwarden-bench-fleet"),
        identity: default_identity(),
        lease_timing: LeaseTiming {
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        },
        metrics_addr: None,
        extra_routes: None,
        lab_root: None,
        feed_base: args.feed_base.clone(),
        evidence_key: crate::controllers::evidence::KeySource::File(dir.join("evidence-key")),
    };
    let (stop, shutdown) = watch::channel(false);
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    tokio::spawn(async move {
        terminate.recv().await;
        let _ = stop.send(true);
    });
    run_operator_with_agents(client, options, Some(Arc::new(fleet)), shutdown, |_| {}).await
}

fn print_table(figures: &FleetFigures) {
    println!("operator at {} assets", figures.assets);
    println!(
        "  fill the control plane (not timed below)  {:>8.1} s",
        figures.fill_seconds
    );
    println!(
        "  cold start → every policy's status        {:>8.1} s",
        figures.cold_start_seconds
    );
    println!(
        "  feed change → affected policies' status   {:>8.2} s",
        figures.feed_change_seconds
    );
    println!(
        "  feed change → its last write (every Asset) {:>8.2} s",
        figures.writes_done_seconds
    );
    println!(
        "  idle CPU over {:.0} s: operator {:.2} %, control plane {:.2} % of one core",
        figures.idle_seconds, figures.operator_idle_cpu_percent, figures.apiserver_idle_cpu_percent
    );
    println!(
        "  peak RSS: operator {:.0} MiB, control plane {:.0} MiB, together {:.0} MiB",
        figures.operator_peak_rss_mib,
        figures.apiserver_peak_rss_mib,
        figures.operator_peak_rss_mib + figures.apiserver_peak_rss_mib
    );
    println!(
        "  CPU over the whole run: operator {:.1} s, control plane {:.1} s",
        figures.operator_cpu_seconds_total, figures.apiserver_cpu_seconds_total
    );
    for policy in &figures.policies {
        println!(
            "  policy {:<12} {:>6} assets, {:>8} open findings",
            policy.name, policy.assets, policy.open_findings
        );
    }
}
