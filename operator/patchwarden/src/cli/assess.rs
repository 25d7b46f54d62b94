//! `patchwarden assess`: assesses one inventory (dpkg status, rpm query output or
//! rpm-manifest, apk installed database; the format is detected) against vulnerability
//! feeds (OSV, Debian tracker lists, Alpine secdb, KEV, EPSS; kinds detected), and prints
//! the findings sorted by risk with a summary line, or everything as JSON.
//!
//! Exit status: 0 no findings, 1 findings, 2 usage or input error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::finding::{Assessment, AssetContext, Finding};
use patchwarden_core::index::AdvisoryIndex;
use patchwarden_core::inventory::ecosystem_from_os_release;
use patchwarden_core::risk::{Criticality, Exposure};
use patchwarden_feeds::{FeedSource, LoadedSource, load_feeds, read_inventory, read_text};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// A table sorted by risk, with a summary line.
    Table,
    /// One JSON document: the assessment and the feeds' digests.
    Json,
}

/// Arguments of `patchwarden assess`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The installed-package database (gzip allowed).
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    /// The asset's `/etc/os-release`, which gives its ecosystem.
    #[arg(long, value_name = "FILE", required_unless_present = "ecosystem")]
    pub os_release: Option<PathBuf>,
    /// The ecosystem (e.g. `AlmaLinux:9`), instead of or overriding `--os-release`.
    #[arg(long)]
    pub ecosystem: Option<String>,
    /// A feed file, directory or http(s) URL; append `@sha256:HEX` to require a digest.
    #[arg(long = "feed", value_name = "LOCATION", required = true)]
    pub feeds: Vec<String>,
    /// How much the asset matters: low, medium, high or critical.
    #[arg(long, default_value = "medium")]
    pub criticality: Criticality,
    /// How reachable the asset is: isolated, internal or internet.
    #[arg(long, default_value = "internal")]
    pub exposure: Exposure,
    /// The asset's name in the output.
    #[arg(long, default_value = "asset")]
    pub name: String,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Rows shown in the table (all when 0).
    #[arg(long, default_value_t = 0)]
    pub limit: usize,
}

/// Splits `LOCATION@sha256:HEX` into a feed source.
pub fn feed_source(text: &str) -> FeedSource {
    match text.rsplit_once("@sha256:") {
        Some((location, digest)) => FeedSource {
            location: location.to_string(),
            expected_sha256: Some(digest.to_string()),
        },
        None => FeedSource::new(text),
    }
}

/// Runs `patchwarden assess`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ecosystem = match (&args.ecosystem, &args.os_release) {
        (Some(ecosystem), _) => Ecosystem::new(ecosystem.as_str()),
        (None, Some(path)) => {
            let text = read_text(path)?;
            ecosystem_from_os_release(&text).with_context(|| format!("{}", path.display()))?
        }
        (None, None) => anyhow::bail!("give --os-release or --ecosystem"),
    };
    let (_, inventory) = read_inventory(&args.inventory, None)?;
    let sources: Vec<FeedSource> = args.feeds.iter().map(|f| feed_source(f)).collect();
    let loaded = load_feeds(&sources)?;
    let index = AdvisoryIndex::build(loaded.feeds);
    if !index.knows_ecosystem(&ecosystem) {
        tracing::warn!(%ecosystem, "no advisory in the feeds names this ecosystem");
    }
    let context = AssetContext {
        name: args.name.clone(),
        ecosystem,
        criticality: args.criticality,
        exposure: args.exposure,
    };
    let assessment = index.assess(&inventory, &context);
    match args.output {
        Output::Json => {
            let document = serde_json::json!({
                "assessment": assessment,
                "feeds": loaded.sources,
                "index": index.stats(),
            });
            println!("{}", serde_json::to_string_pretty(&document)?);
        }
        Output::Table => print!("{}", render_table(&assessment, &loaded.sources, args.limit)),
    }
    Ok(if assessment.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Column headings of the human table.
const COLUMNS: [&str; 10] = [
    "RISK",
    "SEVERITY",
    "PACKAGE",
    "INSTALLED",
    "FIXED",
    "KEV",
    "EPSS",
    "CVES",
    "ADVISORY",
    "WHY",
];

/// The human table: one row per finding, riskiest first, then the summary line.
pub fn render_table(assessment: &Assessment, sources: &[LoadedSource], limit: usize) -> String {
    let shown = if limit == 0 {
        assessment.findings.len()
    } else {
        limit.min(assessment.findings.len())
    };
    let rows: Vec<[String; 10]> = assessment.findings[..shown]
        .iter()
        .map(finding_row)
        .collect();
    let mut out = aligned(&rows);
    out.push_str(&summary_line(assessment, sources));
    if shown < assessment.findings.len() {
        out.push_str(&format!(
            "({} more findings not shown; use --limit 0)\n",
            assessment.findings.len() - shown
        ));
    }
    out
}

/// One finding's cells, in [`COLUMNS`] order.
fn finding_row(finding: &Finding) -> [String; 10] {
    let m = &finding.matched;
    let advisory = match m.advisories.len() {
        0 => String::new(),
        1 => m.advisories[0].id.clone(),
        n => format!("{} +{}", m.advisories[0].id, n - 1),
    };
    [
        format!("{:.1}", finding.risk.score),
        m.severity.to_string(),
        m.package.clone(),
        m.installed_version.clone(),
        m.fixed_version
            .clone()
            .unwrap_or_else(|| "no fix yet".into()),
        m.kev
            .as_ref()
            .map(|k| k.date_added.to_string())
            .unwrap_or_else(|| "-".into()),
        m.epss
            .as_ref()
            .map(|e| format!("{:.3}", e.probability))
            .unwrap_or_else(|| "-".into()),
        m.cve_ids.len().to_string(),
        advisory,
        finding.risk.explain(),
    ]
}

/// The heading and `rows` in columns as wide as their widest cell (the last column is not
/// padded); nothing when there are no rows.
fn aligned(rows: &[[String; 10]]) -> String {
    let mut out = String::new();
    if rows.is_empty() {
        return out;
    }
    let mut widths = COLUMNS.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: &[&str]| {
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push('\n');
    };
    line(&COLUMNS);
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
    }
    out
}

