//! `patchwarden crds`.

use std::process::ExitCode;

/// Arguments of `patchwarden crds`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden crds`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden crds` is not available in this build yet")
}
