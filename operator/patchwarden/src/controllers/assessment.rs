//! The shared assessment state: the feeds the VulnerabilityFeed controller loaded, the index
//! built from them, and each asset's latest assessment (findings summary and the upgrade
//! candidates policies approve from).
//!
//! The Asset controller writes an asset's assessment here when it reads its inventory; the
//! PatchPolicy controller reads them. A feed load keeps every assessment it cannot change:
//! the assets whose packages it touches (`feed_change`) are re-assessed here, from the inputs
//! kept for them (`assessment_inputs`), and named to the Asset controller, which writes their
//! status; the others keep theirs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use patchwarden_api::asset::{AvailableUpgrade, FindingsSummary};
use patchwarden_api::policy_input::MemberUpgrades;
use patchwarden_core::Severity;
use patchwarden_core::approval::UpgradeCandidate;
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::finding::AssetContext;
use patchwarden_core::index::{AdvisoryIndex, FeedSet};
use patchwarden_core::inventory::dpkg::{ParagraphCache, parse_status_with};
use patchwarden_core::inventory::{Inventory, InventoryError};
use patchwarden_core::risk::{Criticality, Exposure};
use patchwarden_core::sla::PackageFinding;
use tokio::sync::{broadcast, watch};

use super::assessment_inputs::{self, Completion, KeptInputs};
use super::asset::sources::{HostOffer, HostOffers};
use super::feed_change;
use super::interner::Interner;
use of::{assessment_of, reassess, recent_advisories};

/// How many of the riskiest findings an Asset's status explains.
pub const TOP_RISKS: usize = 5;

/// One asset's assessment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetAssessment {
    /// The inventory digest and risk context it was computed from.
    pub basis: String,
    /// The feed generation it was computed with.
    pub generation: u64,
    /// What the Asset's status shows.
    pub summary: FindingsSummary,
    /// One upgrade per fixable binary package with the findings it fixes, as the Asset's status
    /// shows them and as policies (and `plan`) read them.
    pub upgrades: Vec<Arc<AvailableUpgrade>>,
    /// The EPSS probability of every scored fixable finding, as (binary package, finding id,
    /// probability): all of them, not only the top risks the status explains, so that an
    /// `EpssAbove` rule sees a rise on any finding.
    pub epss: Vec<(String, String, f64)>,
    /// Advisories that concerned the asset's packages in the last `RATE_DAYS` days, by
    /// severity, as of the assessment: the rate its package set draws advisories at, for the
    /// policies' load forecast.
    pub recent_advisories: BTreeMap<Severity, u32>,
    /// `upgrades` as policies read them, built when the assessment is stored (every policy's
    /// every evaluation shares them).
    pub member_upgrades: MemberUpgrades,
}

