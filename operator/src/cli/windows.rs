//! `patchwarden windows`.

use std::process::ExitCode;

/// Arguments of `patchwarden windows`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden windows`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden windows` is not available in this build yet")
}
