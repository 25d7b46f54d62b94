//! The shared assessment state: the feeds the VulnerabilityFeed controller loaded, the index
//! built from them, and each asset's latest assessment (findings summary and the upgrade
//! candidates policies approve from).
//!
//! The Asset controller writes an asset's assessment here when it reads its inventory; the
//! PatchPolicy controller reads them. Any change of the loaded feeds is broadcast so every
//! Asset is assessed again.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use patchwarden_api::Asset;
use patchwarden_api::asset::FindingsSummary;
use patchwarden_core::advisory::Advisory;
use patchwarden_core::approval::UpgradeCandidate;
use patchwarden_core::inventory::Inventory;
use tokio::sync::watch;

/// One asset's assessment.
#[derive(Debug, Clone, Default)]
pub struct AssetAssessment {
    /// The inventory digest it was computed from.
    pub inventory_digest: String,
    /// What the Asset's status shows.
    pub summary: FindingsSummary,
    /// One candidate per fixable package: the version that fixes its findings.
    pub candidates: Vec<UpgradeCandidate>,
}

impl AssetAssessment {
    /// Open findings over all severities.
    pub fn open_count(&self) -> u32 {
        let s = &self.summary;
        s.critical + s.high + s.medium + s.low + s.negligible + s.unknown
    }

    /// Open findings by lower-case severity name, for metrics.
    pub fn by_severity(&self) -> BTreeMap<String, i64> {
        let s = &self.summary;
        [
            ("critical", s.critical),
            ("high", s.high),
            ("medium", s.medium),
            ("low", s.low),
            ("negligible", s.negligible),
            ("unknown", s.unknown),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), i64::from(v)))
        .collect()
    }
}

/// A feed's loaded content: its advisories.
pub type LoadedFeed = Arc<Vec<Advisory>>;

/// The index assets are matched against.
pub type FeedIndex = Vec<LoadedFeed>;

/// Loaded feeds, the index and per-asset assessments.
pub struct Assessments {
    feeds: Mutex<BTreeMap<String, LoadedFeed>>,
    index: RwLock<Option<Arc<FeedIndex>>>,
    assets: Mutex<HashMap<String, Arc<AssetAssessment>>>,
    generation: watch::Sender<u64>,
}

impl Default for Assessments {
    fn default() -> Self {
        Self::new()
    }
}

impl Assessments {
    /// No feeds loaded yet.
    pub fn new() -> Self {
        Self {
            feeds: Mutex::new(BTreeMap::new()),
            index: RwLock::new(None),
            assets: Mutex::new(HashMap::new()),
            generation: watch::channel(0).0,
        }
    }

    /// A receiver that changes whenever the loaded feeds change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Installs (or replaces) the content of feed `key` and rebuilds the index.
    pub fn set_feed(&self, key: &str, feed: LoadedFeed) {
        let Ok(mut feeds) = self.feeds.lock() else {
            return;
        };
        feeds.insert(key.to_string(), feed);
        self.rebuild(&feeds);
    }

    /// Removes feed `key` (deleted) and rebuilds the index.
    pub fn remove_feed(&self, key: &str) {
        let Ok(mut feeds) = self.feeds.lock() else {
            return;
        };
        if feeds.remove(key).is_some() {
            self.rebuild(&feeds);
        }
    }

    fn rebuild(&self, feeds: &BTreeMap<String, LoadedFeed>) {
        let index =
            (!feeds.is_empty()).then(|| Arc::new(feeds.values().cloned().collect::<FeedIndex>()));
        if let Ok(mut slot) = self.index.write() {
            *slot = index;
        }
        if let Ok(mut assets) = self.assets.lock() {
            assets.clear();
        }
        self.generation.send_modify(|g| *g += 1);
    }

    /// Assesses an asset's inventory (or returns the cached result for the same digest);
    /// `None` while no feed is loaded.
    pub fn assess(
        &self,
        key: &str,
        asset: &Asset,
        ecosystem: Option<&str>,
        packages: &Inventory,
        digest: &str,
    ) -> Option<Arc<AssetAssessment>> {
        if let Some(cached) = self.get(key)
            && cached.inventory_digest == digest
        {
            return Some(cached);
        }
        let index = self.index.read().ok()?.clone()?;
        let assessed = Arc::new(assess_with(&index, asset, ecosystem, packages, digest)?);
        if let Ok(mut assets) = self.assets.lock() {
            assets.insert(key.to_string(), assessed.clone());
        }
        Some(assessed)
    }

    /// The latest assessment of an asset, if any.
    pub fn get(&self, key: &str) -> Option<Arc<AssetAssessment>> {
        self.assets.lock().ok()?.get(key).cloned()
    }

    /// Forgets a deleted asset.
    pub fn forget(&self, key: &str) {
        if let Ok(mut assets) = self.assets.lock() {
            assets.remove(key);
        }
    }
}

/// Matches an inventory against the index.
fn assess_with(
    _index: &FeedIndex,
    _asset: &Asset,
    _ecosystem: Option<&str>,
    _packages: &Inventory,
    _digest: &str,
) -> Option<AssetAssessment> {
    None
}
