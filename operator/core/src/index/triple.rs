//! Matching one (ecosystem, package, version) triple: which advisories cover the version,
//! and what they say together (highest fix, worst severity, earliest publication, KEV, EPSS).

use std::cmp::Ordering;
use std::sync::Arc;

use super::intervals::{End, contains};
use super::{AdvisoryIndex, EcosystemIndex, Entry};
use crate::advisory::{AdvisoryClass, CvssScore, PackageNameKind};
use crate::feed::epss::cve_key;
use crate::finding::{EpssPrediction, KevListing, MatchedAdvisory, PackageMatch};
use crate::severity::Severity;
use crate::version::VersionScheme;

/// What the advisories covering one version say together.
struct Merged<'e> {
    /// The highest fixed version any of them names.
    fixed_version: Option<&'e str>,
    /// How many have no fix for this version.
    unfixed: usize,
    /// Their CVEs, sorted and deduplicated.
    cve_ids: Vec<String>,
    /// The worst severity (then the highest CVSS score), with its score and source.
    severity: Severity,
    cvss: Option<CvssScore>,
    severity_source: Option<String>,
    /// The earliest publication.
    published: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether any is a security advisory.
    security: bool,
    advisories: Vec<MatchedAdvisory>,
}

impl AdvisoryIndex {
    /// The match of one triple of ecosystem `eco_id`: remembered from an earlier matcher over
    /// this index, or matched now and remembered.
    pub(super) fn remembered_match(
        &self,
        eco_id: u32,
        kind: PackageNameKind,
        entries: &[Entry],
        name: &str,
        version: &str,
    ) -> Option<Arc<PackageMatch>> {
        if let Some(known) = self.shared_matches.get(eco_id, kind, name, version) {
            return known;
        }
        let eco = &self.ecosystems[eco_id as usize];
        let matched = self.match_triple(eco, kind, entries, name, version);
        self.shared_matches
            .insert(eco_id, kind, name, version, matched.clone());
        matched
    }

    /// Matches one triple against one package map.
    pub(super) fn match_triple(
        &self,
        eco: &EcosystemIndex,
        kind: PackageNameKind,
        entries: &[Entry],
        name: &str,
        version: &str,
    ) -> Option<Arc<PackageMatch>> {
        let hits = advisory_hits(eco.scheme, entries, version);
        if hits.is_empty() {
            return None;
        }
        let merged = self.merge(eco.scheme, &hits);
        let cve_numbers = merged
            .cve_ids
            .iter()
            .filter_map(|c| cve_key(c).and_then(|k| self.cve_numbers.get(&k)).copied())
            .collect();
        let (kev, epss) = self.kev_and_epss(&merged.cve_ids);
        Some(Arc::new(PackageMatch {
            ecosystem: eco.ecosystem.clone(),
            package: name.to_string(),
            name_kind: kind,
            installed_version: version.to_string(),
            fixed_version: merged.fixed_version.map(str::to_string),
            unfixed_advisories: merged.unfixed,
            advisories: merged.advisories,
            cve_ids: merged.cve_ids,
            cve_numbers,
            severity: merged.severity,
            cvss: merged.cvss,
            severity_source: merged.severity_source,
            published: merged.published,
            security: merged.security,
            kev,
            epss,
        }))
    }

