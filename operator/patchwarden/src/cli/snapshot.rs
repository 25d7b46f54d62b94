//! `patchwarden snapshot`: save the live Assets and PatchPolicies as JSON, for
//! `patchwarden plan --state` where the planner cannot reach the cluster (e.g. in CI).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use patchwarden_gitops::snapshot::read_live;

/// Arguments of `patchwarden snapshot`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kubeconfig of the cluster; without it, `KUBECONFIG` or the in-cluster configuration.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// File to write (default: standard output).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Runs `patchwarden snapshot`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let snapshot = runtime.block_on(async {
        let client =
            crate::cli::operator::client_from_kubeconfig(args.kubeconfig.as_deref(), args.context)
                .await?;
        anyhow::Ok(read_live(&client, chrono::Utc::now()).await?)
    })?;
    let text = serde_json::to_string_pretty(&snapshot)? + "\n";
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("writing the snapshot {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
