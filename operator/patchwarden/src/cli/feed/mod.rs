//! `patchwarden feed`: building vulnerability feeds from a distribution's own data.

use std::process::ExitCode;

pub mod build_debian;

/// Arguments of `patchwarden feed`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: FeedCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum FeedCommand {
    /// Build an OSV feed (JSON Lines) from a Debian-format repository: the Packages index and
    /// the changelogs inside its .debs.
    BuildDebian(build_debian::Args),
}

/// Runs `patchwarden feed`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        FeedCommand::BuildDebian(args) => build_debian::run(args),
    }
}
