//! `patchwarden report`: writes `report.html`, `report.json` and `report.md` computed from
//! the cluster's PatchPolicies, PatchRuns and Assets.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, SubsecRound as _, Utc};
use patchwarden_report::{build, render};

/// Arguments of `patchwarden report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kubeconfig of the cluster (`.patchwarden/kubeconfig` after `up`); without it,
    /// `KUBECONFIG` or the in-cluster configuration.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Only this namespace (default: every namespace).
    #[arg(long, short)]
    pub namespace: Option<String>,
    /// Directory the three files are written to (created when missing).
    #[arg(long, short, default_value = "report")]
    pub output_dir: PathBuf,
    /// The instant the report is computed for (RFC 3339; default: now).
    #[arg(long, value_parser = super::parse_time)]
    pub now: Option<DateTime<Utc>>,
}

/// Runs `patchwarden report`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let input = runtime.block_on(async {
        let client = crate::cli::operator::client_from_kubeconfig(
            args.kubeconfig.as_deref(),
            args.context.clone(),
        )
        .await?;
        anyhow::Ok(crate::report::read_input(&client, args.namespace.as_deref()).await?)
    })?;
    // Whole seconds: the page shows the instant, and nanoseconds only add noise.
    let now = args.now.unwrap_or_else(|| Utc::now().trunc_subsecs(0));
    let report = build(&input, now);
    let rendered = render(&report)?;
    std::fs::create_dir_all(&args.output_dir)
        .with_context(|| format!("creating {}", args.output_dir.display()))?;
    for (name, text) in [
        ("report.html", &rendered.html),
        ("report.json", &rendered.json),
        ("report.md", &rendered.markdown),
    ] {
        let path = args.output_dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
