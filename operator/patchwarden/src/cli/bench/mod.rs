//! `patchwarden bench`: the built-in benchmarks. `assess` ([`assess`]): fleet assessment
//! ([`fleet`]) and version comparison throughput ([`comparisons`]) on real data. `git`
//! ([`git`]): how long a commit takes to reach status, by local watch, webhook and interval.

use std::process::ExitCode;

mod assess;
mod comparisons;
mod fleet;
mod git;
mod git_env;
mod latency;
mod process;
mod split_mix;

pub use assess::AssessArgs;
pub use comparisons::ComparisonRun;
pub use fleet::FleetRun;
pub use git::GitArgs;

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
    /// Commit to status latency of the Git sync: local watch, webhook and interval only.
    Git(GitArgs),
}

/// Runs `patchwarden bench`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.bench {
        Bench::Assess(args) => assess::run(args),
        Bench::Git(args) => git::run(args),
    }
}
