//! `patchwarden bench`: the built-in benchmarks. There is one, `assess` ([`assess`]): fleet
//! assessment ([`fleet`]) and version comparison throughput ([`comparisons`]) on real data.

use std::process::ExitCode;

mod assess;
mod comparisons;
mod fleet;
mod process;
mod split_mix;

pub use assess::AssessArgs;
pub use comparisons::ComparisonRun;
pub use fleet::FleetRun;

/// Arguments of `patchwarden bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub bench: Bench,
}

/// The benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum Bench {
    /// Fleet assessment and version comparison throughput.
    Assess(AssessArgs),
}

/// Runs `patchwarden bench`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.bench {
        Bench::Assess(args) => assess::run(args),
    }
}
