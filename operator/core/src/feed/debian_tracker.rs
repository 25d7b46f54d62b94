//! The Debian security tracker's `data/DSA/list` and `data/DLA/list`:
//!
//! ```text
//! [29 Mar 2023] DSA-5380-1 xorg-server - security update
//!     {CVE-2023-1393}
//!     [bullseye] - xorg-server 2:1.20.11-1+deb11u6
//! ```
//!
//! Continuation lines start with whitespace (a TAB, 8 spaces, or a mix in old entries). Each `[release] - source version` line
//! becomes an affected source package in `Debian:N`; `<not-affected>` lines are dropped,
//! `<unfixed>` and `<end-of-life>` lines become affected packages without a fix.

use super::FeedError;
use crate::advisory::{
    Advisory, AdvisorySeverity, AffectedPackage, PackageNameKind, RangeEvent, VersionRange,
    sort_ids,
};
use crate::ecosystem::Ecosystem;
use crate::version::VersionScheme;

/// The Debian release number of a codename.
pub fn release_number(codename: &str) -> Option<&'static str> {
    Some(match codename {
        "woody" => "3.0",
        "sarge" => "3.1",
        "etch" => "4",
        "lenny" => "5",
        "squeeze" => "6",
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        "duke" => "15",
        _ => return None,
    })
}

/// A parsed list: the advisories, and the release lines that were left out because their
/// version is not a dpkg version (the historical lists have a few, e.g. DSA-423 of 2004).
#[derive(Debug, Clone, Default)]
pub struct TrackerList {
    /// The advisories.
    pub advisories: Vec<Advisory>,
    /// The release lines left out, each naming its line, advisory and reason.
    pub skipped: Vec<FeedError>,
}

/// Parses a DSA or DLA list. Records are numbered by line. Structural damage (a line that
/// is neither a header nor a known continuation, a bad date, an unknown release) is an
/// error; a release line whose version is invalid is left out and reported in `skipped`.
pub fn parse_list(text: &str) -> Result<TrackerList, FeedError> {
    let mut advisories: Vec<Advisory> = Vec::new();
    let mut skipped = Vec::new();
    for (index, raw_line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw_line.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        // TAB, 8 spaces, and in older entries a mix of both.
        let continuation = line.starts_with(['\t', ' ']);
        if !continuation {
            advisories.push(parse_header(line, line_no)?);
            continue;
        }
        let Some(current) = advisories.last_mut() else {
            return Err(FeedError::new(
                line_no,
                None,
                "line",
                "continuation line before any header",
            ));
        };
        let body = line.trim();
        if let Some(list) = body.strip_prefix('{') {
            let list = list.strip_suffix('}').ok_or_else(|| {
                FeedError::new(
                    line_no,
                    Some(&current.id),
                    "cve list",
                    format!("unclosed '{{' in {body:?}"),
                )
            })?;
            let (cves, others) = sort_ids(list.split_whitespace().map(str::to_string), &current.id);
            for cve in cves {
                if !current.cve_ids.contains(&cve) {
                    current.cve_ids.push(cve);
                }
            }
            current.other_ids.extend(others);
        } else if body.starts_with('[') {
            match parse_release_line(body, line_no, &current.id) {
                Ok(Some(affected)) => current.affected.push(affected),
                Ok(None) => {}
                Err(ReleaseLineError::BadVersion(error)) => skipped.push(error),
                Err(ReleaseLineError::Malformed(error)) => return Err(error),
            }
        } else if body.starts_with("NOTE:") {
            continue;
        } else {
            return Err(FeedError::new(
                line_no,
                Some(&current.id),
                "line",
                format!("unrecognised line {body:?}"),
            ));
        }
    }
    Ok(TrackerList {
        advisories,
        skipped,
    })
}

enum ReleaseLineError {
    BadVersion(FeedError),
    Malformed(FeedError),
}

