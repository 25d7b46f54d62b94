//! Command-line definition. Each subcommand lives in its own module with an `Args`
//! struct and a `run(args) -> anyhow::Result<ExitCode>` function.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use patchwarden_validate::{Options, Report, validate_paths};

use crate::telemetry::LogFormat;

pub mod agent;
pub mod apiserver;
pub mod assess;
pub mod bench;
pub mod crds;
pub mod evidence;
pub mod feed;
pub mod lab;
pub mod operator;
pub mod plan;
pub mod report;
pub mod snapshot;
pub mod up;
pub mod validate;
pub mod windows;

/// Declarative GitOps reconciler for security patching.
#[derive(Debug, Parser)]
#[command(name = "patchwarden", version, about)]
pub struct Cli {
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the CustomResourceDefinitions to a directory (default `crds/`).
    Crds(crds::Args),
    /// Validate resource YAML files and directories.
    Validate(validate::Args),
    /// Assess one inventory against vulnerability feeds.
    Assess(assess::Args),
    /// Show the next openings of maintenance windows and when each policy may act.
    Windows(windows::Args),
    /// Run the embedded Kubernetes-compatible control plane alone.
    Apiserver(apiserver::Args),
    /// Create and inspect the lab fleet of local dpkg roots.
    Lab(lab::Args),
    /// Run the controllers against a cluster.
    Operator(operator::Args),
    /// Run on the machine to patch: answer the operator's requests in this machine's Asset.
    Agent(agent::Args),
    /// Run everything on one machine: control plane, controllers, Git sync, lab fleet.
    Up(up::Args),
    /// Explain the impact of a change between two Git revisions.
    Plan(plan::Args),
    /// Save the live Assets and policies as JSON for `plan --state`.
    Snapshot(snapshot::Args),
    /// Run the built-in benchmarks.
    Bench(bench::Args),
    /// Build vulnerability feeds from a distribution's own data.
    Feed(feed::Args),
    /// Verify and export the signed evidence chains of PatchRuns.
    Evidence(evidence::Args),
    /// Write the compliance, SLA, exposure, trend, risk and run report (HTML, JSON, Markdown).
    Report(report::Args),
}

/// Runs the `patchwarden` command line with the process arguments: parses them, starts
/// logging and dispatches to the subcommand. Exit status 2 when a subcommand returns an error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Crds(args) => crds::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Assess(args) => assess::run(args),
        Command::Windows(args) => windows::run(args),
        Command::Apiserver(args) => apiserver::run(args),
        Command::Lab(args) => lab::run(args),
        Command::Operator(args) => operator::run(args),
        Command::Agent(args) => agent::run(args),
        Command::Up(args) => up::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Snapshot(args) => snapshot::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Feed(args) => feed::run(args),
        Command::Evidence(args) => evidence::run(args),
        Command::Report(args) => report::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A `--now` style argument that is not an RFC 3339 instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an RFC 3339 time such as 2026-12-24T18:00:00Z: {reason}")]
pub struct InvalidTime {
    /// The argument as given.
    pub text: String,
    /// Why it does not parse.
    pub reason: chrono::ParseError,
}

/// Parses a `--now` style argument: an RFC 3339 instant.
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, InvalidTime> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|reason| InvalidTime {
            text: text.to_string(),
            reason,
        })
}

/// Loads and validates the resource files under `paths` as of `now`. A usage problem (a missing
/// path, no YAML at all) is printed to standard error and gives `None`: exit status 2.
pub(crate) fn validate_files(
    paths: &[PathBuf],
    namespace: String,
    now: DateTime<Utc>,
) -> Option<Report> {
    let mut options = Options::new(now);
    options.default_namespace = namespace;
    let report = match validate_paths(paths, &options) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return None;
        }
    };
    if report.files.is_empty() {
        let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "error: no YAML files (*.yaml, *.yml) under {}",
            paths.join(", ")
        );
        return None;
    }
    Some(report)
}
