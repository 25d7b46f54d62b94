//! An OSV feed (ecosystem `Debian:12`, JSON Lines) for the cache's pending upgrades, read from
//! the archive itself: each .deb's `changelog.Debian.gz` names the CVEs fixed by the uploads
//! newer than the installed version, and its header gives the fixed source version. One
//! record per CVE, affecting the source package, fixed at the new version.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::archive::{PendingUpgrade, packages_filename};
use super::build::{read, run};
use super::cache::DebianCache;

/// A source package's fix: its new version, binaries, and per CVE the upload date.
#[derive(Debug, Default)]
struct SourceFix {
    version: String,
    binaries: Vec<String>,
    cves: BTreeMap<String, String>,
}

/// A changelog entry header `source (version) dists; urgency=…` as (source, version).
pub fn changelog_header(line: &str) -> Option<(&str, &str)> {
    if line.starts_with(' ') || !line.contains("; urgency=") {
        return None;
    }
    let (source, rest) = line.split_once(" (")?;
    let (version, _) = rest.split_once(')')?;
    Some((source, version))
}

/// The CVE ids a line names, upper case.
pub fn cve_ids(line: &str) -> Vec<String> {
    let upper = line.to_ascii_uppercase();
    let mut ids = Vec::new();
    for (start, _) in upper.match_indices("CVE-") {
        let rest = &upper[start + 4..];
        let year: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let number: String = rest
            .get(year.len() + 1..)
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if year.len() == 4 && rest[4..].starts_with('-') && number.len() >= 4 {
            ids.push(format!("CVE-{year}-{number}"));
        }
    }
    ids
}

/// The OSV records for every CVE fixed between the installed and the candidate versions.
pub fn osv_feed(cache: &DebianCache) -> String {
    let mirror = cache.mirror();
    let packages = read(&mirror.join("dists/bookworm-security/main/binary-amd64/Packages"));
    let mut sources: BTreeMap<String, SourceFix> = BTreeMap::new();
    let scratch = tempfile::tempdir().expect("temp dir");
    for upgrade in cache.upgrades() {
        let filename = packages_filename(&packages, &upgrade.package, &upgrade.candidate)
            .expect("every pending upgrade is in the index");
        let (source, entries) = fixed_entries(&mirror.join(filename), upgrade, scratch.path());
        let fix = sources.entry(source).or_default();
        fix.binaries.push(upgrade.package.clone());
        for (version, date, cves) in entries {
            if fix.version.is_empty() {
                fix.version = version;
            }
            for cve in cves {
                fix.cves.entry(cve).or_insert_with(|| date.clone());
            }
        }
    }
    let mut by_cve: BTreeMap<&str, Vec<(&str, &SourceFix)>> = BTreeMap::new();
    for (source, fix) in &sources {
        for cve in fix.cves.keys() {
            by_cve.entry(cve).or_default().push((source, fix));
        }
    }
    by_cve
        .into_iter()
        .map(|(cve, fixes)| format!("{}\n", record(cve, &fixes)))
        .collect()
}

/// The source package of `deb` and its changelog entries newer than the installed version,
/// newest first, as (version, RFC 3339 date, CVE ids).
fn fixed_entries(
    deb: &Path,
    upgrade: &PendingUpgrade,
    scratch: &Path,
) -> (String, Vec<(String, String, Vec<String>)>) {
    let unpacked = scratch.join(&upgrade.package);
    run(
        Command::new("dpkg-deb").arg("-x").arg(deb).arg(&unpacked),
        "dpkg-deb -x",
    );
    let changelog = unpacked.join(format!(
        "usr/share/doc/{}/changelog.Debian.gz",
        upgrade.package
    ));
    let text = if changelog.is_file() {
        let out = run(Command::new("gzip").arg("-dc").arg(&changelog), "gzip -dc");
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        // Some binaries share another binary's doc directory; that one carries the CVEs.
        String::new()
    };
    let mut source = String::new();
    let mut entries = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some((name, version)) = changelog_header(line) {
            if !newer(version, &upgrade.installed) {
                break;
            }
            source = name.to_string();
            current = Some((version.to_string(), Vec::new()));
        } else if let Some(date) = line.strip_prefix(" -- ").and_then(|t| t.split_once(">  ")) {
            if let Some((version, cves)) = current.take() {
                let date = chrono::DateTime::parse_from_rfc2822(date.1.trim())
                    .map(|d| d.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default();
                entries.push((version, date, cves));
            }
        } else if let Some((_, cves)) = current.as_mut() {
            cves.extend(cve_ids(line));
        }
    }
    if source.is_empty() {
        source = deb_field(deb, "Source")
            .split_whitespace()
            .next()
            .map_or_else(|| upgrade.package.clone(), str::to_string);
    }
    (source, entries)
}

fn deb_field(deb: &Path, field: &str) -> String {
    let out = run(
        Command::new("dpkg-deb").arg("-f").arg(deb).arg(field),
        "dpkg-deb -f",
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `dpkg --compare-versions a gt b`: the version order dpkg itself uses.
fn newer(a: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", a, "gt", b])
        .status()
        .is_ok_and(|s| s.success())
}

fn record(cve: &str, fixes: &[(&str, &SourceFix)]) -> Value {
    let affected: Vec<Value> = fixes
        .iter()
        .map(|(source, fix)| {
            json!({
                "package": {"ecosystem": "Debian:12", "name": source},
                "ranges": [{
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "0"}, {"fixed": fix.version}],
                }],
                "ecosystem_specific": {"binaries": fix.binaries, "suite": "bookworm-security"},
            })
        })
        .collect();
    let published = fixes
        .iter()
        .filter_map(|(_, fix)| fix.cves.get(cve).filter(|d| !d.is_empty()))
        .min()
        .cloned()
        .unwrap_or_else(|| "2026-01-01T00:00:00Z".to_string());
    let names: Vec<&str> = fixes.iter().map(|(source, _)| *source).collect();
    json!({
        "schema_version": "1.6.0",
        "id": format!("DEBIAN-{cve}"),
        "aliases": [cve],
        "published": published,
        "modified": published,
        "summary": format!("{cve} fixed in {}", names.join(", ")),
        "affected": affected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_headers_and_cve_ids_are_read() {
        assert_eq!(
            changelog_header("openssl (3.0.22-1~deb12u2) bookworm-security; urgency=medium"),
            Some(("openssl", "3.0.22-1~deb12u2"))
        );
        assert_eq!(
            changelog_header("  * Fix CVE-2026-1 (3.0) x; urgency=low"),
            None
        );
        assert_eq!(changelog_header("openssl (3.0) bookworm"), None);
        assert_eq!(
            cve_ids("  * Fix cve-2026-35189 and CVE-2026-35190, not CVE-26-1 or CVE-2026-12."),
            ["CVE-2026-35189", "CVE-2026-35190"]
        );
    }
}
