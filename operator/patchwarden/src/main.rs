//! The `patchwarden` command line: one subcommand per module under `cli/`.

use std::process::ExitCode;

use clap::Parser;
use patchwarden::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    patchwarden::telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Crds(args) => patchwarden::cli::crds::run(args),
        Command::Validate(args) => patchwarden::cli::validate::run(args),
        Command::Assess(args) => patchwarden::cli::assess::run(args),
        Command::Windows(args) => patchwarden::cli::windows::run(args),
        Command::Apiserver(args) => patchwarden::cli::apiserver::run(args),
        Command::Lab(args) => patchwarden::cli::lab::run(args),
        Command::Operator(args) => patchwarden::cli::operator::run(args),
        Command::Up(args) => patchwarden::cli::up::run(args),
        Command::Plan(args) => patchwarden::cli::plan::run(args),
        Command::Snapshot(args) => patchwarden::cli::snapshot::run(args),
        Command::Bench(args) => patchwarden::cli::bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
