//! What each asset was last assessed from — its inventory, risk context and what its host's
//! package sources offered — kept so that a feed load re-assesses the assets it touches in
//! the operator, without asking each host again and without discarding the assessments of
//! the others.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use patchwarden_core::inventory::{InstalledPackage, Inventory};
use patchwarden_core::risk::{Criticality, Exposure};

use super::assessment::AssetAssessment;
use super::feed_change::{self, Changed, Fingerprints};
use super::interner::Interner;

/// Applies what the host's sources offered to a fresh assessment; `None` when the offers
/// read do not cover its upgrades (the asset's next reconcile reads them).
pub type Completion = Arc<dyn Fn(&AssetAssessment) -> Option<AssetAssessment> + Send + Sync>;

/// What one asset's assessment is computed from.
#[derive(Clone)]
pub struct AssetInputs {
    pub ecosystem: Option<String>,
    pub criticality: Criticality,
    pub exposure: Exposure,
    /// The inventory digest the asset reported.
    pub digest: String,
    pub inventory: Arc<Inventory>,
    pub completion: Option<Completion>,
}

impl fmt::Debug for AssetInputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssetInputs")
            .field("ecosystem", &self.ecosystem)
            .field("digest", &self.digest)
            .field("packages", &self.inventory.len())
            .field("completed", &self.completion.is_some())
            .finish()
    }
}

impl AssetInputs {
    /// What an assessment of these inputs is valid for, whatever feeds are loaded.
    pub fn basis(&self) -> String {
        basis(&self.digest, self.criticality, self.exposure)
    }
}

/// The basis of an assessment: inventory digest and risk context.
pub fn basis(digest: &str, criticality: Criticality, exposure: Exposure) -> String {
    format!("{digest}:{criticality:?}:{exposure:?}")
}

/// Every asset's inputs, with the fingerprints of the feeds they were last assessed against.
#[derive(Debug, Default)]
pub struct KeptInputs {
    interner: Interner<InstalledPackage>,
    assets: HashMap<String, AssetInputs>,
    fingerprints: Option<Fingerprints>,
}

impl KeptInputs {
    /// Records what asset `key` reported; unchanged inputs keep their completion.
    pub fn record(
        &mut self,
        key: &str,
        ecosystem: Option<&str>,
        (criticality, exposure): (Criticality, Exposure),
        packages: &Inventory,
        digest: &str,
    ) {
        if let Some(kept) = self.assets.get(key)
            && kept.digest == digest
            && kept.ecosystem.as_deref() == ecosystem
            && kept.criticality == criticality
            && kept.exposure == exposure
        {
            return;
        }
        let inventory = Arc::new(self.interner.intern(packages));
        let inputs = AssetInputs {
            ecosystem: ecosystem.map(str::to_string),
            criticality,
            exposure,
            digest: digest.to_string(),
            inventory,
            completion: None,
        };
        if self.assets.insert(key.to_string(), inputs).is_some() {
            // The replaced inventory may have held the last use of some records.
            self.prune_now_and_then();
        }
    }

    /// The packages kept for asset `key` when they were read from an inventory with
    /// `digest`.
    pub fn inventory(&self, key: &str, digest: &str) -> Option<Arc<Inventory>> {
        self.assets
            .get(key)
            .filter(|kept| kept.digest == digest)
            .map(|kept| kept.inventory.clone())
    }

    /// Records how the sources of asset `key` complete an assessment of `basis` (the
    /// inventory and risk context it was computed from).
    pub fn complete_with(&mut self, key: &str, basis: &str, completion: Completion) {
        if let Some(kept) = self.assets.get_mut(key)
            && kept.basis() == basis
        {
            kept.completion = Some(completion);
        }
    }

    /// Forgets a deleted asset.
    pub fn forget(&mut self, key: &str) {
        if self.assets.remove(key).is_some() {
            self.prune_now_and_then();
        }
    }

