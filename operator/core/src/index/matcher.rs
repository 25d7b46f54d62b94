//! Matching inventories against the index, memoized per (ecosystem, package, version) triple
//! and per package record, so a fleet costs one evaluation per distinct triple.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::AdvisoryIndex;
use super::fx::FxMap;
use crate::advisory::{Advisory, PackageNameKind};
use crate::ecosystem::Ecosystem;
use crate::finding::{Assessment, AssessmentSummary, AssetContext, Finding, PackageMatch};
use crate::inventory::Inventory;
use crate::risk::{RiskInputs, RiskScore};

type TripleKey<'i> = (u32, PackageNameKind, &'i str, &'i str);

/// Matches inventories against an index, remembering every (ecosystem, package, version)
/// triple it has seen. `'i` is the lifetime of the inventories it is given.
pub struct FleetMatcher<'x, 'i> {
    index: &'x AdvisoryIndex,
    memo: FxMap<TripleKey<'i>, Option<Arc<PackageMatch>>>,
    /// Fast path in front of `memo`: the package records themselves, by address. Sound
    /// because the records are borrowed for `'i`, so no address is freed or reused while
    /// this matcher lives. Each entry holds the source-name and binary-name results.
    by_record: FxMap<(u32, usize), [Option<Arc<PackageMatch>>; 2]>,
    /// Scratch, reused between assets: finding position per shared match.
    by_match: FxMap<usize, usize>,
    /// Scratch, reused between assets: one bit per CVE number, cleared after each asset.
    cve_seen: Vec<u64>,
    /// Per package record (as `by_record`), the advisories published since `recent_since`
    /// that name it by source or binary.
    recent: FxMap<(u32, usize), Box<[u32]>>,
    recent_since: Option<DateTime<Utc>>,
    /// Scratch, reused between assets: one bit per advisory number, cleared after each asset.
    advisory_seen: Vec<u64>,
}

impl<'x, 'i> FleetMatcher<'x, 'i> {
    /// A matcher with empty memos.
    pub(super) fn new(index: &'x AdvisoryIndex) -> Self {
        FleetMatcher {
            index,
            memo: FxMap::default(),
            by_record: FxMap::default(),
            by_match: FxMap::default(),
            cve_seen: vec![0; index.cve_numbers.len().div_ceil(64)],
            recent: FxMap::default(),
            recent_since: None,
            advisory_seen: vec![0; index.advisories.len().div_ceil(64)],
        }
    }

    /// Distinct triples evaluated so far.
    pub fn distinct_triples(&self) -> usize {
        self.memo.len()
    }

    /// Assesses one asset.
    pub fn assess(&mut self, inventory: &'i Inventory, context: &AssetContext) -> Assessment {
        let index = self.index;
        let mut findings: Vec<Finding> = Vec::with_capacity(32);
        let by_match = &mut self.by_match;
        by_match.clear();
        if let Some(&eco_id) = index.ecosystem_ids.get(context.ecosystem.as_str()) {
            let eco = &index.ecosystems[eco_id as usize];
            for package in &inventory.packages {
                let record = (eco_id, Arc::as_ptr(package) as usize);
                let memo = &mut self.memo;
                let matches = match self.by_record.entry(record) {
                    std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        let lookups = [
                            (
                                PackageNameKind::Source,
                                &eco.by_source,
                                package.source_name(),
                                package.source_version(),
                            ),
                            (
                                PackageNameKind::Binary,
                                &eco.by_binary,
                                &*package.name,
                                &*package.version,
                            ),
                        ];
                        let found = lookups.map(|(kind, map, name, version)| {
                            let entries = map.get(name)?;
                            memo.entry((eco_id, kind, name, version))
                                .or_insert_with(|| {
                                    index.remembered_match(eco_id, kind, entries, name, version)
                                })
                                .clone()
                        });
                        slot.insert(found)
                    }
                };
                for matched in matches.iter().flatten() {
                    let key = Arc::as_ptr(matched) as usize;
                    let binary = package.clone();
                    match by_match.get(&key) {
                        Some(&at) => findings[at].binaries.push(binary),
                        None => {
                            by_match.insert(key, findings.len());
                            let source = package.source.clone().filter(|s| **s != *matched.package);
                            findings.push(Finding {
                                risk: risk_of(matched, context),
                                matched: matched.clone(),
                                source,
                                binaries: vec![binary],
                            });
                        }
                    }
                }
            }
        }
        findings.sort_by(|a, b| {
            b.risk
                .score
                .total_cmp(&a.risk.score)
                .then_with(|| a.matched.package.cmp(&b.matched.package))
        });
        let summary = AssessmentSummary::of(&findings, self.count_distinct_cves(&findings));
        Assessment {
            asset: context.name.clone(),
            ecosystem: context.ecosystem.clone(),
            packages: inventory.len(),
            findings,
            summary,
        }
    }

    /// [`AdvisoryIndex::recent_advisories`], each once but in no particular order, remembering
    /// each package record's advisories: a fleet's hosts share most of their records.
    pub fn recent_advisories(
        &mut self,
        inventory: &'i Inventory,
        ecosystem: &Ecosystem,
        since: DateTime<Utc>,
    ) -> Vec<&'x Advisory> {
        let index = self.index;
        let Some(&eco_id) = index.ecosystem_ids.get(ecosystem.as_str()) else {
            return Vec::new();
        };
        if self.recent_since != Some(since) {
            self.recent.clear();
            self.recent_since = Some(since);
        }
        let mut numbers: Vec<u32> = Vec::new();
        for package in &inventory.packages {
            let record = (eco_id, Arc::as_ptr(package) as usize);
            let recent = self.recent.entry(record).or_insert_with(|| {
                index
                    .recent_numbers(eco_id, std::slice::from_ref(package), since)
                    .into_boxed_slice()
            });
            for &n in recent.iter() {
                let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
                if self.advisory_seen[word] & bit == 0 {
                    self.advisory_seen[word] |= bit;
                    numbers.push(n);
                }
            }
        }
        for &n in &numbers {
            self.advisory_seen[(n / 64) as usize] = 0;
        }
        numbers
            .into_iter()
            .filter_map(|n| index.advisories.get(n as usize))
            .collect()
    }
}

impl FleetMatcher<'_, '_> {
    /// Distinct CVEs over findings, with a bitset instead of hashing strings.
    fn count_distinct_cves(&mut self, findings: &[Finding]) -> usize {
        let mut distinct = 0;
        for finding in findings {
            for &n in &finding.matched.cve_numbers {
                let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
                if self.cve_seen[word] & bit == 0 {
                    self.cve_seen[word] |= bit;
                    distinct += 1;
                }
            }
        }
        for finding in findings {
            for &n in &finding.matched.cve_numbers {
                self.cve_seen[(n / 64) as usize] = 0;
            }
        }
        distinct
    }
}

/// The risk score of one match on one asset.
fn risk_of(matched: &PackageMatch, context: &AssetContext) -> RiskScore {
    RiskScore::compute(RiskInputs {
        kev_since: matched.kev.as_ref().map(|k| k.date_added),
        ransomware: matched.kev.as_ref().is_some_and(|k| k.known_ransomware_use),
        epss: matched.epss.as_ref().map(|e| e.probability),
        severity: matched.severity,
        cvss: matched.cvss.as_ref().map(|c| c.score),
        severity_source: matched.severity_source.clone(),
        criticality: context.criticality,
        exposure: context.exposure,
        fix_available: matched.fixed_version.is_some(),
    })
}
