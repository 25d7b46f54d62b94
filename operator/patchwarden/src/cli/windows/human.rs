//! The human form of `patchwarden windows`: a table of the windows' next openings (in each
//! window's own time zone, with what blackouts skip or cut), then a table of the policies.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use patchwarden_core::window::{Phase, WindowDefinition};

use super::{PolicyReport, WindowReport, WindowsReport};

/// The report as two tables.
pub(super) fn render(report: &WindowsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Maintenance windows at {}",
        report.now.format("%Y-%m-%d %H:%M UTC")
    );
    if report.windows.is_empty() {
        out.push_str("(none)\n");
    } else {
        out.push_str(&windows_table(&report.windows));
    }
    out.push('\n');
    let _ = writeln!(out, "Patch policies");
    if report.policies.is_empty() {
        out.push_str("(none)\n");
        return out;
    }
    out.push_str(&policies_table(&report.policies));
    out
}

fn windows_table(windows: &[WindowReport]) -> String {
    let mut rows = vec![vec![
        "WINDOW".to_string(),
        "NOW".to_string(),
        "OPENS".to_string(),
        "CLOSES".to_string(),
        "NO NEW WORK FROM".to_string(),
    ]];
    for w in windows {
        // The window's name and state head its first line only.
        for (i, line) in opening_lines(w).into_iter().enumerate() {
            let mut row = if i == 0 {
                vec![format!("{}/{}", w.namespace, w.name), state(w)]
            } else {
                vec![String::new(), String::new()]
            };
            row.extend(line);
            rows.push(row);
        }
    }
    table(&rows)
}

/// One line per opening (the current one first), per occurrence a blackout swallows, or one
/// line saying the window never opens.
fn opening_lines(w: &WindowReport) -> Vec<Vec<String>> {
    let mut lines: Vec<Vec<String>> = Vec::new();
    if let Some(current) = w.status.current {
        lines.push(vec![
            format!("{} (now)", local(current.opens_at, &w.definition)),
            local(current.closes_at, &w.definition),
            local(current.cutoff_at, &w.definition),
        ]);
    }
    for occurrence in &w.occurrences {
        if occurrence.openings.is_empty() {
            lines.push(vec![
                local(occurrence.scheduled_open, &w.definition),
                format!("skipped: {}", occurrence.blacked_out_by.join("; ")),
            ]);
            continue;
        }
        for opening in &occurrence.openings {
            let mut cutoff = local(opening.cutoff_at, &w.definition);
            if !occurrence.blacked_out_by.is_empty() {
                let _ = write!(
                    cutoff,
                    "   (cut by blackout: {})",
                    occurrence.blacked_out_by.join("; ")
                );
            }
            lines.push(vec![
                local(opening.opens_at, &w.definition),
                local(opening.closes_at, &w.definition),
                cutoff,
            ]);
        }
    }
    if lines.is_empty() {
        lines.push(vec!["no opening in the next two years".to_string()]);
    }
    lines
}

fn policies_table(policies: &[PolicyReport]) -> String {
    let mut rows = vec![vec![
        "POLICY".to_string(),
        "MODE".to_string(),
        "WINDOWS".to_string(),
        "NEXT MAY ACT".to_string(),
        "NOTE".to_string(),
    ]];
    for p in policies {
        rows.push(vec![
            format!("{}/{}", p.namespace, p.name),
            p.mode.clone(),
            if p.windows.is_empty() {
                "-".to_string()
            } else {
                p.windows.join(",")
            },
            p.next_may_act
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "never".to_string()),
            p.note.clone(),
        ]);
    }
    table(&rows)
}

fn local(t: DateTime<Utc>, definition: &WindowDefinition) -> String {
    t.with_timezone(&definition.time_zone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

fn state(report: &WindowReport) -> String {
    if report.status.suspended {
        return "suspended".to_string();
    }
    let phase = match report.status.phase {
        Phase::Open => "open",
        Phase::PastCutoff => "past cutoff",
        Phase::Closed if report.status.blackout.is_some() => "blackout",
        Phase::Closed => "closed",
    };
    phase.to_string()
}

/// Rows of a table, padded to the widest cell of each column.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}   ", width = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
