//! The advisory index: built once per feed set, shared read-only between threads, and
//! matched against inventories. Advisories are grouped by ecosystem and package name with
//! their ranges pre-sorted into intervals; KEV and EPSS are keyed by CVE. A
//! [`FleetMatcher`] memoizes each distinct (ecosystem, package, version) triple, so a fleet
//! costs as many range evaluations as it has distinct triples, not assets.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::advisory::{Advisory, AdvisoryClass, PackageNameKind, RangeEvent};
use crate::ecosystem::Ecosystem;
use crate::feed::epss::{EpssTable, cve_key};
use crate::feed::kev::{KevCatalog, KevEntry};
use crate::finding::{
    Assessment, AssessmentSummary, AssetContext, EpssPrediction, Finding, KevListing,
    MatchedAdvisory, PackageMatch,
};
use crate::inventory::Inventory;
use crate::risk::{RiskInputs, RiskScore};
use crate::version::VersionScheme;

/// The feeds an index is built from.
#[derive(Debug, Clone, Default)]
pub struct FeedSet {
    /// Advisories from every OSV, tracker and secdb feed.
    pub advisories: Vec<Advisory>,
    /// The KEV catalog, when loaded.
    pub kev: Option<KevCatalog>,
    /// EPSS scores, when loaded.
    pub epss: Option<EpssTable>,
}

/// Counts describing an index.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndexStats {
    /// Advisories kept.
    pub advisories: usize,
    /// (ecosystem, package) keys.
    pub packages: usize,
    /// Affected entries indexed.
    pub entries: usize,
    /// Affected entries skipped because their ecosystem has no known version ordering.
    pub skipped_entries: usize,
    /// Ecosystems indexed.
    pub ecosystems: usize,
    /// KEV entries.
    pub kev: usize,
    /// EPSS scores.
    pub epss: usize,
}

/// A small, fast hasher for short string keys (the Fx hash used by rustc).
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[derive(Debug)]
enum End {
    Fixed(Box<str>),
    LastAffected(Box<str>),
    Open,
}

#[derive(Debug)]
struct Interval {
    /// `None`: from the beginning.
    introduced: Option<Box<str>>,
    end: End,
}

#[derive(Debug)]
struct Entry {
    advisory: u32,
    intervals: Vec<Interval>,
    versions: Vec<Box<str>>,
}

#[derive(Debug)]
struct EcosystemIndex {
    ecosystem: Ecosystem,
    scheme: VersionScheme,
    by_source: FxMap<Box<str>, Vec<Entry>>,
    by_binary: FxMap<Box<str>, Vec<Entry>>,
}

/// Advisories, KEV and EPSS arranged for matching. `Send + Sync`: share it behind an `Arc`.
#[derive(Debug)]
pub struct AdvisoryIndex {
    advisories: Vec<Advisory>,
    ecosystems: Vec<EcosystemIndex>,
    ecosystem_ids: HashMap<String, u32>,
    kev: FxMap<u64, KevEntry>,
    epss: EpssTable,
    /// Every CVE named by an advisory, numbered densely (see `PackageMatch::cve_numbers`).
    cve_numbers: FxMap<u64, u32>,
    stats: IndexStats,
}

