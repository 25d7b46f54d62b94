//! `patchwarden windows FILE…`: for the MaintenanceWindows in a set of YAML files, the next
//! openings (with the occurrences blackouts swallow or cut), and for each PatchPolicy the next
//! time it may start work. A human table, or JSON with `--output json`.
//!
//! Exit status: 0 on success, 1 when the files do not validate (the problems go to standard
//! error), 2 on a usage error (missing path, no YAML found).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use patchwarden_api::{MaintenanceWindow, PatchPolicy};
use patchwarden_core::sla::effective_emergency_rules;
use patchwarden_core::window::{self, Occurrence, WindowDefinition};
use patchwarden_validate::{Check, Diagnostic, Level, Resource};
use serde::Serialize;

mod human;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Tables, for people.
    Human,
    /// One JSON document, for machines.
    Json,
}

/// Arguments of `patchwarden windows`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files and directories with MaintenanceWindow and PatchPolicy resources (directories are
    /// searched recursively for *.yaml/*.yml).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Human)]
    pub output: Output,
    /// How many upcoming occurrences to show per window.
    #[arg(long, short = 'n', default_value_t = 3)]
    pub count: usize,
    /// Namespace of documents that set none.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// Compute from this instant (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME", value_parser = super::parse_time)]
    pub now: Option<DateTime<Utc>>,
}

/// One window's schedule as shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WindowReport {
    namespace: String,
    name: String,
    schedule: String,
    time_zone: String,
    #[serde(skip)]
    definition: WindowDefinition,
    status: window::WindowStatus,
    /// Upcoming scheduled occurrences, including those a blackout swallows.
    occurrences: Vec<Occurrence>,
}

/// When one policy may next start work.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyReport {
    namespace: String,
    name: String,
    mode: String,
    suspended: bool,
    windows: Vec<String>,
    /// The first instant at or after `now` at which one of its windows lets work start.
    next_may_act: Option<DateTime<Utc>>,
    /// Why it cannot act, or what else lets it act, in one line.
    note: String,
    emergency: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WindowsReport {
    now: DateTime<Utc>,
    windows: Vec<WindowReport>,
    policies: Vec<PolicyReport>,
}

/// Runs `patchwarden windows`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let now = args.now.unwrap_or_else(Utc::now);
    let Some(report) = super::validate_files(&args.paths, args.namespace, now) else {
        return Ok(ExitCode::from(2));
    };
    // Only problems of windows and policies themselves stop this command; missing asset groups
    // or an SLA the windows cannot meet are `patchwarden validate`'s business.
    let blocking: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| {
            d.level == Level::Error
                && !matches!(
                    d.check,
                    Check::Reference | Check::WindowNeverOpens | Check::SlaGap | Check::Compliance
                )
                && d.kind
                    .as_deref()
                    .is_none_or(|k| k == "MaintenanceWindow" || k == "PatchPolicy")
        })
        .collect();
    if !blocking.is_empty() {
        for diagnostic in blocking {
            eprintln!("{diagnostic}");
        }
        return Ok(ExitCode::from(1));
    }

    let mut windows = Vec::new();
    let mut policies = Vec::new();
    for document in &report.documents {
        match &document.resource {
            Some(Resource::MaintenanceWindow(w)) => {
                windows.push(window_report(&document.namespace, w, now, args.count)?);
            }
            Some(Resource::PatchPolicy(p)) => policies.push((document.namespace.clone(), p)),
            _ => {}
        }
    }
    let by_name: BTreeMap<(&str, &str), &WindowDefinition> = windows
        .iter()
        .map(|w| ((w.namespace.as_str(), w.name.as_str()), &w.definition))
        .collect();
    let policies: Vec<PolicyReport> = policies
        .into_iter()
        .map(|(namespace, policy)| policy_report(&namespace, policy, &by_name, now))
        .collect();
    let result = WindowsReport {
        now,
        windows,
        policies,
    };

    let text = match args.output {
        Output::Json => {
            let mut text =
                serde_json::to_string_pretty(&result).context("rendering the report as JSON")?;
            text.push('\n');
            text
        }
        Output::Human => human::render(&result),
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not a failure.
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    Ok(ExitCode::SUCCESS)
}

fn window_report(
    namespace: &str,
    resource: &MaintenanceWindow,
    now: DateTime<Utc>,
    count: usize,
) -> anyhow::Result<WindowReport> {
    let name = resource.metadata.name.clone().unwrap_or_default();
    // The set validated, so the conversion succeeds; an error here would still name the field.
    let definition = resource
        .spec
        .to_definition()
        .with_context(|| format!("MaintenanceWindow {namespace}/{name}"))?;
    Ok(WindowReport {
        namespace: namespace.to_string(),
        name,
        schedule: definition.schedule.expression().to_string(),
        time_zone: definition.time_zone.name().to_string(),
        status: window::status_at(&definition, now),
        occurrences: window::scheduled_occurrences(&definition, now, count),
        definition,
    })
}

fn policy_report(
    namespace: &str,
    policy: &PatchPolicy,
    windows: &BTreeMap<(&str, &str), &WindowDefinition>,
    now: DateTime<Utc>,
) -> PolicyReport {
    let spec = &policy.spec;
    let definitions: Vec<WindowDefinition> = spec
        .maintenance_windows
        .iter()
        .filter_map(|w| windows.get(&(namespace, w.as_str())).map(|d| (*d).clone()))
        .collect();
    let missing: Vec<&str> = spec
        .maintenance_windows
        .iter()
        .filter(|w| !windows.contains_key(&(namespace, w.as_str())))
        .map(String::as_str)
        .collect();
    let emergency: Vec<String> = effective_emergency_rules(&spec.emergency)
        .iter()
        .map(|e| format!("{e:?}"))
        .collect();
    let (next_may_act, note) = if spec.suspend {
        (None, "suspended".to_string())
    } else if spec.maintenance_windows.is_empty() {
        (
            None,
            "no maintenance windows: scheduled runs never start".to_string(),
        )
    } else if !missing.is_empty() && definitions.is_empty() {
        (
            None,
            format!("its windows are not in these files: {}", missing.join(", ")),
        )
    } else {
        match window::next_start_opportunity(&definitions, now) {
            Some(t) if t == now => (Some(t), "a window is open now".to_string()),
            Some(t) => (Some(t), format!("in {}", span(now, t))),
            None => (None, "no window opens in the next two years".to_string()),
        }
    };
    let note = if !emergency.is_empty() {
        format!("{note}; out of window on {}", emergency.join(", "))
    } else {
        note
    };
    PolicyReport {
        namespace: namespace.to_string(),
        name: policy.metadata.name.clone().unwrap_or_default(),
        mode: format!("{:?}", spec.mode),
        suspended: spec.suspend,
        windows: spec.maintenance_windows.clone(),
        next_may_act,
        note,
        emergency,
    }
}

/// A wait in days, hours and minutes (`3d 4h`, `25m`).
fn span(from: DateTime<Utc>, until: DateTime<Utc>) -> String {
    let minutes = (until - from).num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if mins > 0 || parts.is_empty() {
        parts.push(format!("{mins}m"));
    }
    parts.join(" ")
}
