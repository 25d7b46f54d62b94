//! The OSV feed matching a lab: one record per CVE named in the lab's changelog entries,
//! ecosystem `Debian:12`, affected source package, `fixed` = the candidate version the lab's
//! repository offers. JSON Lines, sorted by id, byte-for-byte reproducible.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::delta::{DeltaSource, LabDelta};

/// The OSV ecosystem of Debian 12 packages.
pub const ECOSYSTEM: &str = "Debian:12";

/// Renders the feed as JSON Lines (one OSV record per line, trailing newline).
pub fn osv_feed(delta: &LabDelta) -> String {
    // CVE id → (source, entries naming it); a CVE may be fixed in several sources.
    let mut by_cve: BTreeMap<&str, Vec<(&DeltaSource, Vec<usize>)>> = BTreeMap::new();
    for source in &delta.sources {
        for cve in &source.cves {
            let entries: Vec<usize> = source
                .changelog_entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.cves.iter().any(|c| c == cve))
                .map(|(i, _)| i)
                .collect();
            by_cve.entry(cve).or_default().push((source, entries));
        }
    }
    let mut out = String::new();
    for (cve, fixes) in by_cve {
        out.push_str(&record(cve, &fixes).to_string());
        out.push('\n');
    }
    out
}

fn record(cve: &str, fixes: &[(&DeltaSource, Vec<usize>)]) -> Value {
    let mut details = Vec::new();
    let mut dates = Vec::new();
    let mut summary = None;
    let mut affected = Vec::new();
    for (source, entries) in fixes {
        for &i in entries {
            let entry = &source.changelog_entries[i];
            if let Ok(date) = chrono::DateTime::parse_from_rfc2822(&entry.date) {
                dates.push(date.with_timezone(&chrono::Utc));
            }
            let mentioning: Vec<String> = entry
                .bullets()
                .into_iter()
                .filter(|b| b.contains(cve))
                .collect();
            if summary.is_none() {
                summary = mentioning.first().cloned();
            }
            details.push(format!(
                "{} {} ({}): {}",
                source.source,
                entry.version,
                entry.distribution,
                if mentioning.is_empty() {
                    "changelog entry names this CVE".to_string()
                } else {
                    mentioning.join(" ")
                }
            ));
        }
        affected.push(json!({
            "package": {
                "ecosystem": ECOSYSTEM,
                "name": source.source,
                "purl": format!("pkg:deb/debian/{}?arch=source&distro=bookworm", source.source),
            },
            "ranges": [{
                "type": "ECOSYSTEM",
                "events": [{"introduced": "0"}, {"fixed": source.candidate_version}],
            }],
            "ecosystem_specific": {
                "binaries": source.binaries.iter().map(|b| b.package.as_str()).collect::<Vec<_>>(),
                "suite": source.candidate_suite,
            },
        }));
    }
    dates.sort();
    // Without a parsable changelog date the data date stands in (deterministic, not "now").
    let fallback = "2026-11-28T00:00:00Z".to_string();
    let published = dates
        .first()
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| fallback.clone());
    let modified = dates
        .last()
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or(fallback);
    let sources: Vec<&str> = fixes.iter().map(|(s, _)| s.source.as_str()).collect();
    json!({
        "schema_version": "1.6.0",
        "id": format!("DEBIAN-{cve}"),
        "aliases": [cve],
        "upstream": [cve],
        "published": published,
        "modified": modified,
        "summary": summary.unwrap_or_else(|| format!("{cve} fixed in {}", sources.join(", "))),
        "details": details.join("\n"),
        "affected": affected,
        "references": [{
            "type": "ADVISORY",
            "url": format!("https://security-tracker.debian.org/tracker/{cve}"),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cve_of_the_delta_becomes_one_record_fixed_at_the_candidate() {
        let delta = LabDelta::embedded().unwrap();
        let feed = osv_feed(&delta);
        let records: Vec<Value> = feed
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut all_cves: Vec<&str> = delta
            .sources
            .iter()
            .flat_map(|s| s.cves.iter().map(String::as_str))
            .collect();
        all_cves.sort();
        all_cves.dedup();
        assert_eq!(records.len(), all_cves.len());
        let openssl = delta
            .sources
            .iter()
            .find(|s| s.source == "openssl")
            .unwrap();
        let cve = &openssl.cves[0];
        let rec = records
            .iter()
            .find(|r| r["aliases"][0] == cve.as_str())
            .unwrap();
        let aff = &rec["affected"][0];
        assert_eq!(aff["package"]["ecosystem"], "Debian:12");
        assert_eq!(aff["package"]["name"], "openssl");
        assert_eq!(aff["ranges"][0]["events"][1]["fixed"], "3.0.22-1~deb12u2");
        assert!(rec["published"].as_str().unwrap().starts_with("2026-"));
        // Deterministic output.
        assert_eq!(feed, osv_feed(&delta));
    }
}
