//! Output of a report: grouped and coloured for people, JSON for machines.

use std::fmt::Write as _;

use serde_json::json;

use crate::Report;
use crate::diagnostic::Level;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";

fn paint(color: bool, style: &str, text: &str) -> String {
    if color {
        format!("{style}{text}{RESET}")
    } else {
        text.to_string()
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Diagnostics grouped per file, then a one-line summary.
pub(crate) fn human(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let mut current_file: Option<&str> = None;
    for d in &report.diagnostics {
        if current_file != Some(d.file.as_str()) {
            if current_file.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", paint(color, BOLD, &d.file));
            current_file = Some(&d.file);
        }
        let location = match (d.line, d.column) {
            (Some(line), Some(column)) => format!("{line}:{column}"),
            (Some(line), None) => format!("{line}"),
            _ => "-".to_string(),
        };
        let level = match d.level {
            Level::Error => paint(color, RED, "error"),
            Level::Warning => paint(color, YELLOW, "warning"),
        };
        let _ = write!(
            out,
            "  {}  {level}{}",
            paint(color, DIM, &format!("{location:>7}")),
            paint(color, DIM, &format!("[{}]", d.check.as_str()))
        );
        if let Some(subject) = d.subject() {
            let _ = write!(out, "  {subject}");
        }
        out.push('\n');
        let _ = write!(out, "           ");
        if let Some(path) = &d.path {
            let _ = write!(out, "{}: ", paint(color, CYAN, path));
        }
        let _ = writeln!(out, "{}", d.message);
    }
    if !report.diagnostics.is_empty() {
        out.push('\n');
    }
    let checked = format!(
        "{} in {}",
        plural(report.documents.len(), "document"),
        plural(report.files.len(), "file")
    );
    if report.is_valid() {
        let warnings = match report.warning_count() {
            0 => String::new(),
            n => format!(" ({})", plural(n, "warning")),
        };
        let _ = writeln!(
            out,
            "{} {checked}: valid{warnings}",
            paint(color, GREEN, "✓")
        );
    } else {
        let files_with_errors = {
            let mut files: Vec<&str> = report
                .diagnostics
                .iter()
                .filter(|d| d.level == Level::Error)
                .map(|d| d.file.as_str())
                .collect();
            files.dedup();
            files.len()
        };
        let _ = writeln!(
            out,
            "{} {} in {} ({checked} checked)",
            paint(color, RED, "✗"),
            plural(report.error_count(), "error"),
            plural(files_with_errors, "file"),
        );
    }
    out
}

/// The report as JSON.
pub(crate) fn json(report: &Report) -> serde_json::Value {
    json!({
        "valid": report.is_valid(),
        "files": report.files.len(),
        "documents": report.documents.len(),
        "errors": report.error_count(),
        "warnings": report.warning_count(),
        "diagnostics": report.diagnostics,
    })
}