fn parse_header(line: &str, line_no: usize) -> Result<Advisory, FeedError> {
    let bad = |reason: &str| FeedError::new(line_no, None, "header", format!("{reason}: {line:?}"));
    let rest = line
        .strip_prefix('[')
        .ok_or_else(|| bad("expected `[DD Mon YYYY] ID package - text`"))?;
    let (date, rest) = rest.split_once(']').ok_or_else(|| bad("unclosed date"))?;
    let published = chrono::NaiveDate::parse_from_str(date.trim(), "%d %b %Y")
        .map_err(|e| bad(&format!("bad date ({e})")))?;
    let mut words = rest.split_whitespace();
    let id = words.next().ok_or_else(|| bad("missing id"))?.to_string();
    let source = words.next().ok_or_else(|| bad("missing package"))?;
    let summary = rest
        .split_once(" - ")
        .or_else(|| rest.split_once(" -- "))
        .map(|(_, text)| text.trim().to_string());
    Ok(Advisory {
        cve_ids: Vec::new(),
        other_ids: Vec::new(),
        summary: summary.map(|s| format!("{source}: {s}")),
        published: Some(published.format("%Y-%m-%d").to_string()),
        severity: AdvisorySeverity::default(),
        affected: Vec::new(),
        id,
    })
}

fn parse_release_line(
    body: &str,
    line_no: usize,
    id: &str,
) -> Result<Option<AffectedPackage>, ReleaseLineError> {
    let bad = |reason: String| {
        ReleaseLineError::Malformed(FeedError::new(line_no, Some(id), "release line", reason))
    };
    let (release, rest) = body[1..]
        .split_once(']')
        .ok_or_else(|| bad(format!("unclosed '[' in {body:?}")))?;
    let rest = rest
        .trim_start()
        .strip_prefix('-')
        .ok_or_else(|| bad(format!("expected `[release] - package version`: {body:?}")))?;
    let mut words = rest.split_whitespace();
    let package = words
        .next()
        .ok_or_else(|| bad(format!("missing package: {body:?}")))?;
    let state = words
        .next()
        .ok_or_else(|| bad(format!("missing version: {body:?}")))?;
    let Some(number) = release_number(release.trim()) else {
        return Err(bad(format!("unknown Debian release {release:?}")));
    };
    let range = match state {
        "<not-affected>" | "<removed>" | "<ignored>" | "<postponed>" => return Ok(None),
        "<unfixed>" | "<end-of-life>" => VersionRange {
            events: vec![RangeEvent::Introduced("0".into())],
        },
        version if version.starts_with('<') => return Err(bad(format!("unknown state {version}"))),
        version => {
            VersionScheme::Dpkg.validate(version).map_err(|e| {
                ReleaseLineError::BadVersion(FeedError::new(
                    line_no,
                    Some(id),
                    "release line",
                    e.to_string(),
                ))
            })?;
            VersionRange::fixed_in(version)
        }
    };
    Ok(Some(AffectedPackage {
        ecosystem: Ecosystem::new(format!("Debian:{number}")),
        package: package.to_string(),
        name_kind: PackageNameKind::Source,
        binaries: Vec::new(),
        ranges: vec![range],
        versions: Vec::new(),
        severity: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_cves_and_release_lines() {
        let text = "[29 Mar 2023] DSA-5380-1 xorg-server - security update\n\t{CVE-2023-1393}\n\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6\n        [buster] - xorg-server <not-affected> (vulnerable code not present)\n[02 Jul 2002] DSA-135 libapache-mod-ssl -- buffer overflow\n";
        let advisories = parse_list(text).expect("parses").advisories;
        assert_eq!(advisories.len(), 2);
        assert_eq!(advisories[0].cve_ids, ["CVE-2023-1393"]);
        assert_eq!(advisories[0].affected.len(), 1);
        assert_eq!(advisories[0].affected[0].ecosystem.as_str(), "Debian:11");
        assert_eq!(advisories[0].published.as_deref(), Some("2023-03-29"));
        let list = parse_list("[29 Mar 2023] DSA-1-1 x - y\n\t[bullseye] - x not:a:version\n")
            .expect("parses");
        assert!(list.advisories[0].affected.is_empty());
        assert_eq!(
            (list.skipped[0].record, list.skipped[0].id.as_deref()),
            (2, Some("DSA-1-1"))
        );
        let error = parse_list("[29 Mar 2023] DSA-1-1 x - y\n\tgarbage\n").expect_err("bad");
        assert_eq!((error.record, error.id.as_deref()), (2, Some("DSA-1-1")));
    }
}
