//! `patchwarden-fuzz <target|all|list> --seconds N`: runs fuzz targets, prints iterations and
//! failures, and saves each failing input to a file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use patchwarden_fuzz::runner::{Budget, Crash, RunConfig, RunReport, execute, run};
use patchwarden_fuzz::target::Target;
use patchwarden_fuzz::targets;

#[derive(Debug, Parser)]
#[command(about = "Fuzz patchwarden's parsers")]
struct Args {
    /// A target name, `all`, or `list` to show the targets.
    target: String,
    /// How long each target runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Run this many inputs per target instead of a time budget.
    #[arg(long)]
    iterations: Option<u64>,
    /// The generator's seed (runs are reproducible from it).
    #[arg(long, default_value_t = 0x5EED)]
    seed: u64,
    /// The longest input generated, in bytes.
    #[arg(long, default_value_t = 16 * 1024)]
    max_len: usize,
    /// Where failing inputs are written.
    #[arg(long, default_value = "target/fuzz-crashes")]
    crash_dir: PathBuf,
    /// More seed files (e.g. excerpts of real feeds); for a single target.
    #[arg(long = "seed-file")]
    seed_files: Vec<PathBuf>,
    /// Feed this one input to the target and report the result, instead of fuzzing.
    #[arg(long)]
    replay: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("unknown target {0:?} (`list` shows the targets)")]
    UnknownTarget(String),
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run_cli(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// Ok(true) when no target failed.
fn run_cli(args: &Args) -> Result<bool, CliError> {
    if args.target == "list" {
        for target in targets::all() {
            println!("{:<20} {}", target.name, target.about);
        }
        return Ok(true);
    }
    let selected = if args.target == "all" {
        targets::all()
    } else {
        vec![
            targets::find(&args.target)
                .ok_or_else(|| CliError::UnknownTarget(args.target.clone()))?,
        ]
    };
    if let Some(path) = &args.replay {
        return replay(selected[0], path);
    }
    let config = RunConfig {
        budget: match args.iterations {
            Some(count) => Budget::Iterations(count),
            None => Budget::Time(Duration::from_secs(args.seconds)),
        },
        seed: args.seed,
        max_len: args.max_len,
        extra_seeds: read_seeds(&args.seed_files)?,
    };
    let mut clean = true;
    for target in selected {
        let report = run(target, &config);
        print_report(&report);
        for crash in &report.crashes {
            let path = save_crash(&args.crash_dir, report.target, crash)?;
            println!(
                "  {}\n    input saved to {}",
                crash.failure.describe(),
                path.display()
            );
        }
        clean &= report.crashes.is_empty();
    }
    Ok(clean)
}

fn replay(target: &Target, path: &Path) -> Result<bool, CliError> {
    let input = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    match execute(target, &input) {
        None => {
            println!("{}: passes", target.name);
            Ok(true)
        }
        Some(failure) => {
            println!("{}: {}", target.name, failure.describe());
            Ok(false)
        }
    }
}

fn read_seeds(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, CliError> {
    paths
        .iter()
        .map(|path| {
            std::fs::read(path).map_err(|source| CliError::Read {
                path: path.clone(),
                source,
            })
        })
        .collect()
}

fn print_report(report: &RunReport) {
    println!(
        "{:<20} {:>10} iterations in {:>6.1} s ({:>9.0}/s), {} failures",
        report.target,
        report.iterations,
        report.elapsed.as_secs_f64(),
        report.rate(),
        report.crashes.len()
    );
}

/// Writes the input as `<dir>/<target>-<hash>.input`.
fn save_crash(dir: &Path, target: &str, crash: &Crash) -> Result<PathBuf, CliError> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CliError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(write_error(dir))?;
    let path = dir.join(format!("{target}-{:016x}.input", fnv1a(&crash.input)));
    std::fs::write(&path, &crash.input).map_err(write_error(&path))?;
    Ok(path)
}

/// FNV-1a, to name an input by its content.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