    /// Folds the hits into what they say together.
    fn merge<'e>(&self, scheme: VersionScheme, hits: &[(u32, Option<&'e str>)]) -> Merged<'e> {
        let mut merged = Merged {
            fixed_version: None,
            unfixed: 0,
            cve_ids: Vec::new(),
            severity: Severity::Unknown,
            cvss: None,
            severity_source: None,
            published: None,
            security: false,
            advisories: Vec::with_capacity(hits.len()),
        };
        for &(position, fixed) in hits {
            let advisory = &self.advisories[position as usize];
            match fixed {
                Some(f) => {
                    if merged
                        .fixed_version
                        .is_none_or(|current| scheme.compare(f, current) == Ordering::Greater)
                    {
                        merged.fixed_version = Some(f);
                    }
                }
                None => merged.unfixed += 1,
            }
            merged.cve_ids.extend(advisory.cve_ids.iter().cloned());
            let level = advisory.severity.level;
            let score = advisory.severity.cvss.as_ref().map(|c| c.score);
            if (level, score.unwrap_or(-1.0))
                > (
                    merged.severity,
                    merged.cvss.as_ref().map(|c| c.score).unwrap_or(-1.0),
                )
            {
                merged.severity = level;
                merged.cvss = advisory.severity.cvss.clone();
                merged.severity_source = advisory.severity.source.clone();
            }
            let advisory_published = advisory.published_at();
            if let Some(at) = advisory_published
                && merged.published.is_none_or(|earliest| at < earliest)
            {
                merged.published = Some(at);
            }
            let class = advisory.class();
            merged.security |= class == AdvisoryClass::Security;
            merged.advisories.push(MatchedAdvisory {
                id: advisory.id.clone(),
                fixed_version: fixed.map(str::to_string),
                published: advisory_published,
                class,
            });
        }
        merged.cve_ids.sort_unstable();
        merged.cve_ids.dedup();
        merged
    }

    /// The earliest KEV listing and the highest EPSS prediction among the CVEs.
    fn kev_and_epss(&self, cve_ids: &[String]) -> (Option<KevListing>, Option<EpssPrediction>) {
        let mut kev: Option<KevListing> = None;
        let mut epss: Option<EpssPrediction> = None;
        for cve in cve_ids {
            let Some(key) = cve_key(cve) else { continue };
            if let Some(entry) = self.kev.get(&key)
                && kev.as_ref().is_none_or(|k| entry.date_added < k.date_added)
            {
                kev = Some(KevListing {
                    cve_id: entry.cve_id.clone(),
                    date_added: entry.date_added,
                    due_date: entry.due_date,
                    known_ransomware_use: entry.known_ransomware_use,
                });
            }
            if let Some(score) = self.epss.get(cve)
                && epss
                    .as_ref()
                    .is_none_or(|e| f64::from(score.probability) > e.probability)
            {
                epss = Some(EpssPrediction {
                    cve_id: cve.clone(),
                    probability: round4(score.probability),
                    percentile: score.percentile.map(round4),
                });
            }
        }
        (kev, epss)
    }
}

/// The advisories with an entry covering `version` (by interval or explicit version), in
/// entry order, each with the highest fixed version its covering entries name (`None`: no
/// fix).
fn advisory_hits<'e>(
    scheme: VersionScheme,
    entries: &'e [Entry],
    version: &str,
) -> Vec<(u32, Option<&'e str>)> {
    let mut hits: Vec<(u32, Option<&str>)> = Vec::new();
    for entry in entries {
        let hit = entry
            .intervals
            .iter()
            .find(|interval| contains(scheme, interval, version))
            .map(|interval| match &interval.end {
                End::Fixed(fixed) => Some(&**fixed),
                End::LastAffected(_) | End::Open => None,
            })
            .or_else(|| {
                entry
                    .versions
                    .iter()
                    .any(|v| &**v == version)
                    .then_some(None)
            });
        if let Some(fixed) = hit {
            match hits.iter_mut().find(|(a, _)| *a == entry.advisory) {
                Some(existing) => {
                    if let (Some(old), Some(new)) = (existing.1, fixed)
                        && scheme.compare(new, old) == Ordering::Greater
                    {
                        existing.1 = Some(new);
                    }
                }
                None => hits.push((entry.advisory, fixed)),
            }
        }
    }
    hits
}

/// An f32 feed value as a tidy f64 (0.94584 rather than 0.9458400011).
fn round4(value: f32) -> f64 {
    (f64::from(value) * 100_000.0).round() / 100_000.0
}