impl AdvisoryIndex {
    /// Builds the index. Later advisories with an id already seen replace nothing: the first
    /// one wins, so list the most authoritative feed first.
    pub fn build(feeds: FeedSet) -> AdvisoryIndex {
        let mut seen: HashMap<String, ()> = HashMap::new();
        let mut advisories = Vec::with_capacity(feeds.advisories.len());
        for advisory in feeds.advisories {
            if seen.insert(advisory.id.clone(), ()).is_none() {
                advisories.push(advisory);
            }
        }
        let mut index = AdvisoryIndex {
            ecosystems: Vec::new(),
            ecosystem_ids: HashMap::new(),
            kev: FxMap::default(),
            epss: feeds.epss.unwrap_or_default(),
            cve_numbers: FxMap::default(),
            stats: IndexStats::default(),
            advisories: Vec::new(),
        };
        for (position, advisory) in advisories.iter().enumerate() {
            for cve in &advisory.cve_ids {
                if let Some(key) = cve_key(cve) {
                    let next = index.cve_numbers.len() as u32;
                    index.cve_numbers.entry(key).or_insert(next);
                }
            }
            for affected in &advisory.affected {
                let Some(scheme) = affected.ecosystem.scheme() else {
                    index.stats.skipped_entries += 1;
                    continue;
                };
                let id = match index.ecosystem_ids.get(affected.ecosystem.as_str()) {
                    Some(&id) => id,
                    None => {
                        let id = index.ecosystems.len() as u32;
                        index.ecosystems.push(EcosystemIndex {
                            ecosystem: affected.ecosystem.clone(),
                            scheme,
                            by_source: FxMap::default(),
                            by_binary: FxMap::default(),
                        });
                        index
                            .ecosystem_ids
                            .insert(affected.ecosystem.as_str().to_string(), id);
                        id
                    }
                };
                let eco = &mut index.ecosystems[id as usize];
                let intervals = affected
                    .ranges
                    .iter()
                    .flat_map(|r| intervals(scheme, &r.events))
                    .collect();
                let entry = Entry {
                    advisory: position as u32,
                    intervals,
                    versions: affected
                        .versions
                        .iter()
                        .map(|v| Box::from(v.as_str()))
                        .collect(),
                };
                let map = match affected.name_kind {
                    PackageNameKind::Source => &mut eco.by_source,
                    PackageNameKind::Binary => &mut eco.by_binary,
                };
                map.entry(Box::from(affected.package.as_str()))
                    .or_default()
                    .push(entry);
                index.stats.entries += 1;
            }
        }
        if let Some(kev) = feeds.kev {
            for entry in kev.entries {
                if let Some(key) = cve_key(&entry.cve_id) {
                    index.kev.insert(key, entry);
                }
            }
        }
        index.stats.advisories = advisories.len();
        index.stats.ecosystems = index.ecosystems.len();
        index.stats.packages = index
            .ecosystems
            .iter()
            .map(|e| e.by_source.len() + e.by_binary.len())
            .sum();
        index.stats.kev = index.kev.len();
        index.stats.epss = index.epss.len();
        index.advisories = advisories;
        index
    }

    /// Counts describing the index.
    pub fn stats(&self) -> &IndexStats {
        &self.stats
    }

    /// The indexed advisories.
    pub fn advisories(&self) -> &[Advisory] {
        &self.advisories
    }

    /// The KEV entry of a CVE.
    pub fn kev(&self, cve: &str) -> Option<&KevEntry> {
        self.kev.get(&cve_key(cve)?)
    }

    /// The EPSS table.
    pub fn epss(&self) -> &EpssTable {
        &self.epss
    }

    /// Whether any advisory names this ecosystem.
    pub fn knows_ecosystem(&self, ecosystem: &Ecosystem) -> bool {
        self.ecosystem_ids.contains_key(ecosystem.as_str())
    }

    /// Assesses one asset.
    pub fn assess(&self, inventory: &Inventory, context: &AssetContext) -> Assessment {
        self.matcher().assess(inventory, context)
    }

