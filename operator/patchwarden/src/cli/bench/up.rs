//! `patchwarden bench up`: how long `patchwarden up --exit-when-settled` takes on a fresh
//! state directory, as a user starting the quickstart sees it — to the first policy status
//! with compliance counted, and to the exit once every policy has settled — beside the
//! reference measured in the same run: creating the lab fleet alone, the part of the start
//! that is building packages and dpkg roots rather than waiting.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kube::Api;
use kube::api::ListParams;
use patchwarden_api::PatchPolicy;

use super::fleet_processes::Child;
use super::latency::{LatencySummary, summarize};

/// The quickstart fleet's size (`examples/quickstart/fleet.yaml`), for the reference lab.
const QUICKSTART_HOSTS: usize = 6;

/// Arguments of `patchwarden bench up`.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// The repository `up` runs (a local path).
    #[arg(long, default_value = "examples/quickstart")]
    pub repo: String,
    /// How many fresh starts to measure.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Give up on a start after this many seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The figures of all starts.
#[derive(Debug, serde::Serialize)]
struct Report {
    first_status: LatencySummary,
    settled: LatencySummary,
    /// The reference: a lab fleet of the same size created alone.
    lab_creation: LatencySummary,
}

/// One start's figures.
struct Start {
    first_status: Duration,
    settled: Duration,
}

/// Runs `patchwarden bench up`.
pub fn run(args: UpArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(measure(args))
}

async fn measure(args: UpArgs) -> anyhow::Result<ExitCode> {
    let repo = std::fs::canonicalize(&args.repo)
        .with_context(|| format!("resolving the repository {}", args.repo))?;
    let (mut first, mut settled, mut lab) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=args.runs {
        let scratch = tempfile::tempdir().context("creating a scratch directory")?;
        let start = start_once(&repo, scratch.path(), Duration::from_secs(args.timeout)).await?;
        let lab_started = Instant::now();
        create_lab(&scratch.path().join("reference-lab"))?;
        let lab_took = lab_started.elapsed();
        eprintln!(
            "start {round}/{}: first status {:.2} s, settled {:.2} s (lab alone {:.2} s)",
            args.runs,
            start.first_status.as_secs_f64(),
            start.settled.as_secs_f64(),
            lab_took.as_secs_f64()
        );
        first.push(start.first_status);
        settled.push(start.settled);
        lab.push(lab_took);
    }
    let report = Report {
        first_status: summarize(&first).context("no start measured")?,
        settled: summarize(&settled).context("no start measured")?,
        lab_creation: summarize(&lab).context("no start measured")?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// One `up --exit-when-settled` on a fresh state directory under `scratch`.
async fn start_once(repo: &Path, scratch: &Path, timeout: Duration) -> anyhow::Result<Start> {
    let exe = std::env::current_exe().context("locating the patchwarden executable")?;
    let state = scratch.join("state");
    let log = scratch.join("up.log");
    let mut command = Command::new(exe);
    command
        .arg("up")
        .arg("--repo")
        .arg(repo)
        .arg("--state-dir")
        .arg(&state)
        .args(["--listen", "127.0.0.1:0", "--exit-when-settled"])
        .args(["--settle-timeout", &timeout.as_secs().to_string()]);
    let started = Instant::now();
    let mut up = Child::spawn("up", command, &log)?;
    let client = client_when_ready(&mut up, &state.join("kubeconfig"), &log, timeout).await?;
    let policies: Api<PatchPolicy> = Api::all(client);
    let first_status = loop {
        let listed = policies.list(&ListParams::default()).await;
        if let Ok(list) = listed
            && list
                .items
                .iter()
                .any(|p| p.status.as_ref().is_some_and(|s| s.compliance.is_some()))
        {
            break started.elapsed();
        }
        check_running(&mut up, started, timeout, &log)?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    loop {
        if let Some(status) = up.exit_status() {
            if !status.success() {
                bail!("up exited with {status}; see {}", log.display());
            }
            return Ok(Start {
                first_status,
                settled: started.elapsed(),
            });
        }
        check_running(&mut up, started, timeout, &log)?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A client of `up`'s control plane once its kubeconfig is written and readable.
async fn client_when_ready(
    up: &mut Child,
    kubeconfig: &Path,
    log: &Path,
    timeout: Duration,
) -> anyhow::Result<kube::Client> {
    let started = Instant::now();
    loop {
        if kubeconfig.exists()
            && let Ok(client) =
                crate::cli::operator::client_from_kubeconfig(Some(kubeconfig), None).await
        {
            return Ok(client);
        }
        check_running(up, started, timeout, log)?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn check_running(
    up: &mut Child,
    started: Instant,
    timeout: Duration,
    log: &Path,
) -> anyhow::Result<()> {
    if let Some(status) = up.exit_status() {
        bail!("up exited early with {status}; see {}", log.display());
    }
    if started.elapsed() > timeout {
        bail!(
            "up did not settle within {} s; see {}",
            timeout.as_secs(),
            log.display()
        );
    }
    Ok(())
}

/// The reference: the quickstart's lab (six hosts) created alone.
fn create_lab(dir: &Path) -> anyhow::Result<()> {
    let delta = patchwarden_lab::LabDelta::embedded()?;
    let spec = patchwarden_lab::LabSpec::new(QUICKSTART_HOSTS);
    patchwarden_lab::Lab::create(dir, &delta, &spec).context("creating the reference lab")?;
    Ok(())
}

fn print_table(report: &Report) {
    println!(
        "{:<34} {:>8} {:>8} {:>8} {:>8}",
        "patchwarden up (fresh state)", "starts", "p50 s", "p95 s", "max s"
    );
    for (label, summary) in [
        ("first policy status", &report.first_status),
        ("every policy settled (exit)", &report.settled),
        ("reference: lab fleet created alone", &report.lab_creation),
    ] {
        println!(
            "{:<34} {:>8} {:>8.2} {:>8.2} {:>8.2}",
            label,
            summary.samples,
            summary.p50_ms / 1000.0,
            summary.p95_ms / 1000.0,
            summary.max_ms / 1000.0
        );
    }
}
