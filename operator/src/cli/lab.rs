//! `patchwarden lab`.

use std::process::ExitCode;

/// Arguments of `patchwarden lab`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden lab`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden lab` is not available in this build yet")
}
