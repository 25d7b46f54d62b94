//! `patchwarden apiserver`.

use std::process::ExitCode;

/// Arguments of `patchwarden apiserver`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden apiserver`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden apiserver` is not available in this build yet")
}
