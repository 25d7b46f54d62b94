//! `patchwarden assess`.

use std::process::ExitCode;

/// Arguments of `patchwarden assess`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden assess`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden assess` is not available in this build yet")
}