    /// The keys of every asset kept.
    pub fn keys(&self) -> Vec<String> {
        self.assets.keys().cloned().collect()
    }

    /// Installs the fingerprints of a new load (`None`: no feed is loaded) and returns the
    /// inputs of the assets whose assessment it may change.
    pub fn touched_by(&mut self, fingerprints: Option<Fingerprints>) -> Vec<(String, AssetInputs)> {
        let Some(new) = fingerprints else {
            self.fingerprints = None;
            return Vec::new();
        };
        let changed = feed_change::changed(self.fingerprints.as_ref(), &new);
        self.fingerprints = Some(new);
        if changed.is_empty() {
            return Vec::new();
        }
        self.assets
            .iter()
            .filter(|(_, inputs)| {
                matches!(changed, Changed::All) || changed.touches(&inputs.inventory)
            })
            .map(|(key, inputs)| (key.clone(), inputs.clone()))
            .collect()
    }

    /// Drops interned records no inventory uses, when there are many more records than a
    /// typical inventory has.
    fn prune_now_and_then(&mut self) {
        if self.interner.len() > 4 * self.assets.len().max(1024) {
            self.interner.prune();
        }
    }
}

#[cfg(test)]
mod tests {
    use patchwarden_core::inventory::dpkg::parse_status;

    use super::*;

    fn inventory(version: &str) -> Inventory {
        parse_status(&format!(
            "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n\n"
        ))
        .expect("dpkg status parses")
    }

    fn prints(pairs: &[(&str, u64)]) -> Fingerprints {
        pairs.iter().map(|(n, p)| (Box::from(*n), *p)).collect()
    }

    fn keys(touched: &[(String, AssetInputs)]) -> Vec<&str> {
        let mut keys: Vec<&str> = touched.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort();
        keys
    }

    const CONTEXT: (Criticality, Exposure) = (Criticality::Medium, Exposure::Internal);

    #[test]
    fn a_load_touches_only_the_assets_with_a_changed_package() {
        let mut kept = KeptInputs::default();
        kept.record(
            "ns/a",
            Some("Debian:12"),
            CONTEXT,
            &inventory("5.2.15-2"),
            "d1",
        );
        let jq = parse_status("Package: jq\nStatus: install ok installed\nVersion: 1.6\n\n")
            .expect("dpkg status parses");
        kept.record("ns/b", Some("Debian:12"), CONTEXT, &jq, "d2");
        let first = kept.touched_by(Some(prints(&[("bash", 1), ("jq", 1)])));
        assert_eq!(keys(&first), ["ns/a", "ns/b"]);
        let second = kept.touched_by(Some(prints(&[("bash", 2), ("jq", 1)])));
        assert_eq!(keys(&second), ["ns/a"]);
        assert!(
            kept.touched_by(Some(prints(&[("bash", 2), ("jq", 1)])))
                .is_empty()
        );
    }

    #[test]
    fn a_new_inventory_drops_the_completion_and_an_unchanged_one_keeps_it() {
        let mut kept = KeptInputs::default();
        kept.record("ns/a", None, CONTEXT, &inventory("5.2.15-2"), "d1");
        let completion: Completion = Arc::new(|a: &AssetAssessment| Some(a.clone()));
        kept.complete_with(
            "ns/a",
            &basis("d1", CONTEXT.0, CONTEXT.1),
            completion.clone(),
        );
        kept.record("ns/a", None, CONTEXT, &inventory("5.2.15-2"), "d1");
        assert!(kept.assets["ns/a"].completion.is_some());
        kept.record("ns/a", None, CONTEXT, &inventory("5.2.15-3"), "d2");
        assert!(kept.assets["ns/a"].completion.is_none());
        // A completion for an inventory the asset no longer has is not kept.
        kept.complete_with("ns/a", &basis("d1", CONTEXT.0, CONTEXT.1), completion);
        assert!(kept.assets["ns/a"].completion.is_none());
        kept.forget("ns/a");
        assert!(kept.keys().is_empty());
    }
}
