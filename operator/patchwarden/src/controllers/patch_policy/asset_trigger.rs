//! Which Asset changes make the policies look again: only those to what a policy's
//! evaluation reads of an Asset (see `observe::group_members`). The Asset controller writes
//! every asset's status after each assessment — ten thousand writes after a feed load — and
//! those that only carry new findings change nothing here: the policies read findings from
//! the stored assessments, which tell of their own changes.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use futures::{Stream, StreamExt};
use kube::Resource;
use kube::runtime::watcher;
use patchwarden_api::asset::Asset;

use crate::controllers::predicates::decided_by_others;

/// The hash of what a policy reads of `asset`: what others decide of it (spec, labels and
/// annotations — a compromise signal, a requested reconcile — and deletion), each
/// condition's type, status and reason, the patch state, the operating system and the
/// handled reconcile request.
pub fn policy_view(asset: &Asset) -> u64 {
    let mut hasher = DefaultHasher::new();
    decided_by_others(asset).hash(&mut hasher);
    if let Some(status) = &asset.status {
        for condition in &status.conditions {
            (&condition.type_, &condition.status, &condition.reason).hash(&mut hasher);
        }
        status.patch_state.hash(&mut hasher);
        serde_json::to_string(&status.os)
            .unwrap_or_default()
            .hash(&mut hasher);
        status.last_handled_reconcile_at.hash(&mut hasher);
    }
    hasher.finish()
}

/// One `()` per watch event that changes a policy's view of an Asset: an Asset that appears,
/// changes that view or goes away, and the end of each (re)list. Errors change nothing.
pub fn policy_view_changes<S>(events: S) -> impl Stream<Item = ()> + Send
where
    S: Stream<Item = Result<watcher::Event<Asset>, watcher::Error>> + Send,
{
    let mut seen: HashMap<(Option<String>, Option<String>), u64> = HashMap::new();
    events.filter_map(move |event| {
        let key = |asset: &Asset| (asset.meta().namespace.clone(), asset.meta().name.clone());
        let changed = match event {
            Ok(watcher::Event::Apply(asset)) | Ok(watcher::Event::InitApply(asset)) => {
                let view = policy_view(&asset);
                seen.insert(key(&asset), view) != Some(view)
            }
            Ok(watcher::Event::Delete(asset)) => {
                seen.remove(&key(&asset));
                true
            }
            Ok(watcher::Event::InitDone) => true,
            Ok(watcher::Event::Init) | Err(_) => false,
        };
        std::future::ready(changed.then_some(()))
    })
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
    use patchwarden_api::asset::{AssetSpec, AssetStatus, FindingsSummary, PatchState};

    use super::*;

    fn asset(change: impl FnOnce(&mut Asset)) -> Asset {
        let mut asset = Asset::new("web-1", AssetSpec::default());
        asset.meta_mut().namespace = Some("default".into());
        asset.status = Some(AssetStatus::default());
        change(&mut asset);
        asset
    }

    fn status(asset: &mut Asset) -> &mut AssetStatus {
        asset.status.get_or_insert_with(AssetStatus::default)
    }

    fn ready(reason: &str, message: &str) -> Condition {
        let at = patchwarden_api::time::to_k8s(chrono::Utc::now());
        patchwarden_api::conditions::new_condition("Ready", "True", reason, message, None, at)
    }

    async fn triggers(events: Vec<watcher::Event<Asset>>) -> usize {
        policy_view_changes(futures::stream::iter(events.into_iter().map(Ok)))
            .collect::<Vec<()>>()
            .await
            .len()
    }

    #[tokio::test]
    async fn new_findings_and_messages_do_not_trigger_but_what_policies_read_does() {
        let base = asset(|a| status(a).conditions.push(ready("Assessed", "3 findings")));
        let more_findings = asset(|a| {
            status(a).conditions.push(ready("Assessed", "5 findings"));
            status(a).findings = Some(FindingsSummary {
                critical: 2,
                ..FindingsSummary::default()
            });
        });
        let patched = asset(|a| {
            status(a).conditions.push(ready("Assessed", "5 findings"));
            status(a).patch_state = Some(PatchState::Compliant);
        });
        let labelled = asset(|a| {
            status(a).conditions.push(ready("Assessed", "3 findings"));
            a.meta_mut().labels = Some([("tier".to_string(), "web".to_string())].into());
        });
        // The first sight of an Asset triggers; a findings-only write does not.
        assert_eq!(
            triggers(vec![
                watcher::Event::Apply(base.clone()),
                watcher::Event::Apply(more_findings.clone()),
            ])
            .await,
            1
        );
        // A patch state or label change does; so does a deletion.
        assert_eq!(
            triggers(vec![
                watcher::Event::Apply(base.clone()),
                watcher::Event::Apply(patched),
                watcher::Event::Apply(labelled),
                watcher::Event::Delete(base.clone()),
            ])
            .await,
            4
        );
        // A relist triggers once at its end.
        assert_eq!(
            triggers(vec![
                watcher::Event::Init,
                watcher::Event::InitApply(base.clone()),
                watcher::Event::InitDone,
                watcher::Event::Init,
                watcher::Event::InitApply(base),
                watcher::Event::InitDone,
            ])
            .await,
            3
        );
    }
}
