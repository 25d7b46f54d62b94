//! FIRST EPSS scores (CSV): an optional `#model_version:…,score_date:…` comment, a header
//! row naming `cve`, `epss` and (since 2022) `percentile`, then one row per CVE. Numbers
//! may be in scientific notation.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::FeedError;

/// One CVE's exploit prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// Probability of exploitation activity in the next 30 days, 0–1.
    pub probability: f32,
    /// Percentile among all scored CVEs, 0–1 (absent in the oldest files).
    pub percentile: Option<f32>,
}

/// Every score of one EPSS file, keyed by the CVE's number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpssTable {
    /// `model_version` from the comment line, when present.
    pub model_version: Option<String>,
    /// `score_date` from the comment line, when present.
    pub score_date: Option<String>,
    scores: HashMap<u64, EpssScore>,
}

/// `CVE-2023-4911` → a compact key (year × 10^9 + number).
pub fn cve_key(cve: &str) -> Option<u64> {
    let rest = cve
        .strip_prefix("CVE-")
        .or_else(|| cve.strip_prefix("cve-"))?;
    let (year, number) = rest.split_once('-')?;
    if year.len() != 4 || number.is_empty() || number.len() > 9 {
        return None;
    }
    let year: u64 = year.parse().ok()?;
    let number: u64 = number.parse().ok()?;
    Some(year * 1_000_000_000 + number)
}

impl EpssTable {
    /// The score of a CVE, if it has one.
    pub fn get(&self, cve: &str) -> Option<EpssScore> {
        self.scores.get(&cve_key(cve)?).copied()
    }

    /// Number of scored CVEs.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether no CVE is scored.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
}

/// Parses an EPSS CSV file. Records are numbered by line.
pub fn parse_csv(text: &str) -> Result<EpssTable, FeedError> {
    let mut table = EpssTable::default();
    let mut columns: Option<(usize, usize, Option<usize>)> = None;
    for (index, line) in text.lines().enumerate() {
        let record = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            for pair in comment.split(',') {
                match pair.split_once(':') {
                    Some(("model_version", v)) => table.model_version = Some(v.to_string()),
                    Some(("score_date", v)) => table.score_date = Some(v.to_string()),
                    _ => {}
                }
            }
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some((cve_at, epss_at, percentile_at)) = columns else {
            let find = |name: &str| cells.iter().position(|c| c.eq_ignore_ascii_case(name));
            let (Some(cve), Some(epss)) = (find("cve"), find("epss")) else {
                return Err(FeedError::new(
                    record,
                    None,
                    "header",
                    format!("expected a header with cve and epss columns, found {line:?}"),
                ));
            };
            columns = Some((cve, epss, find("percentile")));
            continue;
        };
        let cve = cells.get(cve_at).copied().unwrap_or_default();
        let key = cve_key(cve)
            .ok_or_else(|| FeedError::new(record, None, "cve", format!("not a CVE id: {cve:?}")))?;
        let number = |at: usize, field: &str| -> Result<f32, FeedError> {
            let raw = cells.get(at).copied().unwrap_or_default();
            let value: f32 = raw.parse().map_err(|_| {
                FeedError::new(record, Some(cve), field, format!("not a number: {raw:?}"))
            })?;
            if !(0.0..=1.0).contains(&value) {
                return Err(FeedError::new(
                    record,
                    Some(cve),
                    field,
                    format!("{value} is outside 0..1"),
                ));
            }
            Ok(value)
        };
        let probability = number(epss_at, "epss")?;
        let percentile = percentile_at
            .map(|at| number(at, "percentile"))
            .transpose()?;
        table.scores.insert(
            key,
            EpssScore {
                probability,
                percentile,
            },
        );
    }
    if columns.is_none() {
        return Err(FeedError::new(
            0,
            None,
            "header",
            "no header row with cve and epss columns",
        ));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_comment_header_and_scientific_notation() {
        let text = "#model_version:v2025.03.14,score_date:2025-04-15T12:55:00Z\ncve,epss,percentile\nCVE-1999-0001,0.01297,0.7854\nCVE-1999-1170,3e-05,0.00073\n";
        let table = parse_csv(text).expect("parses");
        assert_eq!(table.len(), 2);
        assert_eq!(table.model_version.as_deref(), Some("v2025.03.14"));
        let tiny = table.get("CVE-1999-1170").expect("scored");
        assert!((tiny.probability - 3e-5).abs() < 1e-9);
        let error = parse_csv("cve,epss\nCVE-1-2,abc\n").expect_err("bad");
        assert_eq!(error.record, 2);
    }
}
