//! `patchwarden validate`.

use std::process::ExitCode;

/// Arguments of `patchwarden validate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden validate`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden validate` is not available in this build yet")
}
