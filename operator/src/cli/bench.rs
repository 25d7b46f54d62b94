//! `patchwarden bench`.

use std::process::ExitCode;

/// Arguments of `patchwarden bench`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden bench`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden bench` is not available in this build yet")
}
