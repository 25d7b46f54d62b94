//! Building the index: advisories deduplicated by id, their affected entries grouped by
//! ecosystem and package name with the ranges turned into intervals, CVEs numbered, KEV keyed.

use std::collections::HashMap;

use super::fx::FxMap;
use super::intervals::intervals;
use super::{AdvisoryIndex, EcosystemIndex, Entry, FeedSet, IndexStats};
use crate::advisory::{Advisory, AffectedPackage, PackageNameKind};
use crate::ecosystem::Ecosystem;
use crate::feed::epss::cve_key;
use crate::feed::kev::KevCatalog;
use crate::version::VersionScheme;

impl AdvisoryIndex {
    /// Builds the index. Later advisories with an id already seen replace nothing: the first
    /// one wins, so list the most authoritative feed first.
    pub fn build(feeds: FeedSet) -> AdvisoryIndex {
        let advisories = first_of_each_id(feeds.advisories);
        let mut index = AdvisoryIndex {
            ecosystems: Vec::new(),
            ecosystem_ids: HashMap::new(),
            kev: FxMap::default(),
            epss: feeds.epss.unwrap_or_default(),
            cve_numbers: FxMap::default(),
            stats: IndexStats::default(),
            advisories: Vec::new(),
            published: Vec::new(),
            shared_matches: Default::default(),
        };
        for (position, advisory) in advisories.iter().enumerate() {
            index.number_cves(advisory);
            for affected in &advisory.affected {
                index.add_entry(position as u32, affected);
            }
        }
        if let Some(kev) = feeds.kev {
            index.add_kev(kev);
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
        index.published = advisories.iter().map(Advisory::published_at).collect();
        index.advisories = advisories;
        index
    }

    /// Numbers the advisory's CVEs not numbered yet, densely, in order of appearance.
    fn number_cves(&mut self, advisory: &Advisory) {
        for cve in &advisory.cve_ids {
            if let Some(key) = cve_key(cve) {
                let next = self.cve_numbers.len() as u32;
                self.cve_numbers.entry(key).or_insert(next);
            }
        }
    }

    /// Indexes one affected entry of advisory number `advisory` under its ecosystem and
    /// package name; entries of an ecosystem without a known version ordering are counted and
    /// skipped.
    fn add_entry(&mut self, advisory: u32, affected: &AffectedPackage) {
        let Some(scheme) = affected.ecosystem.scheme() else {
            self.stats.skipped_entries += 1;
            return;
        };
        let id = self.ecosystem_id(&affected.ecosystem, scheme);
        let eco = &mut self.ecosystems[id as usize];
        let intervals = affected
            .ranges
            .iter()
            .flat_map(|r| intervals(scheme, &r.events))
            .collect();
        let entry = Entry {
            advisory,
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
        self.stats.entries += 1;
    }

    /// The number of an ecosystem's index, created on first use.
    fn ecosystem_id(&mut self, ecosystem: &Ecosystem, scheme: VersionScheme) -> u32 {
        if let Some(&id) = self.ecosystem_ids.get(ecosystem.as_str()) {
            return id;
        }
        let id = self.ecosystems.len() as u32;
        self.ecosystems.push(EcosystemIndex {
            ecosystem: ecosystem.clone(),
            scheme,
            by_source: FxMap::default(),
            by_binary: FxMap::default(),
        });
        self.ecosystem_ids
            .insert(ecosystem.as_str().to_string(), id);
        id
    }

    /// Keys the KEV entries by CVE.
    fn add_kev(&mut self, kev: KevCatalog) {
        for entry in kev.entries {
            if let Some(key) = cve_key(&entry.cve_id) {
                self.kev.insert(key, entry);
            }
        }
    }
}

/// The advisories in order, each id kept once (its first occurrence).
fn first_of_each_id(advisories: Vec<Advisory>) -> Vec<Advisory> {
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut kept = Vec::with_capacity(advisories.len());
    for advisory in advisories {
        if seen.insert(advisory.id.clone(), ()).is_none() {
            kept.push(advisory);
        }
    }
    kept
}
