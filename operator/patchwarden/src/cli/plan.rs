//! `patchwarden plan`: explain the impact of a change between two Git revisions, for a
//! pull-request comment (Markdown) or a machine (JSON).
//!
//! Exit status: 0 when the head revision is valid, 1 when it is not (the report still
//! lists the problems first), 2 on any other error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use patchwarden_gitops::markdown::render_markdown;
use patchwarden_gitops::plan::{PlanRequest, plan};
use patchwarden_gitops::snapshot::{Snapshot, read_live};
use patchwarden_gitops::source::GitRepository;

/// Output format of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Markdown, for a pull-request comment.
    Markdown,
    /// JSON, for tools.
    Json,
}

/// Arguments of `patchwarden plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Git repository (a local clone; nothing is checked out).
    #[arg(long)]
    pub repo: PathBuf,
    /// The revision the change is based on (branch, tag, commit, `HEAD~1`…).
    #[arg(long)]
    pub base: String,
    /// The revision with the change.
    #[arg(long)]
    pub head: String,
    /// Directory within the repository holding the resources (default: the whole tree).
    #[arg(long)]
    pub path: Option<String>,
    /// Read the live Assets and policies from this cluster.
    #[arg(long, conflicts_with = "state")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, requires = "kubeconfig")]
    pub context: Option<String>,
    /// Read the live state from a file written by `patchwarden snapshot`.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Namespace of resources that do not name one.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// Evaluate windows and approvals at this instant (RFC 3339) instead of now, so a
    /// plan can be reproduced.
    #[arg(long)]
    pub now: Option<DateTime<Utc>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Markdown)]
    pub output: OutputFormat,
}

/// Runs `patchwarden plan`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let now = args.now.unwrap_or_else(Utc::now);
    let live = match (&args.state, &args.kubeconfig) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the snapshot {}", path.display()))?;
            Some(Snapshot::from_json(&path.display().to_string(), &text)?)
        }
        (None, Some(kubeconfig)) => Some(read_cluster(kubeconfig, args.context.clone(), now)?),
        (None, None) => None,
    };
    let repo = GitRepository::open(&args.repo)?;
    let report = plan(
        &repo,
        &PlanRequest {
            base: &args.base,
            head: &args.head,
            path: args.path.as_deref(),
            default_namespace: &args.namespace,
            now,
        },
        live.as_ref(),
    )?;
    let text = match args.output {
        OutputFormat::Markdown => render_markdown(&report),
        OutputFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
    };
    print!("{text}");
    Ok(if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read_cluster(
    kubeconfig: &std::path::Path,
    context: Option<String>,
    now: DateTime<Utc>,
) -> anyhow::Result<Snapshot> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let client =
            crate::cli::operator::client_from_kubeconfig(Some(kubeconfig), context).await?;
        Ok(read_live(&client, now).await?)
    })
}
