//! `patchwarden up`: the whole product on one machine — the embedded control plane (SQLite
//! under the state directory), the CRDs, Git sync of a repository of resources, the
//! controllers, and the lab fleets the repository declares. Running it again resumes from
//! the state directory. With `--exit-when-settled` it waits until every policy has settled,
//! prints a summary table and exits (non-zero when anything is Degraded or Stalled).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ListParams, PostParams};
use kube::{Api, ResourceExt};
use patchwarden_api::conditions as c;
use patchwarden_api::{PatchPolicy, PatchRun};
use patchwarden_apiserver::{ApiServer, Config};
use patchwarden_gitops::source::GitReference;
use patchwarden_gitops::sync::{GitSourceSpec, GitSync, SyncOutcome, SyncSettings};
use tokio::sync::watch;

use crate::cli::operator::{client_from_kubeconfig, shutdown_on_signals};
use crate::controllers::leader::{LeaseTiming, default_identity};
use crate::controllers::{OperatorOptions, run_operator};

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
    /// How often the repository is synced.
    #[arg(long, default_value_t = 30)]
    pub sync_interval: u64,
    /// Exit once every policy has settled, after printing a summary table; the exit code is
    /// non-zero when anything is Degraded or Stalled.
    #[arg(long)]
    pub exit_when_settled: bool,
    /// With `--exit-when-settled`: give up (exit 1) after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub settle_timeout: u64,
}

/// Tools the lab fleet runs; `up` checks them before anything else.
const REQUIRED_TOOLS: [(&str, &str); 4] = [
    ("dpkg", "dpkg"),
    ("dpkg-deb", "dpkg"),
    ("dpkg-query", "dpkg"),
    ("apt-get", "apt"),
];

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

fn progress(step: usize, total: usize, message: &str) {
    eprintln!("[{step}/{total}] {message}");
}

/// Finds the Git repository holding `path`: (repository root, path inside it).
fn locate_repository(path: &Path) -> anyhow::Result<(PathBuf, Option<String>)> {
    let absolute = path
        .canonicalize()
        .with_context(|| format!("--repo {}: no such directory", path.display()))?;
    let mut dir = absolute.as_path();
    loop {
        if dir.join(".git").exists() || (dir.join("HEAD").is_file() && dir.join("objects").is_dir())
        {
            let inside = absolute
                .strip_prefix(dir)
                .ok()
                .map(|p| p.to_string_lossy().into_owned())
                .filter(|p| !p.is_empty());
            return Ok((dir.to_path_buf(), inside));
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => bail!("--repo {}: not inside a Git repository", path.display()),
        }
    }
}

/// The branch a local repository has checked out, if any.
fn current_branch(root: &Path) -> Option<String> {
    let head = std::fs::read_to_string(root.join(".git").join("HEAD"))
        .or_else(|_| std::fs::read_to_string(root.join("HEAD")))
        .ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_string)
}

/// A source name (a DNS label) from the repository location.
fn source_name(location: &str, inside: Option<&str>) -> String {
    let base = inside
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or_else(|| {
            location
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("repo")
        });
    let base = base.trim_end_matches(".git");
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches('-').chars().take(40).collect();
    if name.is_empty() {
        String::from("repo")
    } else {
        name
    }
}

/// The Git source for `--repo` (a URL, a repository, or a directory inside one) and an
/// optional branch (default: the checked-out branch, or `main` for URLs).
pub fn git_source_spec(repo: &str, branch: Option<String>) -> anyhow::Result<GitSourceSpec> {
    let is_url = repo.contains("://") || repo.starts_with("git@");
    let (location, inside) = if is_url {
        (repo.to_string(), None)
    } else {
        let (root, inside) = locate_repository(Path::new(repo))?;
        (root.display().to_string(), inside)
    };
    let branch = branch
        .or_else(|| {
            (!is_url)
                .then(|| current_branch(Path::new(&location)))
                .flatten()
        })
        .unwrap_or_else(|| String::from("main"));
    Ok(GitSourceSpec {
        name: source_name(&location, inside.as_deref()),
        url: location,
        reference: GitReference::Branch(branch),
        path: inside,
    })
}

