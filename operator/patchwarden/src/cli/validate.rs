//! `patchwarden validate PATH…`: checks resource YAML files and directories (schema, meaning,
//! references, windows, SLA) and prints the problems per file, or as JSON.
//!
//! Exit status: 0 valid, 1 invalid, 2 usage error (bad arguments, missing path, no YAML found).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Grouped per file, for people.
    Human,
    /// One JSON document, for machines.
    Json,
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// When standard output is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `patchwarden validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files and directories to check; directories are searched recursively for *.yaml/*.yml.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Human)]
    pub output: Output,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Namespace of documents that set none.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// Check windows and SLA deadlines from this instant (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME", value_parser = super::parse_time)]
    pub now: Option<DateTime<Utc>>,
}

/// Runs `patchwarden validate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(report) = super::validate_files(
        &args.paths,
        args.namespace,
        args.now.unwrap_or_else(Utc::now),
    ) else {
        return Ok(ExitCode::from(2));
    };
    let text = match args.output {
        Output::Json => {
            let mut text = serde_json::to_string_pretty(&report.to_json())
                .context("rendering the report as JSON")?;
            text.push('\n');
            text
        }
        Output::Human => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            report.render_human(color)
        }
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not a failure of validation.
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
