//! `patchwarden apiserver`: runs the embedded Kubernetes-compatible control plane alone,
//! persisted in SQLite under `--data`, and writes a kubeconfig for kubectl and the operator.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use patchwarden_apiserver::{Config, SyncMode};

/// Commit durability of the store.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Durability {
    /// Every acknowledged write is fsynced (survives power loss).
    Full,
    /// Acknowledged writes survive a crashed process, not a crashed machine.
    Normal,
}

/// Arguments of `patchwarden apiserver`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for the database, token, kubeconfig and TLS material.
    #[arg(long)]
    pub data: PathBuf,
    /// Address to listen on; port 0 picks a free port. Plain HTTP only on loopback.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Serve HTTPS with a self-signed CA kept in DATA/tls; bearer tokens are then required.
    #[arg(long)]
    pub tls: bool,
    /// Token file (`token,user,uid[,"groups"]`; group `patchwarden:read-only` may only read).
    /// Without it an admin token is generated into DATA/token.
    #[arg(long)]
    pub tokens_file: Option<PathBuf>,
    /// Commit durability.
    #[arg(long, value_enum, default_value_t = Durability::Full)]
    pub durability: Durability,
    /// Largest accepted request body in bytes.
    #[arg(long, default_value_t = patchwarden_apiserver::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
}

/// Runs `patchwarden apiserver` until SIGINT/SIGTERM.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = Config::new(&args.data);
    config.listen = args.listen;
    config.tls = args.tls;
    config.tokens_file = args.tokens_file;
    config.max_body_bytes = args.max_body_bytes;
    config.sync = match args.durability {
        Durability::Full => SyncMode::Full,
        Durability::Normal => SyncMode::Normal,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime
        .block_on(patchwarden_apiserver::run_until_signal(config))
        .with_context(|| {
            format!(
                "running the API server with data in {}",
                args.data.display()
            )
        })?;
    Ok(ExitCode::SUCCESS)
}
