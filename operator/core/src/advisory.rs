//! The advisory model every feed is read into: which packages of which ecosystem are
//! affected in which version ranges, what fixes them, which CVEs they cover and how severe
//! they are. It follows the OSV schema, reduced to what matching and reporting use.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ecosystem::Ecosystem;
use crate::severity::Severity;

/// One advisory (an OSV record, a DSA/DLA, an Alpine secfix, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The advisory's own id (`ALSA-2024:0001`, `DSA-5600-1`, `UBUNTU-CVE-2023-4911`).
    pub id: String,
    /// CVE ids it covers (from `aliases`, `related`, `upstream` or the id itself).
    pub cve_ids: Vec<String>,
    /// Other ids it is known by (USNs, XSAs, GHSA, …), not CVEs.
    pub other_ids: Vec<String>,
    /// One-line summary, when given.
    pub summary: Option<String>,
    /// Publication date-time as written by the feed (RFC 3339), when given.
    pub published: Option<String>,
    /// How severe it is and where that judgement comes from.
    pub severity: AdvisorySeverity,
    /// The affected packages.
    pub affected: Vec<AffectedPackage>,
}

/// What an advisory announces, told by its source: errata streams name bug-fix and
/// enhancement updates apart from security ones (`ALBA-`/`ALEA-` beside `ALSA-`, `RHBA-`/`RHEA-`
/// beside `RHSA-`); the security trackers (DSA, DLA, USN, `DEBIAN-CVE-`, `UBUNTU-CVE-`, Alpine
/// secfixes, OSV vulnerability records) announce only security fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AdvisoryClass {
    /// Fixes a vulnerability.
    Security,
    /// A bug-fix erratum.
    Bugfix,
    /// An enhancement erratum.
    Enhancement,
}

impl AdvisoryClass {
    /// The class of the advisory with this id: `<vendor><S|B|E>A-…` errata ids say it
    /// themselves; every other id comes from a security feed.
    pub fn of_id(id: &str) -> AdvisoryClass {
        let Some((prefix, _)) = id.split_once('-') else {
            return AdvisoryClass::Security;
        };
        let errata = prefix.len() >= 3
            && prefix.len() <= 5
            && prefix.bytes().all(|b| b.is_ascii_uppercase())
            && prefix.ends_with('A');
        match prefix.as_bytes() {
            [.., b'B', b'A'] if errata => AdvisoryClass::Bugfix,
            [.., b'E', b'A'] if errata => AdvisoryClass::Enhancement,
            _ => AdvisoryClass::Security,
        }
    }
}

impl Advisory {
    /// What the advisory announces (see [`AdvisoryClass`]).
    pub fn class(&self) -> AdvisoryClass {
        AdvisoryClass::of_id(&self.id)
    }

    /// `published` as an instant: RFC 3339, or a plain date (`2023-03-29`, the tracker lists)
    /// read as its start in UTC. `None` when absent or unreadable.
    pub fn published_at(&self) -> Option<DateTime<Utc>> {
        let text = self.published.as_deref()?.trim();
        if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
            return Some(instant.with_timezone(&Utc));
        }
        if let Ok(local) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
            return Some(local.and_utc());
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(|date| date.and_time(NaiveTime::MIN).and_utc())
    }
}

/// Severity of an advisory: a CVSS base score when the feed has a vector, else the
/// distribution's own rating.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdvisorySeverity {
    /// The qualitative level.
    pub level: Severity,
    /// The CVSS assessment, when a vector was published.
    pub cvss: Option<CvssScore>,
    /// Where the level comes from (`CVSS_V3`, `ubuntu_priority`, `summary`, `urgency`, …).
    pub source: Option<String>,
}

/// A CVSS vector and its base score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    /// The vector string (`CVSS:3.1/AV:N/…`).
    pub vector: String,
    /// The base score, 0.0–10.0.
    pub score: f64,
}

/// Whether an advisory names source or binary packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageNameKind {
    /// A source package (Debian, Ubuntu, Alpine origin).
    Source,
    /// A binary package (RHEL family).
    Binary,
}

/// One affected package in one ecosystem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// The ecosystem (`Debian:12`).
    pub ecosystem: Ecosystem,
    /// The package name as the advisory writes it.
    pub package: String,
    /// Whether `package` is a source or binary name.
    pub name_kind: PackageNameKind,
    /// Binary packages built from `package`, when the advisory lists them (Ubuntu).
    pub binaries: Vec<String>,
    /// Affected version ranges.
    pub ranges: Vec<VersionRange>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
    /// The distribution's rating for this package, when it differs per package.
    pub severity: Option<Severity>,
}

