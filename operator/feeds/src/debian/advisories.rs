//! OSV records from source packages' changelogs: one record per CVE id, `DEBIAN-<CVE>`, with
//! one `affected` entry per source package whose changelog names it, fixed at the version of
//! the oldest entry that names it (a later entry naming the same CVE again — a follow-up fix, a
//! regression note — does not move the fix). The upload's urgency becomes the package's
//! `ecosystem_specific.urgency`, which the OSV reader rates as Debian urgency.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use patchwarden_lab::names::validate_version;
use serde_json::{Value, json};

use super::changelog::ChangelogEntry;

/// The ecosystem written when none is chosen.
pub const DEFAULT_ECOSYSTEM: &str = "Debian:12";

/// One source package's changelog, as read from one of its `.deb`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceChangelog {
    /// The source package, as the `Packages` index names it (already validated).
    pub source: String,
    /// The changelog's entries, newest first.
    pub entries: Vec<ChangelogEntry>,
}

/// The records built, sorted by id, and the entries left out with their reasons.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuiltAdvisories {
    /// OSV records, one per CVE id.
    pub records: Vec<Value>,
    /// `source version: reason` for each CVE-naming entry that could not be used.
    pub skipped: Vec<String>,
}

/// Where one source package fixes one CVE.
struct Fix<'a> {
    source: &'a str,
    entry: &'a ChangelogEntry,
}

/// Builds one OSV record per vulnerability id (CVE or GHSA) named in any changelog.
pub fn build_advisories(changelogs: &[SourceChangelog], ecosystem: &str) -> BuiltAdvisories {
    let mut skipped = Vec::new();
    let mut by_id: BTreeMap<&str, Vec<Fix<'_>>> = BTreeMap::new();
    for changelog in changelogs {
        for (id, entry) in oldest_fixes(changelog, &mut skipped) {
            by_id.entry(id).or_default().push(Fix {
                source: &changelog.source,
                entry,
            });
        }
    }
    let records = by_id
        .into_iter()
        .map(|(id, fixes)| record(id, &fixes, ecosystem))
        .collect();
    BuiltAdvisories { records, skipped }
}

/// For each vulnerability id in one changelog, the oldest entry naming it. Entries whose version is
/// not a Debian version are reported in `skipped` and left out.
fn oldest_fixes<'a>(
    changelog: &'a SourceChangelog,
    skipped: &mut Vec<String>,
) -> BTreeMap<&'a str, &'a ChangelogEntry> {
    let mut oldest = BTreeMap::new();
    // Newest first in the file: walking it backwards, the first entry seen is the oldest.
    for entry in changelog.entries.iter().rev() {
        if entry.vulnerability_ids.is_empty() {
            continue;
        }
        if let Err(reason) = validate_version(&entry.version) {
            skipped.push(format!(
                "{} (changelog line {}): {reason}",
                changelog.source, entry.line
            ));
            continue;
        }
        for id in &entry.vulnerability_ids {
            oldest.entry(id.as_str()).or_insert(entry);
        }
    }
    oldest
}

fn record(id: &str, fixes: &[Fix<'_>], ecosystem: &str) -> Value {
    let times: Vec<DateTime<FixedOffset>> = fixes.iter().map(|f| f.entry.time).collect();
    let published = times.iter().min().map(utc).unwrap_or_default();
    let modified = times.iter().max().map(utc).unwrap_or_default();
    let fixed_in: Vec<String> = fixes
        .iter()
        .map(|f| format!("{} {}", f.source, f.entry.version))
        .collect();
    let details: Vec<String> = fixes
        .iter()
        .flat_map(|f| {
            f.entry
                .lines
                .iter()
                .filter(|l| l.to_ascii_lowercase().contains(&id.to_ascii_lowercase()))
                .map(move |l| format!("{} {}: {}", f.source, f.entry.version, l.trim()))
        })
        .collect();
    json!({
        "schema_version": "1.6.0",
        "id": format!("DEBIAN-{id}"),
        "aliases": [id],
        "published": published,
        "modified": modified,
        "summary": format!("{id} fixed in {}", fixed_in.join(", ")),
        "details": details.join("\n"),
        "affected": fixes.iter().map(|f| affected(f, ecosystem)).collect::<Vec<_>>(),
        "references": [{
            "type": "ADVISORY",
            "url": reference_url(id),
        }],
    })
}

/// Where a person reads about the vulnerability: Debian's tracker for a CVE, GitHub's
/// advisory database for a GHSA id.
fn reference_url(id: &str) -> String {
    if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else {
        format!("https://security-tracker.debian.org/tracker/{id}")
    }
}

fn affected(fix: &Fix<'_>, ecosystem: &str) -> Value {
    let entry = fix.entry;
    let mut ecosystem_specific = serde_json::Map::new();
    if let Some(word) = entry.urgency.as_deref().and_then(urgency_rating) {
        ecosystem_specific.insert("urgency".into(), json!(word));
    }
    json!({
        "package": {"ecosystem": ecosystem, "name": fix.source},
        "ranges": [{
            "type": "ECOSYSTEM",
            "events": [{"introduced": "0"}, {"fixed": entry.version}],
        }],
        "ecosystem_specific": ecosystem_specific,
        "database_specific": {
            "changelog": {
                "version": entry.version,
                "distribution": entry.distribution,
                "urgency": entry.urgency,
                "date": entry.date,
            },
        },
    })
}

/// The severity word for a changelog urgency (Debian policy §5.6.17: low, medium, high,
/// emergency, critical). `emergency` is rated `critical`; an unknown word is not a rating.
fn urgency_rating(urgency: &str) -> Option<&'static str> {
    match urgency {
        "low" => Some("low"),
        "medium" => Some("medium"),
        "high" => Some("high"),
        "emergency" | "critical" => Some("critical"),
        _ => None,
    }
}

fn utc(time: &DateTime<FixedOffset>) -> String {
    time.with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
