//! `patchwarden bench git`: how long a commit takes to show in status — from the commit to
//! the changed MaintenanceWindow's `status.observedGeneration` — with the sync interval at
//! its default (30 s), for three ways of learning about the commit, in one run:
//!
//! - **local watch**: the repository is a local path, its refs watched with inotify;
//! - **webhook**: the repository is read as a `file://` URL through a mirror, and a signed
//!   GitHub push event is sent to the receiver right after the commit;
//! - **interval only** (the reference, before triggers existed): nothing but the interval;
//!   each of its commits waits a pseudo-random part of the interval first, so commits land
//!   at every phase of it.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use patchwarden_gitops::source::GitReference;
use patchwarden_gitops::sync::{AllowedKinds, GitSourceSpec, GitSync, SyncSettings};
use patchwarden_gitops::trigger::local_watch::watch_local_repository;
use patchwarden_gitops::trigger::{WebhookSecret, WebhookTarget, webhook_router};
use tokio::sync::Notify;

use super::git_env::{BenchPlane, BenchRepo, NAMESPACE, send_push};
use super::latency::{LatencySummary, summarize};
use super::split_mix::SplitMix;

/// Arguments of `patchwarden bench git`.
#[derive(Debug, clap::Args)]
pub struct GitArgs {
    /// Commits measured with the local watch and with the webhook.
    #[arg(long, default_value_t = 20)]
    pub commits: usize,
    /// Commits measured with the interval only (each takes up to a whole interval).
    #[arg(long, default_value_t = 6)]
    pub reference_commits: usize,
    /// Seconds between syncs, as `up --sync-interval`.
    #[arg(long, default_value_t = 30)]
    pub sync_interval: u64,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// How a scenario's sync learns about a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Learning {
    LocalWatch,
    Webhook,
    IntervalOnly,
}

impl Learning {
    fn label(self) -> &'static str {
        match self {
            Self::LocalWatch => "local watch",
            Self::Webhook => "webhook",
            Self::IntervalOnly => "interval only (reference)",
        }
    }

    fn source_name(self) -> &'static str {
        match self {
            Self::LocalWatch => "bench-watch",
            Self::Webhook => "bench-webhook",
            Self::IntervalOnly => "bench-interval",
        }
    }
}

/// One scenario's result.
#[derive(Debug, serde::Serialize)]
struct ScenarioResult {
    scenario: &'static str,
    #[serde(flatten)]
    latency: LatencySummary,
}

const WEBHOOK_SECRET: &[u8] = b"bench-webhook-token";

/// Runs `patchwarden bench git`.
pub(super) fn run(args: GitArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let results = runtime.block_on(measure_all(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print_table(&args, &results);
    }
    Ok(ExitCode::SUCCESS)
}

async fn measure_all(args: &GitArgs) -> anyhow::Result<Vec<ScenarioResult>> {
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let webhook_trigger = Arc::new(Notify::new());
    let target = WebhookTarget {
        reference: GitReference::Branch(String::from("main")),
        secret: WebhookSecret::new(WEBHOOK_SECRET.to_vec()),
        trigger: webhook_trigger.clone(),
    };
    let routes = webhook_router(BTreeMap::from([(
        Learning::Webhook.source_name().to_string(),
        target,
    )]));
    let plane = BenchPlane::start(dir.path(), routes).await?;
    let mut results = Vec::new();
    let scenarios = [
        (Learning::LocalWatch, args.commits),
        (Learning::Webhook, args.commits),
        (Learning::IntervalOnly, args.reference_commits),
    ];
    let mut outcome = Ok(());
    for (learning, commits) in scenarios.into_iter().filter(|(_, n)| *n > 0) {
        let trigger = match learning {
            Learning::Webhook => webhook_trigger.clone(),
            _ => Arc::new(Notify::new()),
        };
        match measure(&plane, dir.path(), args, learning, commits, trigger).await {
            Ok(samples) => results.extend(summarize(&samples).map(|latency| ScenarioResult {
                scenario: learning.label(),
                latency,
            })),
            Err(error) => {
                outcome = Err(error.context(format!("scenario {}", learning.label())));
                break;
            }
        }
    }
    plane.stop().await;
    outcome.map(|()| results)
}

/// Measures `commits` commits of one scenario with a sync of its own.
async fn measure(
    plane: &BenchPlane,
    dir: &std::path::Path,
    args: &GitArgs,
    learning: Learning,
    commits: usize,
    trigger: Arc<Notify>,
) -> anyhow::Result<Vec<Duration>> {
    let name = learning.source_name();
    let repo_dir = dir.join(name);
    std::fs::create_dir_all(&repo_dir)?;
    let repo = BenchRepo::create(&repo_dir, name)?;
    repo.commit_window(60)?;
    let url = match learning {
        Learning::Webhook => format!("file://{}", repo.path().display()),
        _ => repo.path().display().to_string(),
    };
    let sync = GitSync::new(
        plane.client.clone(),
        GitSourceSpec {
            name: name.to_string(),
            url,
            reference: GitReference::Branch(String::from("main")),
            path: None,
        },
        SyncSettings {
            default_namespace: NAMESPACE.to_string(),
            status_namespace: NAMESPACE.to_string(),
            cache_dir: dir.join("git"),
            prune: true,
            allowed_kinds: AllowedKinds::default(),
        },
    )?;
    let _watch = match learning {
        Learning::LocalWatch => Some(watch_local_repository(repo.path(), trigger.clone())?),
        _ => None,
    };
    let interval = Duration::from_secs(args.sync_interval.max(1));
    let syncing = tokio::spawn(async move { sync.run(interval, trigger).await });
    let result = commit_and_time(plane, &repo, learning, commits, interval).await;
    syncing.abort();
    result
}

/// The timed loop: commit, (send the push), wait until the status observes the change.
async fn commit_and_time(
    plane: &BenchPlane,
    repo: &BenchRepo,
    learning: Learning,
    commits: usize,
    interval: Duration,
) -> anyhow::Result<Vec<Duration>> {
    // Up to two intervals (with their jitter) plus the pass itself.
    let timeout = interval * 2 + Duration::from_secs(30);
    let mut generation = plane.wait_observed(&repo.window, 0, timeout).await?;
    let mut phases = SplitMix(0x5eed);
    let mut samples = Vec::with_capacity(commits);
    for minutes in (61..).take(commits) {
        if learning == Learning::IntervalOnly {
            let interval_ms = interval.as_millis().max(1) as usize;
            tokio::time::sleep(Duration::from_millis(phases.below(interval_ms) as u64)).await;
        } else {
            // Let the previous pass finish, as separate pushes would.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let started = Instant::now();
        repo.commit_window(minutes)?;
        if learning == Learning::Webhook {
            let status = send_push(plane.http_addr, learning.source_name(), WEBHOOK_SECRET).await?;
            anyhow::ensure!(status == 200, "the webhook receiver answered {status}");
        }
        generation = plane
            .wait_observed(&repo.window, generation, timeout)
            .await?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

fn print_table(args: &GitArgs, results: &[ScenarioResult]) {
    println!(
        "commit → MaintenanceWindow status.observedGeneration, sync interval {} s",
        args.sync_interval
    );
    println!(
        "{:<28} {:>7} {:>10} {:>10} {:>10}",
        "scenario", "commits", "p50", "p95", "max"
    );
    for result in results {
        let latency = &result.latency;
        println!(
            "{:<28} {:>7} {:>8.0}ms {:>8.0}ms {:>8.0}ms",
            result.scenario, latency.samples, latency.p50_ms, latency.p95_ms, latency.max_ms
        );
    }
}