/// One OSV `ECOSYSTEM` range as ordered events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRange {
    /// The events in feed order.
    pub events: Vec<RangeEvent>,
}

/// An OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeEvent {
    /// Affected from this version on (`"0"` means from the beginning).
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
}

impl VersionRange {
    /// `[introduced "0", fixed]`: everything before `fixed`.
    pub fn fixed_in(fixed: impl Into<String>) -> Self {
        VersionRange {
            events: vec![
                RangeEvent::Introduced("0".into()),
                RangeEvent::Fixed(fixed.into()),
            ],
        }
    }
}

/// Keeps CVE ids (`CVE-YYYY-NNNN…`) and puts other ids aside, without duplicates.
pub(crate) fn sort_ids(
    ids: impl IntoIterator<Item = String>,
    own_id: &str,
) -> (Vec<String>, Vec<String>) {
    let mut cves = Vec::new();
    let mut others = Vec::new();
    for id in ids {
        let id = id.trim().to_string();
        if id.is_empty() || id == own_id {
            continue;
        }
        if let Some(cve) = extract_cve(&id) {
            if !cves.contains(&cve) {
                cves.push(cve);
            }
        } else if !others.contains(&id) {
            others.push(id);
        }
    }
    (cves, others)
}

/// The CVE id inside an id string (`UBUNTU-CVE-2023-4911` → `CVE-2023-4911`), if any.
pub fn extract_cve(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find("CVE-").map(|a| a + from) {
        let mut end = at + 4;
        let year_end = end + 4;
        if bytes.len() >= year_end
            && bytes[end..year_end].iter().all(u8::is_ascii_digit)
            && bytes.get(year_end) == Some(&b'-')
        {
            end = year_end + 1;
            let digits = bytes[end..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits >= 4 {
                return Some(text[at..end + digits].to_string());
            }
        }
        from = at + 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errata_ids_tell_bugfix_and_enhancement_updates_from_security_ones() {
        for (id, class) in [
            ("ALSA-2026:A009", AdvisoryClass::Security),
            ("ALBA-2024:0123", AdvisoryClass::Bugfix),
            ("ALEA-2023:7001", AdvisoryClass::Enhancement),
            ("RHBA-2024:1", AdvisoryClass::Bugfix),
            ("DSA-5380-1", AdvisoryClass::Security),
            ("DLA-4774-1", AdvisoryClass::Security),
            ("USN-7500-1", AdvisoryClass::Security),
            ("UBUNTU-CVE-2023-4911", AdvisoryClass::Security),
            ("DEBIAN-CVE-2026-0001", AdvisoryClass::Security),
            ("GHSA-xxxx-yyyy-zzzz", AdvisoryClass::Security),
            ("CVE-2024-1", AdvisoryClass::Security),
        ] {
            assert_eq!(AdvisoryClass::of_id(id), class, "{id}");
        }
    }

    #[test]
    fn reads_rfc3339_and_plain_publication_dates() {
        let mut advisory = Advisory {
            id: "DSA-1-1".into(),
            cve_ids: vec![],
            other_ids: vec![],
            summary: None,
            published: Some("2023-03-29".into()),
            severity: AdvisorySeverity::default(),
            affected: vec![],
        };
        let day = |text: &str| DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc));
        assert_eq!(advisory.published_at(), day("2023-03-29T00:00:00Z").ok());
        advisory.published = Some("2026-10-21T09:54:24+00:00".into());
        assert_eq!(advisory.published_at(), day("2026-10-21T09:54:24Z").ok());
        advisory.published = Some("2014-09-20T00:00:00".into());
        assert_eq!(advisory.published_at(), day("2014-09-20T00:00:00Z").ok());
        advisory.published = Some("soon".into());
        assert_eq!(advisory.published_at(), None);
    }

    #[test]
    fn extracts_cve_ids_from_composite_ids() {
        assert_eq!(
            extract_cve("UBUNTU-CVE-2023-4911").as_deref(),
            Some("CVE-2023-4911")
        );
        assert_eq!(
            extract_cve("CVE-2019-15890 XSA-300").as_deref(),
            Some("CVE-2019-15890")
        );
        assert_eq!(extract_cve("CVE-????-?????  XSA-1"), None);
        assert_eq!(extract_cve("XSA-300"), None);
        let (cves, others) = sort_ids(
            [
                "CVE-1999-0001".into(),
                "USN-1".into(),
                "CVE-1999-0001".into(),
            ],
            "X",
        );
        assert_eq!(
            (cves, others),
            (vec!["CVE-1999-0001".to_string()], vec!["USN-1".to_string()])
        );
    }
}
