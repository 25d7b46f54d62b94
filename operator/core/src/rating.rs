//! Which published severity judgement an advisory is rated by. Feeds publish severity in
//! different shapes — CVSS vectors, Ubuntu's priority, the Debian tracker's urgency, a Red Hat
//! family rating in the summary — and some publish none (Debian's DSA/DLA records). Every
//! judgement a record carries becomes one [`SeverityEvidence`]; [`best_severity`] picks the
//! most authoritative one and keeps its source, so findings can say where their severity
//! comes from.
//!
//! Order of authority, best first: a CVSS base score computed from a vector (the highest score
//! among several), the distribution's own rating of the package (Ubuntu priority, Debian
//! urgency), another qualitative `severity` entry, the rating word in the summary. Within one
//! kind of source the most severe judgement wins. The Debian DSA/DLA lists and the
//! Greenbone-derived checks publish no rating at all, so advisories read from them stay
//! `Unknown` unless another feed rates the same CVE's record.

use std::fmt;

use crate::advisory::{AdvisorySeverity, CvssScore};
use crate::severity::Severity;

/// Where a severity judgement comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeveritySource {
    /// A CVSS vector of this OSV type (`CVSS_V3`, `CVSS_V4`).
    Cvss(String),
    /// Ubuntu's `ubuntu_priority` of the package.
    UbuntuPriority,
    /// The Debian security tracker's `urgency` of the package.
    DebianUrgency,
    /// Another qualitative OSV `severity` entry, by its type (`Ubuntu`, …).
    Qualitative(String),
    /// The rating word that opens the summary (`Important: kernel security update`).
    SummaryPrefix,
}

impl SeveritySource {
    /// Higher is more authoritative.
    fn authority(&self) -> u8 {
        match self {
            SeveritySource::Cvss(_) => 4,
            SeveritySource::UbuntuPriority | SeveritySource::DebianUrgency => 3,
            SeveritySource::Qualitative(_) => 2,
            SeveritySource::SummaryPrefix => 1,
        }
    }
}

impl fmt::Display for SeveritySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeveritySource::Cvss(kind) => write!(f, "{kind} vector"),
            SeveritySource::UbuntuPriority => f.write_str("Ubuntu priority"),
            SeveritySource::DebianUrgency => f.write_str("Debian tracker urgency"),
            SeveritySource::Qualitative(kind) => write!(f, "{kind} severity"),
            SeveritySource::SummaryPrefix => f.write_str("advisory summary"),
        }
    }
}

/// One severity judgement a record publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct SeverityEvidence {
    /// Where it comes from.
    pub source: SeveritySource,
    /// The qualitative level.
    pub level: Severity,
    /// The scored vector, for CVSS sources.
    pub cvss: Option<CvssScore>,
}

impl SeverityEvidence {
    /// A scored CVSS vector of OSV type `kind`.
    pub fn cvss(kind: &str, score: CvssScore) -> SeverityEvidence {
        SeverityEvidence {
            source: SeveritySource::Cvss(kind.to_string()),
            level: Severity::from_cvss_score(score.score),
            cvss: Some(score),
        }
    }

    /// A rating word from `source`; `None` when the word names no severity or says it is
    /// not assessed yet (`not yet assigned`).
    pub fn word(source: SeveritySource, word: &str) -> Option<SeverityEvidence> {
        let level = word.parse::<Severity>().ok()?;
        (level != Severity::Unknown).then_some(SeverityEvidence {
            source,
            level,
            cvss: None,
        })
    }

    fn rank(&self) -> (u8, Severity, f64) {
        (
            self.source.authority(),
            self.level,
            self.cvss.as_ref().map_or(-1.0, |c| c.score),
        )
    }
}

/// The severity of an advisory from every judgement it carries: the most authoritative
/// source, and within it the most severe judgement. No evidence rates `Unknown` without a
/// source.
pub fn best_severity(evidence: impl IntoIterator<Item = SeverityEvidence>) -> AdvisorySeverity {
    evidence
        .into_iter()
        .fold(None, |best: Option<SeverityEvidence>, next| match best {
            Some(current) if current.rank() >= next.rank() => Some(current),
            _ => Some(next),
        })
        .map(|chosen| AdvisorySeverity {
            level: chosen.level,
            cvss: chosen.cvss,
            source: Some(chosen.source.to_string()),
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cvss::score_vector;

    #[test]
    fn a_cvss_vector_outranks_every_distribution_rating() {
        let vector = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H";
        let scored = score_vector(vector).expect("valid vector");
        let rated = best_severity([
            SeverityEvidence::word(SeveritySource::UbuntuPriority, "critical").expect("word"),
            SeverityEvidence::cvss("CVSS_V3", scored),
            SeverityEvidence::word(SeveritySource::SummaryPrefix, "Low").expect("word"),
        ]);
        assert_eq!(rated.level, Severity::High);
        assert_eq!(rated.source.as_deref(), Some("CVSS_V3 vector"));
        assert_eq!(rated.cvss.map(|c| c.score), Some(7.8));
    }

    #[test]
    fn without_a_vector_the_distribution_rating_wins_and_names_itself() {
        let rated = best_severity(
            [
                SeverityEvidence::word(SeveritySource::SummaryPrefix, "Moderate"),
                SeverityEvidence::word(SeveritySource::DebianUrgency, "low"),
                SeverityEvidence::word(SeveritySource::DebianUrgency, "high"),
            ]
            .into_iter()
            .flatten(),
        );
        assert_eq!(rated.level, Severity::High);
        assert_eq!(rated.source.as_deref(), Some("Debian tracker urgency"));
    }

    #[test]
    fn unassessed_words_are_no_evidence() {
        assert_eq!(
            SeverityEvidence::word(SeveritySource::DebianUrgency, "not yet assigned"),
            None
        );
        assert_eq!(
            SeverityEvidence::word(SeveritySource::DebianUrgency, "unimportant").map(|e| e.level),
            Some(Severity::Negligible)
        );
        assert_eq!(best_severity([]), AdvisorySeverity::default());
    }
}