    /// A matcher that memoizes per (ecosystem, package, version) triple; use one per thread
    /// over a fleet.
    pub fn matcher<'i>(&self) -> FleetMatcher<'_, 'i> {
        FleetMatcher {
            index: self,
            memo: FxMap::default(),
            by_record: FxMap::default(),
            by_match: FxMap::default(),
            cve_seen: vec![0; self.cve_numbers.len().div_ceil(64)],
        }
    }

    /// Matches one triple against one package map.
    fn match_triple(
        &self,
        eco: &EcosystemIndex,
        kind: PackageNameKind,
        entries: &[Entry],
        name: &str,
        version: &str,
    ) -> Option<Arc<PackageMatch>> {
        let scheme = eco.scheme;
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
        if hits.is_empty() {
            return None;
        }
        let mut fixed_version: Option<&str> = None;
        let mut unfixed = 0;
        let mut cve_ids: Vec<String> = Vec::new();
        let mut severity = crate::severity::Severity::Unknown;
        let mut cvss: Option<crate::advisory::CvssScore> = None;
        let mut severity_source: Option<String> = None;
        let mut published: Option<chrono::DateTime<chrono::Utc>> = None;
        let mut security = false;
        let mut advisories = Vec::with_capacity(hits.len());
        for &(position, fixed) in &hits {
            let advisory = &self.advisories[position as usize];
            match fixed {
                Some(f) => {
                    if fixed_version
                        .is_none_or(|current| scheme.compare(f, current) == Ordering::Greater)
                    {
                        fixed_version = Some(f);
                    }
                }
                None => unfixed += 1,
            }
            cve_ids.extend(advisory.cve_ids.iter().cloned());
            let level = advisory.severity.level;
            let score = advisory.severity.cvss.as_ref().map(|c| c.score);
            if (level, score.unwrap_or(-1.0))
                > (severity, cvss.as_ref().map(|c| c.score).unwrap_or(-1.0))
            {
                severity = level;
                cvss = advisory.severity.cvss.clone();
                severity_source = advisory.severity.source.clone();
            }
            let advisory_published = advisory.published_at();
            if let Some(at) = advisory_published
                && published.is_none_or(|earliest| at < earliest)
            {
                published = Some(at);
            }
            let class = advisory.class();
            security |= class == AdvisoryClass::Security;
            advisories.push(MatchedAdvisory {
                id: advisory.id.clone(),
                fixed_version: fixed.map(str::to_string),
                published: advisory_published,
                class,
            });
        }
        cve_ids.sort_unstable();
        cve_ids.dedup();
        let cve_numbers = cve_ids
            .iter()
            .filter_map(|c| cve_key(c).and_then(|k| self.cve_numbers.get(&k)).copied())
            .collect();
        let mut kev: Option<KevListing> = None;
        let mut epss: Option<EpssPrediction> = None;
        for cve in &cve_ids {
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
        Some(Arc::new(PackageMatch {
            ecosystem: eco.ecosystem.clone(),
            package: name.to_string(),
            name_kind: kind,
            installed_version: version.to_string(),
            fixed_version: fixed_version.map(str::to_string),
            unfixed_advisories: unfixed,
            advisories,
            cve_ids,
            cve_numbers,
            severity,
            cvss,
            severity_source,
            published,
            security,
            kev,
            epss,
        }))
    }
}

/// An f32 feed value as a tidy f64 (0.94584 rather than 0.9458400011).
fn round4(value: f32) -> f64 {
    (f64::from(value) * 100_000.0).round() / 100_000.0
}

/// Turns OSV events into intervals: sorted by version (`introduced: "0"` first), then walked.
fn intervals(scheme: VersionScheme, events: &[RangeEvent]) -> Vec<Interval> {
    let mut sorted: Vec<&RangeEvent> = events.iter().collect();
    sorted.sort_by(|a, b| match (version_of(a), version_of(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => scheme.compare(x, y),
    });
    let mut out = Vec::new();
    let mut open: Option<Option<Box<str>>> = None;
    for event in sorted {
        match event {
            RangeEvent::Introduced(_) => {
                if open.is_none() {
                    open = Some(version_of(event).map(Box::from));
                }
            }
            RangeEvent::Fixed(v) => {
                if let Some(introduced) = open.take() {
                    out.push(Interval {
                        introduced,
                        end: End::Fixed(Box::from(v.as_str())),
                    });
                }
            }
            RangeEvent::LastAffected(v) => {
                if let Some(introduced) = open.take() {
                    out.push(Interval {
                        introduced,
                        end: End::LastAffected(Box::from(v.as_str())),
                    });
                }
            }
        }
    }
    if let Some(introduced) = open {
        out.push(Interval {
            introduced,
            end: End::Open,
        });
    }
    out
}

fn version_of(event: &RangeEvent) -> Option<&str> {
    match event {
        RangeEvent::Introduced(v) if v == "0" => None,
        RangeEvent::Introduced(v) | RangeEvent::Fixed(v) | RangeEvent::LastAffected(v) => Some(v),
    }
}

fn contains(scheme: VersionScheme, interval: &Interval, version: &str) -> bool {
    if let Some(introduced) = &interval.introduced
        && scheme.compare(version, introduced) == Ordering::Less
    {
        return false;
    }
    match &interval.end {
        End::Fixed(fixed) => scheme.compare(version, fixed) == Ordering::Less,
        End::LastAffected(last) => scheme.compare(version, last) != Ordering::Greater,
        End::Open => true,
    }
}

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
}

