//! `patchwarden bench`: the built-in benchmarks. `assess` ([`assess`]): fleet assessment
//! ([`fleet`]) and version comparison throughput ([`comparisons`]) on real data. `git`
//! ([`git`]): how long a commit takes to reach status, by local watch, webhook and interval.
//! `fleet` ([`operator_fleet`]): the operator and the control plane at fleet scale. `up`
//! ([`up`]): the quickstart's cold start.

use std::process::ExitCode;

mod assess;
mod comparisons;
mod fleet;
mod fleet_objects;
mod fleet_processes;
mod fleet_status;
mod git;
mod git_env;
mod latency;
mod operator_fleet;
mod process;
mod simulated_fleet;
mod split_mix;
mod up;

pub use assess::AssessArgs;
pub use comparisons::ComparisonRun;
pub use fleet::FleetRun;
pub use git::GitArgs;
pub use operator_fleet::FleetArgs;
pub use up::UpArgs;

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
    /// The operator and the control plane with a simulated fleet: cold start, a feed change,
    /// idle CPU and peak memory.
    Fleet(FleetArgs),
    /// `up --exit-when-settled` on a fresh state directory: time to the first policy status
    /// and to settled, beside the lab fleet's creation alone.
    Up(UpArgs),
}

/// Runs `patchwarden bench`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.bench {
        Bench::Assess(args) => assess::run(args),
        Bench::Git(args) => git::run(args),
        Bench::Fleet(args) => operator_fleet::run(args),
        Bench::Up(args) => up::run(args),
    }
}