/// The summary line: counts by severity, packages, known exploited, fixable, CVEs, the
/// highest risk, the ecosystem and how many feed sources were read.
fn summary_line(assessment: &Assessment, sources: &[LoadedSource]) -> String {
    let s = &assessment.summary;
    let by_severity: Vec<String> = s
        .by_severity
        .iter()
        .rev()
        .map(|(severity, n)| format!("{severity} {n}"))
        .collect();
    format!(
        "{}: {} findings ({}) in {} packages, {} known exploited, {} fixable, {} CVEs, highest risk {:.1}; {} ({} feed sources)\n",
        assessment.asset,
        s.findings,
        if by_severity.is_empty() {
            "none".into()
        } else {
            by_severity.join(", ")
        },
        assessment.packages,
        s.kev,
        s.fixable,
        s.cves,
        s.max_risk,
        assessment.ecosystem,
        sources.len(),
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// `patchwarden assess` with `extra` arguments after the required ones.
    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        #[derive(Debug, clap::Parser)]
        struct Command {
            #[command(flatten)]
            args: Args,
        }
        let required = [
            "assess",
            "--inventory",
            "status",
            "--ecosystem",
            "Debian:12",
        ];
        let feed = ["--feed", "osv.json"];
        let argv = required.iter().chain(&feed).chain(extra);
        <Command as clap::Parser>::try_parse_from(argv).map(|c| c.args)
    }

    #[test]
    fn criticality_and_exposure_parse_case_insensitively_and_name_what_is_expected() {
        let args = parse(&["--criticality", "Critical", "--exposure", "internet"]).expect("valid");
        assert_eq!(
            (args.criticality, args.exposure),
            (Criticality::Critical, Exposure::Internet)
        );
        let defaults = parse(&[]).expect("valid");
        assert_eq!(
            (defaults.criticality, defaults.exposure),
            (Criticality::Medium, Exposure::Internal)
        );
        let error = parse(&["--criticality", "urgent"]).expect_err("invalid");
        assert!(
            error.to_string().contains("Low, Medium, High or Critical"),
            "{error}"
        );
    }

    fn data(relative: &str) -> String {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data")
            .join(relative)
            .display()
            .to_string()
    }

    #[test]
    fn feed_locations_may_carry_a_digest() {
        let source = feed_source("https://example.org/kev.json@sha256:abc");
        assert_eq!(source.location, "https://example.org/kev.json");
        assert_eq!(source.expected_sha256.as_deref(), Some("abc"));
        assert_eq!(feed_source("osv/").expected_sha256, None);
    }

    #[test]
    fn table_lists_findings_by_risk_with_a_summary_line() {
        let sources = [
            FeedSource::new(data("osv/almalinux-osv-2026-08-21.jsonl.gz")),
            FeedSource::new(data(
                "kev/known_exploited_vulnerabilities-2025.08.25.json.gz",
            )),
        ];
        let loaded = load_feeds(&sources).expect("feeds");
        let index = AdvisoryIndex::build(loaded.feeds);
        let (_, inventory) = read_inventory(
            PathBuf::from(data(
                "inventories/ubi9-amd64-rpm-manifest-2022-05-03.json.gz",
            ))
            .as_path(),
            None,
        )
        .expect("inventory");
        let context = AssetContext {
            name: "ubi9".into(),
            ecosystem: Ecosystem::new("AlmaLinux:9"),
            criticality: Criticality::Critical,
            exposure: Exposure::Internet,
        };
        let assessment = index.assess(&inventory, &context);
        let table = render_table(&assessment, &loaded.sources, 3);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("RISK  SEVERITY  PACKAGE"), "{table}");
        assert_eq!(lines.len(), 1 + 3 + 2, "{table}");
        let risks: Vec<f64> = lines[1..4]
            .iter()
            .map(|l| {
                l.split_whitespace()
                    .next()
                    .expect("risk")
                    .parse()
                    .expect("number")
            })
            .collect();
        assert!(risks.windows(2).all(|w| w[0] >= w[1]), "{risks:?}");
        assert!(lines[1].contains("KEV since"), "{table}");
        assert!(
            lines[4].starts_with(&format!("ubi9: {} findings", assessment.findings.len())),
            "{table}"
        );
        assert!(lines[4].contains("in 181 packages"), "{table}");
    }
}
