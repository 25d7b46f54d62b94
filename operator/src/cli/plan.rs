//! `patchwarden plan`.

use std::process::ExitCode;

/// Arguments of `patchwarden plan`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden plan`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden plan` is not available in this build yet")
}