async fn install_crds(client: &kube::Client) -> anyhow::Result<()> {
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
    // Wait until every kind is served.
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

/// One policy's line of the summary.
struct PolicyRow {
    name: String,
    ready: String,
    compliance: String,
    runs: usize,
    last_run: String,
    findings_closed: usize,
    problem: Option<String>,
}

/// Whether every policy has settled, and the summary rows.
async fn settled(client: &kube::Client) -> anyhow::Result<(bool, Vec<PolicyRow>)> {
    let policies: Api<PatchPolicy> = Api::all(client.clone());
    let runs: Api<PatchRun> = Api::all(client.clone());
    let policies = policies.list(&ListParams::default()).await?.items;
    let runs = runs.list(&ListParams::default()).await?.items;
    let mut all_settled = !policies.is_empty();
    let mut rows = Vec::new();
    for policy in &policies {
        let status = policy.status.clone().unwrap_or_default();
        let ready = c::find_condition(&status.conditions, c::READY);
        let stalled =
            c::find_condition(&status.conditions, c::STALLED).filter(|s| s.status == c::TRUE);
        let degraded =
            c::find_condition(&status.conditions, c::DEGRADED).filter(|s| s.status == c::TRUE);
        let current = status.observed_generation == policy.metadata.generation;
        let in_flight = status.active_run.is_some();
        let waiting = ready.is_some_and(|r| r.reason == c::reason::DEPENDENCY_NOT_READY);
        let done = current
            && !in_flight
            && !waiting
            && ready.is_some()
            && (stalled.is_some()
                || degraded.is_some()
                || ready.is_some_and(|r| r.status == c::TRUE));
        all_settled &= done;
        let own: Vec<&PatchRun> = runs
            .iter()
            .filter(|r| {
                r.namespace() == policy.namespace()
                    && r.spec.policy.as_deref() == Some(policy.name_any().as_str())
            })
            .collect();
        let findings_closed = own
            .iter()
            .filter_map(|r| r.status.as_ref())
            .flat_map(|s| s.assets.iter())
            .map(|a| a.cves_closed.len())
            .sum();
        let last_run = own
            .last()
            .and_then(|r| {
                r.status
                    .as_ref()
                    .map(|s| format!("{} {:?}", r.name_any(), s.phase))
            })
            .unwrap_or_else(|| String::from("-"));
        rows.push(PolicyRow {
            name: format!(
                "{}/{}",
                policy.namespace().unwrap_or_default(),
                policy.name_any()
            ),
            ready: ready
                .map(|r| format!("{} ({})", r.status, r.reason))
                .unwrap_or_else(|| String::from("Unknown")),
            compliance: status
                .compliance
                .as_ref()
                .map(|s| format!("{:.1}% ({}/{})", s.percent, s.compliant, s.assets))
                .unwrap_or_else(|| String::from("-")),
            runs: own.len(),
            last_run,
            findings_closed,
            problem: stalled
                .or(degraded)
                .map(|cond| format!("{}: {}", cond.type_, cond.message)),
        });
    }
    Ok((all_settled, rows))
}

fn print_summary(rows: &[PolicyRow]) {
    let headers = [
        "POLICY",
        "READY",
        "COMPLIANT",
        "RUNS",
        "LAST RUN",
        "FINDINGS CLOSED",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.ready.clone(),
                r.compliance.clone(),
                r.runs.to_string(),
                r.last_run.clone(),
                r.findings_closed.to_string(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.len());
        }
    }
    let mut out = std::io::stdout().lock();
    let line = |out: &mut std::io::StdoutLock<'_>, row: &[String]| {
        let text: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| format!("{cell:<width$}", width = widths[i]))
            .collect();
        let _ = writeln!(out, "{}", text.join("  ").trim_end());
    };
    line(&mut out, &headers.map(String::from));
    for row in &cells {
        line(&mut out, row);
    }
    for row in rows {
        if let Some(problem) = &row.problem {
            let _ = writeln!(out, "{}: {problem}", row.name);
        }
    }
}

/// Runs `patchwarden up`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let missing: Vec<String> = REQUIRED_TOOLS
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(program, package)| format!("{program} (package {package})"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "patchwarden up patches a lab fleet with the real dpkg and apt, but these are not on PATH: {}. On Debian or Ubuntu: sudo apt-get install dpkg apt",
            missing.join(", ")
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(up(args))
}

