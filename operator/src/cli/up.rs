//! `patchwarden up`.

use std::process::ExitCode;

/// Arguments of `patchwarden up`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `patchwarden up`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`patchwarden up` is not available in this build yet")
}
