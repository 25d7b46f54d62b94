//! The advisory index: built once per feed set, shared read-only between threads, and
//! matched against inventories. Advisories are grouped by ecosystem and package name with
//! their ranges pre-sorted into intervals; KEV and EPSS are keyed by CVE. A
//! [`FleetMatcher`] memoizes each distinct (ecosystem, package, version) triple, so a fleet
//! costs as many range evaluations as it has distinct triples, not assets.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::advisory::Advisory;
use crate::ecosystem::Ecosystem;
use crate::feed::epss::{EpssTable, cve_key};
use crate::feed::kev::{KevCatalog, KevEntry};
use crate::finding::{Assessment, AssetContext};
use crate::inventory::{InstalledPackage, Inventory};
use crate::version::VersionScheme;

mod build;
pub(crate) mod fx;
mod intervals;
mod matcher;
mod shared_matches;
mod triple;

pub use fx::FxHasher;
use fx::FxMap;
use intervals::Interval;
pub use matcher::FleetMatcher;

/// The feeds an index is built from.
#[derive(Debug, Clone, Default)]
pub struct FeedSet {
    /// Advisories from every OSV, tracker and secdb feed.
    pub advisories: Vec<Advisory>,
    /// The KEV catalog, when loaded.
    pub kev: Option<KevCatalog>,
    /// EPSS scores, when loaded; shared, since every index built from the feeds reads the
    /// same few hundred thousand scores.
    pub epss: Option<Arc<EpssTable>>,
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

/// One affected entry of an advisory, for one package name.
#[derive(Debug)]
struct Entry {
    advisory: u32,
    intervals: Vec<Interval>,
    versions: Vec<Box<str>>,
}

/// The entries of one ecosystem, by source and by binary package name.
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
    /// Each advisory's publication time, parsed once (`Advisory::published_at`).
    published: Vec<Option<DateTime<Utc>>>,
    ecosystems: Vec<EcosystemIndex>,
    ecosystem_ids: HashMap<String, u32>,
    kev: FxMap<u64, KevEntry>,
    epss: Arc<EpssTable>,
    /// Every CVE named by an advisory, numbered densely (see `PackageMatch::cve_numbers`).
    cve_numbers: FxMap<u64, u32>,
    stats: IndexStats,
    /// Every triple matched against this index so far, for the next assessment's matcher.
    shared_matches: shared_matches::SharedMatches,
}

impl AdvisoryIndex {
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

    /// The advisories that concern a package of `inventory` in `ecosystem` (by source or
    /// binary name, whatever version is installed) and were published at or after `since`, each
    /// once, in index order: how often the asset's package set draws advisories, for the load
    /// forecast. Advisories without a publication date are left out.
    pub fn recent_advisories(
        &self,
        inventory: &Inventory,
        ecosystem: &Ecosystem,
        since: DateTime<Utc>,
    ) -> Vec<&Advisory> {
        let Some(&eco_id) = self.ecosystem_ids.get(ecosystem.as_str()) else {
            return Vec::new();
        };
        let mut numbers = self.recent_numbers(eco_id, &inventory.packages, since);
        numbers.sort_unstable();
        numbers.dedup();
        numbers
            .into_iter()
            .filter_map(|n| self.advisories.get(n as usize))
            .collect()
    }

    /// The numbers of the advisories published at or after `since` that name one of
    /// `packages` in ecosystem `eco_id`, by source or binary name; with repeats.
    fn recent_numbers(
        &self,
        eco_id: u32,
        packages: &[Arc<InstalledPackage>],
        since: DateTime<Utc>,
    ) -> Vec<u32> {
        let eco = &self.ecosystems[eco_id as usize];
        packages
            .iter()
            .flat_map(|package| {
                let by_source = eco.by_source.get(package.source_name());
                let by_binary = eco.by_binary.get(&*package.name);
                by_source.into_iter().chain(by_binary).flatten()
            })
            .map(|entry| entry.advisory)
            // A package like the kernel has thousands of advisories, few of them recent.
            .filter(|&n| {
                self.published
                    .get(n as usize)
                    .copied()
                    .flatten()
                    .is_some_and(|at| at >= since)
            })
            .collect()
    }

    /// A matcher that memoizes per (ecosystem, package, version) triple; use one per thread
    /// over a fleet.
    pub fn matcher<'i>(&self) -> FleetMatcher<'_, 'i> {
        FleetMatcher::new(self)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::advisory::{
        AdvisorySeverity, AffectedPackage, PackageNameKind, RangeEvent, VersionRange,
    };
    use crate::inventory::InstalledPackage;
    use crate::risk::{Criticality, Exposure};

    /// libssl3 (from source openssl) and openssl, at 3.0.9-1.
    fn openssl_inventory() -> Inventory {
        let mut libssl = InstalledPackage::new("libssl3", "3.0.9-1");
        libssl.source = Some(Arc::from("openssl"));
        Inventory {
            packages: vec![
                Arc::new(libssl),
                Arc::new(InstalledPackage::new("openssl", "3.0.9-1")),
            ],
        }
    }

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
    fn recent_advisories_are_those_of_the_package_set_published_since() {
        use RangeEvent::*;
        let dated = |id: &str, package: &str, published: Option<&str>| {
            let mut advisory = advisory(
                id,
                "Debian:12",
                package,
                PackageNameKind::Source,
                vec![Introduced("0".into()), Fixed("9".into())],
            );
            advisory.published = published.map(str::to_string);
            advisory
        };
        let index = AdvisoryIndex::build(FeedSet {
            advisories: vec![
                dated("OLD", "openssl", Some("2026-01-01T00:00:00Z")),
                dated("NEW", "openssl", Some("2026-11-01T00:00:00Z")),
                dated("UNDATED", "openssl", None),
                dated("OTHER", "curl", Some("2026-11-02T00:00:00Z")),
            ],
            ..FeedSet::default()
        });
        let inventory = openssl_inventory();
        let since = "2026-09-01T00:00:00Z".parse().expect("time");
        let recent: Vec<&str> = index
            .recent_advisories(&inventory, &Ecosystem::new("Debian:12"), since)
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(
            recent,
            ["NEW"],
            "once, though two binaries share the source"
        );
        assert!(
            index
                .recent_advisories(&inventory, &Ecosystem::new("Alpine:v3.20"), since)
                .is_empty()
        );

        // The fleet matcher remembers each record's advisories and gives the same set, also
        // for another inventory sharing a record, and after `since` moves.
        let curl = Inventory {
            packages: vec![
                inventory.packages[0].clone(),
                Arc::new(InstalledPackage::new("curl", "7.88.1-10")),
            ],
        };
        let mut matcher = index.matcher();
        let debian = Ecosystem::new("Debian:12");
        let earlier = "2025-12-01T00:00:00Z".parse().expect("time");
        for (inventory, since) in [
            (&inventory, since),
            (&curl, since),
            (&inventory, since),
            (&inventory, earlier),
            (&curl, earlier),
        ] {
            let ids = |advisories: Vec<&Advisory>| {
                let mut ids: Vec<String> = advisories.iter().map(|a| a.id.clone()).collect();
                ids.sort();
                ids
            };
            assert_eq!(
                ids(matcher.recent_advisories(inventory, &debian, since)),
                ids(index.recent_advisories(inventory, &debian, since)),
                "since {since}"
            );
        }
        assert_eq!(
            matcher
                .recent_advisories(&curl, &debian, earlier)
                .iter()
                .filter(|a| a.id == "OLD" || a.id == "NEW")
                .count(),
            2,
            "the openssl record's advisories were read again for the earlier date"
        );
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
        let inventory = openssl_inventory();
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