async fn up(args: Args) -> anyhow::Result<ExitCode> {
    const STEPS: usize = 5;
    std::fs::create_dir_all(&args.state_dir)
        .with_context(|| format!("creating the state directory {}", args.state_dir.display()))?;
    let state = args
        .state_dir
        .canonicalize()
        .with_context(|| format!("resolving {}", args.state_dir.display()))?;
    let resuming = state.join("apiserver").join("state.db").exists();

    progress(
        1,
        STEPS,
        &format!(
            "{} the control plane (SQLite under {})",
            if resuming { "resuming" } else { "starting" },
            state.join("apiserver").display()
        ),
    );
    let mut config = Config::new(state.join("apiserver"));
    config.listen = args.listen;
    let server = ApiServer::start(config)
        .await
        .context("starting the embedded control plane")?;
    // The kubeconfig people use sits at the top of the state directory.
    let kubeconfig = state.join("kubeconfig");
    std::fs::copy(&server.kubeconfig_path, &kubeconfig)
        .with_context(|| format!("writing {}", kubeconfig.display()))?;
    let client = client_from_kubeconfig(Some(&kubeconfig), None).await?;

    progress(2, STEPS, "installing the CustomResourceDefinitions");
    install_crds(&client).await?;
    println!("export KUBECONFIG={}", kubeconfig.display());
    let _ = std::io::stdout().flush();

    progress(3, STEPS, &format!("syncing {}", args.repo));
    let spec = git_source_spec(&args.repo, args.branch.clone())?;
    let sync = GitSync::new(
        client.clone(),
        spec,
        SyncSettings {
            default_namespace: String::from("default"),
            status_namespace: String::from("default"),
            cache_dir: state.join("git"),
            prune: true,
        },
    )?;
    match sync.sync_once().await {
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
        Err(err) => eprintln!(
            "      sync failed (retrying every {} s): {err}",
            args.sync_interval
        ),
    }

    progress(
        4,
        STEPS,
        &format!(
            "starting the controllers (lab fleets under {})",
            state.join("labs").display()
        ),
    );
    // One stop signal for everything: Ctrl-C/SIGTERM, or settling with --exit-when-settled.
    let (stop_tx, shutdown) = watch::channel(false);
    let mut signals = shutdown_on_signals();
    let forward = stop_tx.clone();
    tokio::spawn(async move {
        while signals.changed().await.is_ok() {
            if *signals.borrow() {
                let _ = forward.send(true);
                break;
            }
        }
    });
    let labs = state.join("labs");
    let options = OperatorOptions {
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
        lab_root: Some(labs.clone()),
        feed_base: Some(labs),
    };
    let operator_client = client.clone();
    let operator_shutdown = shutdown.clone();
    let operator = tokio::spawn(async move {
        run_operator(operator_client, options, operator_shutdown, |_| {}).await
    });
    let trigger = std::sync::Arc::new(tokio::sync::Notify::new());
    let interval = Duration::from_secs(args.sync_interval.max(1));
    let syncing = tokio::spawn(async move { sync.run(interval, trigger).await });

    progress(
        5,
        STEPS,
        if args.exit_when_settled {
            "running until every policy has settled"
        } else {
            "running; Ctrl-C stops"
        },
    );
    let code = if args.exit_when_settled {
        wait_until_settled(
            &client,
            shutdown.clone(),
            Duration::from_secs(args.settle_timeout),
        )
        .await?
    } else {
        report_until_stopped(&client, shutdown.clone()).await;
        ExitCode::SUCCESS
    };
    syncing.abort();
    let _ = stop_tx.send(true);
    match tokio::time::timeout(Duration::from_secs(15), operator).await {
        Ok(Ok(Err(err))) => eprintln!("controllers stopped with an error: {err:#}"),
        Ok(_) => {}
        Err(_) => eprintln!("controllers did not stop within 15 s"),
    }
    server.shutdown().await;
    eprintln!(
        "stopped; run the same command again to resume from {}",
        state.display()
    );
    Ok(code)
}

/// Prints a line whenever the policies' standing changes, until Ctrl-C.
async fn report_until_stopped(client: &kube::Client, mut shutdown: watch::Receiver<bool>) {
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    loop {
        if let Ok((_, rows)) = settled(client).await {
            for row in rows {
                let line = format!(
                    "{} ready={} compliant={} last run={}",
                    row.name, row.ready, row.compliance, row.last_run
                );
                if last.get(&row.name) != Some(&line) {
                    eprintln!("      {line}");
                    last.insert(row.name.clone(), line);
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

async fn wait_until_settled(
    client: &kube::Client,
    shutdown: watch::Receiver<bool>,
    timeout: Duration,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // Settled twice in a row, two seconds apart: a policy between two runs is not settled.
    let mut streak = 0;
    loop {
        let (done, rows) = settled(client).await?;
        streak = if done { streak + 1 } else { 0 };
        if streak >= 2 {
            print_summary(&rows);
            let failed = rows.iter().any(|r| r.problem.is_some());
            return Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        if *shutdown.borrow() {
            print_summary(&rows);
            return Ok(ExitCode::from(1));
        }
        if started.elapsed() > timeout {
            print_summary(&rows);
            eprintln!("not settled within {} s", timeout.as_secs());
            return Ok(ExitCode::from(1));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_are_dns_labels_from_the_directory() {
        assert_eq!(
            source_name("/repo", Some("examples/quickstart")),
            "quickstart"
        );
        assert_eq!(
            source_name("https://example.com/org/Fleet_Config.git", None),
            "fleet-config"
        );
    }
}
