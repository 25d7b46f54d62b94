//! Triple matches kept for the life of an index and shared by every matcher over it. An
//! operator assesses one asset per reconcile, each with a fresh [`super::FleetMatcher`], while
//! a fleet built from a few images repeats the same (ecosystem, package, version) triples on
//! every asset: without this memo each reconcile matched them all again.

use std::sync::{Arc, RwLock};

use super::fx::FxMap;
use crate::advisory::PackageNameKind;
use crate::finding::PackageMatch;

/// Version → its match (`None`: the package's advisories do not affect it).
type ByVersion = FxMap<Box<str>, Option<Arc<PackageMatch>>>;

/// Package name → its versions' matches.
type ByName = FxMap<Box<str>, ByVersion>;

/// The matches of every triple matched so far, by (ecosystem id, name kind), then package
/// name, then version; nested so that a lookup borrows its strings.
#[derive(Debug, Default)]
pub(super) struct SharedMatches {
    triples: RwLock<FxMap<(u32, PackageNameKind), ByName>>,
}

impl SharedMatches {
    /// The remembered match of a triple; `None` when it was never matched.
    pub(super) fn get(
        &self,
        ecosystem: u32,
        kind: PackageNameKind,
        name: &str,
        version: &str,
    ) -> Option<Option<Arc<PackageMatch>>> {
        let triples = self.triples.read().ok()?;
        triples
            .get(&(ecosystem, kind))?
            .get(name)?
            .get(version)
            .cloned()
    }

    /// Remembers the match of a triple (the first one stays when two matchers race).
    pub(super) fn insert(
        &self,
        ecosystem: u32,
        kind: PackageNameKind,
        name: &str,
        version: &str,
        matched: Option<Arc<PackageMatch>>,
    ) {
        if let Ok(mut triples) = self.triples.write() {
            triples
                .entry((ecosystem, kind))
                .or_default()
                .entry(Box::from(name))
                .or_default()
                .entry(Box::from(version))
                .or_insert(matched);
        }
    }
}
