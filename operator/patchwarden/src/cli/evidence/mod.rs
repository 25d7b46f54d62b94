//! `patchwarden evidence`: verify a policy's evidence chain (from the cluster, or from an
//! exported bundle, offline) and export it as a bundle for an auditor.

mod export;
mod source;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `patchwarden evidence`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: EvidenceCommand,
}

/// The evidence subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum EvidenceCommand {
    /// Check every link of the chain: prints its length and head hash (exit 0), or which link
    /// broke and how (exit 1).
    Verify(VerifyArgs),
    /// Write a policy's chain, with its signatures and public keys, to a bundle file.
    Export(ExportArgs),
}

/// Where chains are read from in a cluster.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// Kubeconfig of the cluster; without it, `KUBECONFIG` or the in-cluster configuration.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Namespace of the policies.
    #[arg(long, short, default_value = "default")]
    pub namespace: String,
}

/// Arguments of `patchwarden evidence verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Verify an exported bundle instead of the cluster's chains.
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"])]
    pub bundle: Option<PathBuf>,
    /// Only this policy's chain (default: every chain in the namespace).
    #[arg(long)]
    pub policy: Option<String>,
    /// Trust only this hex ed25519 public key, instead of the keys the chain lists.
    #[arg(long)]
    pub public_key: Option<String>,
}

/// Arguments of `patchwarden evidence export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The policy whose chain to export.
    #[arg(long)]
    pub policy: String,
    /// The bundle file to write.
    #[arg(long, short)]
    pub output: PathBuf,
}

/// Runs `patchwarden evidence`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        EvidenceCommand::Verify(args) => verify::run(args),
        EvidenceCommand::Export(args) => export::run(args),
    }
}
