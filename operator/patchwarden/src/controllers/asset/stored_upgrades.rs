//! The upgrades each Asset's stored status lists, known by fingerprint only.
//!
//! An asset's upgrade list is most of its status (tens of kilobytes on a real host), and the
//! controller needs it for one thing: to know whether the list it is about to write is the
//! one already stored. So the controller's cache drops the list from every Asset it receives
//! and keeps its fingerprint here instead; a fleet's upgrade lists are held once, in the
//! assessments, rather than a second time in the cache.
//!
//! The fingerprint is recorded as the watch event arrives, before the cache is updated, so it
//! is never older than the cached Asset: at worst an unchanged list is written once more.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use kube::runtime::watcher;
use patchwarden_api::asset::{Asset, AvailableUpgrade};

use crate::controllers::object_key;

/// Per asset key, the fingerprint of the upgrades its stored status lists.
#[derive(Debug, Default)]
pub struct StoredUpgrades {
    fingerprints: Mutex<HashMap<String, u64>>,
}

impl StoredUpgrades {
    /// Records the upgrades of the Assets a watch event carries (forgets a deleted one's) and
    /// drops them, and the managed fields, from the event, for the controller's cache.
    pub fn take_from(&self, mut event: watcher::Event<Asset>) -> watcher::Event<Asset> {
        let mut fingerprints = self
            .fingerprints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &mut event {
            watcher::Event::Apply(asset) | watcher::Event::InitApply(asset) => {
                fingerprints.insert(object_key(asset), drop_list(asset));
                // Nothing the controller does reads who manages which field.
                asset.metadata.managed_fields = None;
            }
            watcher::Event::Delete(asset) => {
                fingerprints.remove(&object_key(asset));
                drop_list(asset);
            }
            watcher::Event::Init | watcher::Event::InitDone => {}
        }
        event
    }

    /// The fingerprint of the upgrades asset `key`'s stored status lists (of none when its
    /// Asset was not seen).
    pub fn of(&self, key: &str) -> u64 {
        let fingerprints = self
            .fingerprints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        fingerprints
            .get(key)
            .copied()
            .unwrap_or_else(|| fingerprint::<AvailableUpgrade>(&[]))
    }
}

/// Drops the upgrade list from `asset`'s status; returns the list's fingerprint.
pub fn drop_list(asset: &mut Asset) -> u64 {
    let upgrades = asset
        .status
        .as_mut()
        .map(|status| std::mem::take(&mut status.upgrades))
        .unwrap_or_default();
    fingerprint(&upgrades)
}

/// A fingerprint of an upgrade list: a hash of every field of every upgrade, in order.
pub fn fingerprint<U: Borrow<AvailableUpgrade>>(upgrades: &[U]) -> u64 {
    let mut hasher = DefaultHasher::new();
    upgrades.len().hash(&mut hasher);
    for upgrade in upgrades {
        upgrade.borrow().hash(&mut hasher);
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::Resource;
    use patchwarden_api::asset::FixedFinding;
    use patchwarden_api::asset::{AssetSpec, AssetStatus};
    use patchwarden_core::Severity;

    fn upgrade(package: &str, fixed: &str) -> AvailableUpgrade {
        AvailableUpgrade {
            package: package.into(),
            installed_version: "1.0-1".into(),
            fixed_version: fixed.into(),
            severity: Severity::High,
            security: true,
            ..AvailableUpgrade::default()
        }
    }

    fn asset(upgrades: Vec<AvailableUpgrade>) -> Asset {
        let mut asset = Asset::new("web-1", AssetSpec::default());
        asset.meta_mut().namespace = Some("default".into());
        asset.status = Some(AssetStatus {
            upgrades,
            package_count: Some(3),
            ..AssetStatus::default()
        });
        asset
    }

    fn cached(event: watcher::Event<Asset>) -> Asset {
        match event {
            watcher::Event::Apply(asset) | watcher::Event::InitApply(asset) => asset,
            other => panic!("not an applied asset: {other:?}"),
        }
    }

    #[test]
    fn the_cache_keeps_the_status_without_its_upgrades() {
        let stored = StoredUpgrades::default();
        let listed = vec![upgrade("openssl", "3.0.15-1"), upgrade("bash", "5.2-2")];
        let kept = cached(stored.take_from(watcher::Event::Apply(asset(listed.clone()))));
        let status = kept.status.expect("the status stays");
        assert!(status.upgrades.is_empty());
        assert_eq!(status.package_count, Some(3));
        assert_eq!(stored.of("default/web-1"), fingerprint(&listed));
    }

    #[test]
    fn fingerprints_tell_lists_apart() {
        let one = vec![upgrade("openssl", "3.0.15-1")];
        let other_version = vec![upgrade("openssl", "3.0.15-2")];
        let two = vec![upgrade("openssl", "3.0.15-1"), upgrade("bash", "5.2-2")];
        assert_eq!(fingerprint(&one), fingerprint(&one.clone()));
        assert_ne!(fingerprint(&one), fingerprint(&other_version));
        assert_ne!(fingerprint(&one), fingerprint(&two));
        assert_ne!(fingerprint(&one), fingerprint::<AvailableUpgrade>(&[]));
        // What the host's sources offer, and a fix's own facts, count too.
        let mut offered = one.clone();
        offered[0].not_available_reason = Some("not offered yet".into());
        assert_ne!(fingerprint(&one), fingerprint(&offered));
        let mut due = one.clone();
        due[0].fixes.push(FixedFinding {
            id: "CVE-2026-1".into(),
            kev_due_date: Some("2026-12-24".into()),
            ..FixedFinding::default()
        });
        let mut later = due.clone();
        later[0].fixes[0].kev_due_date = Some("2026-12-31".into());
        assert_ne!(fingerprint(&due), fingerprint(&later));
    }

    #[test]
    fn a_list_read_back_from_the_server_has_the_fingerprint_it_was_written_with() {
        let mut listed = vec![upgrade("openssl", "3.0.15-1")];
        listed[0].published = Some(patchwarden_api::time::to_k8s(chrono::Utc::now()));
        let json = serde_json::to_string(&listed).expect("serializes");
        let read: Vec<AvailableUpgrade> = serde_json::from_str(&json).expect("parses");
        assert_eq!(fingerprint(&read), fingerprint(&listed));
    }

    #[test]
    fn an_unseen_or_deleted_asset_lists_none() {
        let stored = StoredUpgrades::default();
        assert_eq!(
            stored.of("default/web-1"),
            fingerprint::<AvailableUpgrade>(&[])
        );
        let listed = vec![upgrade("openssl", "3.0.15-1")];
        stored.take_from(watcher::Event::InitApply(asset(listed)));
        stored.take_from(watcher::Event::Delete(asset(Vec::new())));
        assert_eq!(
            stored.of("default/web-1"),
            fingerprint::<AvailableUpgrade>(&[])
        );
    }
}
