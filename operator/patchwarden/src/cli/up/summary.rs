//! The summary table `patchwarden up --exit-when-settled` prints: one aligned row per policy,
//! then one line per policy that failed, saying why.

use std::io::Write;

use super::settle::PolicyRow;

const HEADERS: [&str; 6] = [
    "POLICY",
    "READY",
    "COMPLIANT",
    "RUNS",
    "LAST RUN",
    "FINDINGS CLOSED",
];

/// Prints the summary to standard output.
pub(super) fn print_summary(rows: &[PolicyRow]) {
    let cells: Vec<[String; 6]> = rows.iter().map(cells).collect();
    let widths = column_widths(&cells);
    let mut out = std::io::stdout().lock();
    let line = |out: &mut std::io::StdoutLock<'_>, row: &[String]| {
        let text: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| format!("{cell:<width$}", width = widths[i]))
            .collect();
        let _ = writeln!(out, "{}", text.join("  ").trim_end());
    };
    line(&mut out, &HEADERS.map(String::from));
    for row in &cells {
        line(&mut out, row);
    }
    for row in rows {
        if let Some(problem) = &row.problem {
            let _ = writeln!(out, "{}: {problem}", row.name);
        }
    }
}

fn cells(row: &PolicyRow) -> [String; 6] {
    [
        row.name.clone(),
        row.ready.clone(),
        row.compliance.clone(),
        row.runs.to_string(),
        row.last_run.clone(),
        row.findings_closed.to_string(),
    ]
}

/// Each column as wide as its widest cell, header included.
fn column_widths(cells: &[[String; 6]]) -> [usize; 6] {
    let mut widths = HEADERS.map(str::len);
    for row in cells {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.len());
        }
    }
    widths
}
