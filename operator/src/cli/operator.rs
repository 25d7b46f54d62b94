//! `patchwarden operator`.

use std::process::ExitCode;

/// Arguments of `patchwarden operator`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden operator`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden operator` is not available in this build yet")
}
