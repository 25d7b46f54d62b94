//! The Assets a group's membership is read from, kept by one watch instead of listed on every
//! reconcile, and the changes to them that can change a membership.
//!
//! Only labels (selectors and the group label), the spec (through `metadata.generation`),
//! deletion and whether the asset is unreachable (the group's count) matter; status writes —
//! every assessment of every asset — do not start a group reconcile. The cached copies keep
//! only those fields: a fleet's full statuses would be a third copy of every inventory.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use futures::{Stream, StreamExt};
use kube::ResourceExt;
use kube::runtime::watcher;
use patchwarden_api::asset::{Asset, AssetStatus, PatchState};

/// The Asset as the membership reads it.
pub fn slim(asset: &mut Asset) {
    asset.metadata.managed_fields = None;
    asset.metadata.annotations = None;
    let patch_state = asset.status.as_ref().and_then(|s| s.patch_state);
    asset.status = patch_state.map(|state| AssetStatus {
        patch_state: Some(state),
        ..AssetStatus::default()
    });
}

/// The hash of what a membership reads of `asset`.
fn membership_hash(asset: &Asset) -> u64 {
    let mut hasher = DefaultHasher::new();
    asset.metadata.generation.hash(&mut hasher);
    asset.metadata.labels.hash(&mut hasher);
    asset
        .metadata
        .deletion_timestamp
        .is_some()
        .hash(&mut hasher);
    let unreachable =
        asset.status.as_ref().and_then(|s| s.patch_state) == Some(PatchState::Unreachable);
    unreachable.hash(&mut hasher);
    hasher.finish()
}

/// The Assets of `events` whose membership-relevant fields changed, and every deleted one.
pub fn membership_changes<S>(events: S) -> impl Stream<Item = Result<Asset, watcher::Error>> + Send
where
    S: Stream<Item = Result<watcher::Event<Asset>, watcher::Error>> + Send,
{
    let mut seen: HashMap<(Option<String>, String), u64> = HashMap::new();
    events.flat_map(move |event| {
        let out: Vec<Result<Asset, watcher::Error>> = match event {
            Ok(watcher::Event::Apply(asset) | watcher::Event::InitApply(asset)) => {
                let hash = membership_hash(&asset);
                let key = (asset.namespace(), asset.name_any());
                if seen.insert(key, hash) == Some(hash) {
                    Vec::new()
                } else {
                    vec![Ok(asset)]
                }
            }
            Ok(watcher::Event::Delete(asset)) => {
                seen.remove(&(asset.namespace(), asset.name_any()));
                vec![Ok(asset)]
            }
            Ok(watcher::Event::Init | watcher::Event::InitDone) => Vec::new(),
            Err(error) => vec![Err(error)],
        };
        futures::stream::iter(out)
    })
}

#[cfg(test)]
mod tests {
    use patchwarden_api::asset::AssetSpec;

    use super::*;

    fn asset(name: &str) -> Asset {
        let mut asset = Asset::new(name, AssetSpec::default());
        asset.metadata.namespace = Some("default".into());
        asset.metadata.generation = Some(1);
        asset
    }

    fn with_state(mut asset: Asset, state: PatchState) -> Asset {
        asset.status = Some(AssetStatus {
            patch_state: Some(state),
            package_count: Some(412),
            ..AssetStatus::default()
        });
        asset
    }

    #[tokio::test]
    async fn status_writes_pass_only_when_reachability_changes() {
        let web = asset("web-1");
        let mut labelled = with_state(web.clone(), PatchState::Pending);
        labelled
            .metadata
            .labels
            .get_or_insert_default()
            .insert("tier".into(), "web".into());
        let events = vec![
            Ok(watcher::Event::InitApply(web.clone())),
            Ok(watcher::Event::InitDone),
            // Assessed: no membership change.
            Ok(watcher::Event::Apply(with_state(
                web.clone(),
                PatchState::Pending,
            ))),
            Ok(watcher::Event::Apply(with_state(
                web.clone(),
                PatchState::Compliant,
            ))),
            Ok(watcher::Event::Apply(with_state(
                web.clone(),
                PatchState::Unreachable,
            ))),
            Ok(watcher::Event::Apply(labelled.clone())),
            Ok(watcher::Event::Delete(labelled)),
        ];
        let passed: Vec<Asset> = membership_changes(futures::stream::iter(events))
            .map(|r| r.expect("no error"))
            .collect()
            .await;
        let states: Vec<Option<PatchState>> = passed
            .iter()
            .map(|a| a.status.as_ref().and_then(|s| s.patch_state))
            .collect();
        assert_eq!(
            states,
            [
                None,
                Some(PatchState::Unreachable),
                Some(PatchState::Pending),
                Some(PatchState::Pending)
            ]
        );
    }

    #[test]
    fn the_cached_copy_keeps_what_membership_reads() {
        let mut full = with_state(asset("web-1"), PatchState::Unreachable);
        full.metadata
            .labels
            .get_or_insert_default()
            .insert("tier".into(), "web".into());
        let mut cached = full.clone();
        slim(&mut cached);
        assert_eq!(cached.metadata.labels, full.metadata.labels);
        assert_eq!(membership_hash(&cached), membership_hash(&full));
        let status = cached.status.expect("patch state kept");
        assert_eq!(status.package_count, None);
    }
}