impl<'x, 'i> FleetMatcher<'x, 'i> {
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
                                    index.match_triple(eco, kind, entries, name, version)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::{AdvisorySeverity, AffectedPackage, VersionRange};
    use crate::inventory::InstalledPackage;
    use crate::risk::{Criticality, Exposure};

    fn advisory(
        id: &str,
        eco: &str,
        package: &str,
        kind: PackageNameKind,
        events: Vec<RangeEvent>,
    ) -> Advisory {
        Advisory {
            id: id.into(),
            cve_ids: vec![format!("CVE-2024-{}", 1000 + id.len())],
            other_ids: vec![],
            summary: None,
            published: None,
            severity: AdvisorySeverity::default(),
            affected: vec![AffectedPackage {
                ecosystem: Ecosystem::new(eco),
                package: package.into(),
                name_kind: kind,
                binaries: vec![],
                ranges: vec![VersionRange { events }],
                versions: vec![],
                severity: None,
            }],
        }
    }

    #[test]
    fn evaluates_introduced_fixed_and_last_affected() {
        use RangeEvent::*;
        let feeds = FeedSet {
            advisories: vec![
                advisory(
                    "A",
                    "Debian:12",
                    "openssl",
                    PackageNameKind::Source,
                    vec![Introduced("0".into()), Fixed("3.0.11-1~deb12u2".into())],
                ),
                advisory(
                    "BB",
                    "Debian:12",
                    "openssl",
                    PackageNameKind::Source,
                    vec![Introduced("3.0.0".into()), LastAffected("3.0.9-1".into())],
                ),
                advisory(
                    "CCC",
                    "Debian:12",
                    "openssl",
                    PackageNameKind::Source,
                    vec![Introduced("3.1".into())],
                ),
            ],
            ..FeedSet::default()
        };
        let index = AdvisoryIndex::build(feeds);
        let context = AssetContext {
            name: "h".into(),
            ecosystem: Ecosystem::new("Debian:12"),
            criticality: Criticality::High,
            exposure: Exposure::Internal,
        };
        let mut libssl = InstalledPackage::new("libssl3", "3.0.9-1");
        libssl.source = Some(Arc::from("openssl"));
        let inventory = Inventory {
            packages: vec![
                Arc::new(libssl),
                Arc::new(InstalledPackage::new("openssl", "3.0.9-1")),
            ],
        };
        let assessment = index.assess(&inventory, &context);
        assert_eq!(
            assessment.findings.len(),
            1,
            "both binaries share one source finding"
        );
        let finding = &assessment.findings[0];
        let ids: Vec<&str> = finding
            .matched
            .advisories
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(ids, ["A", "BB"]);
        assert_eq!(
            finding.matched.fixed_version.as_deref(),
            Some("3.0.11-1~deb12u2")
        );
        assert_eq!(finding.binaries.len(), 2);
        let fixed = Inventory {
            packages: vec![Arc::new(InstalledPackage::new(
                "openssl",
                "3.0.11-1~deb12u2",
            ))],
        };
        assert!(index.assess(&fixed, &context).findings.is_empty());
        let other_release = AssetContext {
            ecosystem: Ecosystem::new("Debian:11"),
            ..context
        };
        assert!(index.assess(&inventory, &other_release).findings.is_empty());
    }
}