impl AssetAssessment {
    /// With `member_upgrades` built from its upgrades, as stored for policies: policies read
    /// only that, so an assessment made elsewhere (a preview, a test) must pass through here.
    pub fn for_policies(self) -> AssetAssessment {
        AssetAssessment {
            member_upgrades: MemberUpgrades::of(&self.upgrades),
            ..self
        }
    }

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

/// Loaded feeds, the index and per-asset assessments.
pub struct Assessments {
    feeds: Mutex<BTreeMap<String, Arc<FeedSet>>>,
    index: RwLock<Option<Arc<AdvisoryIndex>>>,
    assets: Mutex<HashMap<String, Arc<AssetAssessment>>>,
    generation: watch::Sender<u64>,
    /// Per asset, the policies that approve at least one upgrade for it (and whether).
    approvals: Mutex<HashMap<String, BTreeMap<String, bool>>>,
    approvals_changed: watch::Sender<u64>,
    /// What each asset was assessed from, for re-assessment when the feeds change.
    kept: Mutex<KeptInputs>,
    /// The packages of the dpkg paragraphs the fleet's databases share.
    paragraphs: Mutex<ParagraphCache>,
    /// The assets whose assessment or approval changed outside their own reconcile.
    touched: broadcast::Sender<Arc<[String]>>,
    /// Bumped when an asset's stored assessment changes (not when the same one is stored
    /// again), so that the policies, which read the assessments, look again.
    assessments_changed: watch::Sender<u64>,
    /// The upgrades, candidates, findings and host offers of the stored assessments, each
    /// distinct one held once.
    shared: Mutex<SharedUpgrades>,
}

/// The interners of the stored assessments' upgrades, their findings and the hosts' offers:
/// hosts of one image are offered the same ones.
#[derive(Debug, Default)]
struct SharedUpgrades {
    upgrades: Interner<AvailableUpgrade>,
    candidates: Interner<UpgradeCandidate>,
    findings: Interner<PackageFinding>,
    offers: Interner<HostOffer>,
}

/// Batches of touched assets a slow receiver may fall behind by (one per feed load or policy
/// evaluation) before it is told to reconcile every asset.
const TOUCHED_BACKLOG: usize = 256;

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
            approvals: Mutex::new(HashMap::new()),
            approvals_changed: watch::channel(0).0,
            kept: Mutex::new(KeptInputs::default()),
            paragraphs: Mutex::new(ParagraphCache::default()),
            touched: broadcast::channel(TOUCHED_BACKLOG).0,
            assessments_changed: watch::channel(0).0,
            shared: Mutex::new(SharedUpgrades::default()),
        }
    }

    /// `assessed` as stored for policies, its upgrades, their candidates and their findings
    /// shared with the equal ones of other assets.
    fn for_policies(&self, assessed: AssetAssessment) -> AssetAssessment {
        let mut assessed = assessed.for_policies();
        let mut shared = self.shared();
        let SharedUpgrades {
            upgrades,
            candidates,
            findings,
            ..
        } = &mut *shared;
        for upgrade in &mut assessed.upgrades {
            *upgrade = upgrades.share(upgrade);
        }
        let member = &mut assessed.member_upgrades;
        member.candidates = member
            .candidates
            .iter()
            .map(|c| candidates.share(c))
            .collect();
        member.findings = member.findings.iter().map(|f| findings.share(f)).collect();
        upgrades.prune_when_doubled();
        candidates.prune_when_doubled();
        findings.prune_when_doubled();
        assessed
    }

    /// `offers` with each offer shared with the equal ones made to other hosts.
    pub fn share_offers(&self, offers: Vec<HostOffer>) -> HostOffers {
        let mut shared = self.shared();
        let offers = offers
            .into_iter()
            .map(|offer| shared.offers.share(&Arc::new(offer)))
            .collect();
        shared.offers.prune_when_doubled();
        drop(shared);
        HostOffers::new(offers)
    }

    /// The interners; a panic elsewhere while they were held leaves them valid.
    fn shared(&self) -> std::sync::MutexGuard<'_, SharedUpgrades> {
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A receiver of the assets whose assessment (after a feed load) or approval changed, so
    /// that their status is written again.
    pub fn subscribe_touched(&self) -> broadcast::Receiver<Arc<[String]>> {
        self.touched.subscribe()
    }

    /// Every asset whose inputs are kept (all, when a receiver fell behind).
    pub fn kept_assets(&self) -> Vec<String> {
        self.kept.lock().map(|k| k.keys()).unwrap_or_default()
    }

    fn touch(&self, keys: Vec<String>) {
        if !keys.is_empty() {
            let _ = self.touched.send(keys.into());
        }
    }

    /// A receiver that changes whenever the loaded feeds change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// A receiver that changes whenever an asset's stored assessment changes.
    pub fn subscribe_assessments(&self) -> watch::Receiver<u64> {
        self.assessments_changed.subscribe()
    }

    /// A receiver that changes whenever an asset's approval standing changes.
    pub fn subscribe_approvals(&self) -> watch::Receiver<u64> {
        self.approvals_changed.subscribe()
    }

    /// Whether feed `key` is loaded.
    pub fn has_feed(&self, key: &str) -> bool {
        self.feeds.lock().is_ok_and(|f| f.contains_key(key))
    }

    /// Installs (or replaces) the content of feed `key` and rebuilds the index.
    pub fn set_feed(&self, key: &str, feed: Arc<FeedSet>) {
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

    fn rebuild(&self, feeds: &BTreeMap<String, Arc<FeedSet>>) {
        let index = (!feeds.is_empty()).then(|| {
            let mut merged = FeedSet::default();
            for feed in feeds.values() {
                merged.advisories.extend(feed.advisories.iter().cloned());
                if merged.kev.is_none() {
                    merged.kev = feed.kev.clone();
                } else if let (Some(kev), Some(more)) = (merged.kev.as_mut(), &feed.kev) {
                    kev.entries.extend(more.entries.iter().cloned());
                }
                if merged.epss.is_none() {
                    merged.epss = feed.epss.clone();
                }
            }
            Arc::new(AdvisoryIndex::build(merged))
        });
        let prints = index.as_deref().map(feed_change::fingerprints);
        let touched = match self.kept.lock() {
            Ok(mut kept) => kept.touched_by(prints),
            Err(_) => Vec::new(),
        };
        let reassessed = match &index {
            Some(index) => reassess(index, &touched, &|assessed| self.for_policies(assessed)),
            None => Vec::new(),
        };
        self.publish(index, reassessed);
    }

    /// Installs a new index with the assessments re-computed for it; the others stay.
    fn publish(
        &self,
        index: Option<Arc<AdvisoryIndex>>,
        reassessed: Vec<(String, Option<AssetAssessment>)>,
    ) {
        let (Ok(mut slot), Ok(mut assets)) = (self.index.write(), self.assets.lock()) else {
            return;
        };
        let generation = *self.generation.borrow() + 1;
        let mut keys: Vec<String> = Vec::with_capacity(reassessed.len());
        if index.is_none() {
            keys.extend(assets.drain().map(|(key, _)| key));
        }
        let replaced_index = std::mem::replace(&mut *slot, index);
        let mut replaced = Vec::with_capacity(reassessed.len());
        for (key, assessed) in reassessed {
            let old = match assessed {
                Some(assessed) => assets.insert(
                    key.clone(),
                    Arc::new(AssetAssessment {
                        generation,
                        ..assessed
                    }),
                ),
                None => assets.remove(&key),
            };
            replaced.extend(old);
            keys.push(key);
        }
        // Bumped under both locks, so that a reconcile sees the index and the assessments of
        // one generation together.
        self.generation.send_modify(|g| *g = generation);
        drop((slot, assets));
        self.touch(keys);
        // Freeing a fleet's replaced assessments takes a good part of a second: not under the
        // locks, and not before the policies hear of the new ones.
        drop((replaced, replaced_index));
    }

    /// Assesses an asset's inventory (or returns the stored result for the same inventory
    /// and feeds); `None` while no feed is loaded or the ecosystem is unknown. The result is
    /// not stored: see [`Assessments::store`].
    pub fn assess(
        &self,
        key: &str,
        ecosystem: Option<&str>,
        criticality: Criticality,
        exposure: Exposure,
        packages: &Inventory,
        digest: &str,
    ) -> Option<Arc<AssetAssessment>> {
        if let Ok(mut kept) = self.kept.lock() {
            kept.record(key, ecosystem, (criticality, exposure), packages, digest);
        }
        let basis = assessment_inputs::basis(digest, criticality, exposure);
        if let Ok(assets) = self.assets.lock()
            && let Some(cached) = assets.get(key)
            && cached.basis == basis
        {
            // Kept across feed loads that do not touch the asset: current as of now.
            let generation = *self.generation.borrow();
            if cached.generation == generation {
                return Some(cached.clone());
            }
            return Some(Arc::new(AssetAssessment {
                generation,
                ..(**cached).clone()
            }));
        }
        let (index, generation) = {
            let slot = self.index.read().ok()?;
            (slot.clone()?, *self.generation.borrow())
        };
        let context = AssetContext {
            name: key.to_string(),
            ecosystem: Ecosystem::new(ecosystem?),
            criticality,
            exposure,
        };
        let assessment = index.assess(packages, &context);
        let recent = recent_advisories(&index, packages, &context.ecosystem);
        // Stored by `store` once the host's sources are applied, so readers never see an
        // assessment without them.
        Some(Arc::new(assessment_of(
            basis,
            generation,
            &assessment,
            recent,
        )))
    }

    /// Records how the host's sources complete asset `key`'s assessments of `basis`, for
    /// its re-assessment when the feeds change.
    pub fn complete_with(&self, key: &str, basis: &str, completion: Completion) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.complete_with(key, basis, completion);
        }
    }

    /// Reads a dpkg database, sharing the packages of the paragraphs other assets' databases
    /// have (a fleet's inventories are then held once, not once per host).
    pub fn read_dpkg_status(&self, text: &str) -> Result<Inventory, InventoryError> {
        let mut paragraphs = self
            .paragraphs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        parse_status_with(text, &mut paragraphs)
    }

    /// The packages last read from asset `key`'s inventory when it had `digest`.
    pub fn kept_inventory(&self, key: &str, digest: &str) -> Option<Arc<Inventory>> {
        self.kept.lock().ok()?.inventory(key, digest)
    }

    /// Records an asset's assessment as policies read it. One computed with feeds replaced
    /// since is not stored (the feed load re-assessed the asset) and the asset is reconciled
    /// again.
    pub fn store(&self, key: &str, assessed: AssetAssessment) -> Arc<AssetAssessment> {
        let assessed = Arc::new(self.for_policies(assessed));
        let (stale, changed) = match self.assets.lock() {
            Ok(mut assets) if assessed.generation == *self.generation.borrow() => {
                let previous = assets.insert(key.to_string(), assessed.clone());
                (false, previous.is_none_or(|p| *p != *assessed))
            }
            _ => (true, false),
        };
        if stale {
            self.touch(vec![key.to_string()]);
        }
        if changed {
            self.assessments_changed.send_modify(|n| *n += 1);
        }
        assessed
    }
    /// The score date of the loaded EPSS feed (`YYYY-MM-DD`), when one is loaded and dated.
    pub fn epss_feed_date(&self) -> Option<String> {
        let index = self.index.read().ok()?.clone()?;
        patchwarden_core::threats::feed_date(index.epss().score_date.as_deref()?)
    }

    /// The latest assessment of an asset, if any.
    pub fn get(&self, key: &str) -> Option<Arc<AssetAssessment>> {
        self.assets.lock().ok()?.get(key).cloned()
    }

    /// Records whether `policy` approves any upgrade for each of `assets`; returns whether
    /// an asset's standing (approved by some policy or not) changed.
    pub fn set_approvals(&self, policy: &str, assets: &[(String, bool)]) -> bool {
        let Ok(mut approvals) = self.approvals.lock() else {
            return false;
        };
        let mut changed_assets = Vec::new();
        for (asset, approved) in assets {
            let entry = approvals.entry(asset.clone()).or_default();
            // `None` until a policy evaluated the asset, as `approved` answers.
            let standing =
                |e: &BTreeMap<String, bool>| (!e.is_empty()).then(|| e.values().any(|a| *a));
            let before = standing(entry);
            entry.insert(policy.to_string(), *approved);
            if before != standing(entry) {
                changed_assets.push(asset.clone());
            }
        }
        if !changed_assets.is_empty() {
            self.approvals_changed.send_modify(|g| *g += 1);
        }
        let changed = !changed_assets.is_empty();
        drop(approvals);
        self.touch(changed_assets);
        changed
    }

    /// Whether any policy covering the asset approves an upgrade for it; `None` when no
    /// policy has evaluated it.
    pub fn approved(&self, key: &str) -> Option<bool> {
        let approvals = self.approvals.lock().ok()?;
        approvals
            .get(key)
            .map(|by_policy| by_policy.values().any(|a| *a))
    }

    /// Forgets a deleted asset.
    pub fn forget(&self, key: &str) {
        if let Ok(mut assets) = self.assets.lock() {
            assets.remove(key);
        }
        if let Ok(mut kept) = self.kept.lock() {
            kept.forget(key);
        }
    }
}

#[path = "assessment_of.rs"]
mod of;

#[cfg(test)]
#[path = "assessment_tests.rs"]
mod tests;
