//! Which changes to an Asset start a reconcile: a predicate over the watch events, in the
//! manner of kube-rs' `predicates::generation`.
//!
//! The controller writes most of the Asset's status itself, and the agent exchange
//! (`status.agent`) is written on every request the executor sends and every answer the
//! agent gives. Reconciling on those writes would answer each inventory request with another
//! one, without end. So only what others decide counts: the spec (through
//! `metadata.generation`), labels (group membership, the run holding the asset), annotations
//! (`reconcile.fluxcd.io/requestedAt`, recorded boot ids), deletion, and the last operation a
//! PatchRun records when it releases the asset. Everything else is picked up by the periodic
//! resync.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use patchwarden_api::asset::Asset;

use crate::controllers::predicates::decided_by_others;

/// The hash of everything about `asset` that should start a reconcile when it changes.
/// Always `Some`: every Asset has these properties, if only as empty ones.
pub fn relevant_change(asset: &Asset) -> Option<u64> {
    let mut hasher = DefaultHasher::new();
    decided_by_others(asset).hash(&mut hasher);
    let last_operation = asset
        .status
        .as_ref()
        .and_then(|s| s.last_operation.as_ref())
        .map(|o| serde_json::to_string(o).unwrap_or_default());
    last_operation.hash(&mut hasher);
    Some(hasher.finish())
}

#[cfg(test)]
mod tests {
    use kube::Resource;

    use super::*;
    use patchwarden_api::agent_exchange::{AgentExchange, AgentMessage};
    use patchwarden_api::asset::{
        AssetSpec, AssetStatus, LastOperation, OperationKind, OperationResult, PatchState,
    };

    fn asset() -> Asset {
        let mut asset = Asset::new("web-1", AssetSpec::default());
        asset.meta_mut().namespace = Some("default".into());
        asset.meta_mut().generation = Some(1);
        asset
    }

    fn with_status(mut asset: Asset, change: impl FnOnce(&mut AssetStatus)) -> Asset {
        change(asset.status.get_or_insert_with(AssetStatus::default));
        asset
    }

    fn request(id: &str) -> AgentMessage {
        AgentMessage {
            id: id.into(),
            operation: "inventory".into(),
            body: "{}".into(),
        }
    }

    #[test]
    fn agent_exchange_writes_do_not_trigger() {
        let before = asset();
        let requested = with_status(before.clone(), |s| {
            s.agent = Some(AgentExchange {
                request: Some(request("inventory-1")),
                ..AgentExchange::default()
            })
        });
        let answered = with_status(requested.clone(), |s| {
            if let Some(agent) = s.agent.as_mut() {
                agent.result = Some(request("inventory-1"));
            }
        });
        assert_eq!(relevant_change(&before), relevant_change(&requested));
        assert_eq!(relevant_change(&requested), relevant_change(&answered));
    }

    #[test]
    fn the_controllers_own_status_writes_do_not_trigger() {
        let before = asset();
        let assessed = with_status(before.clone(), |s| {
            s.observed_generation = Some(1);
            s.package_count = Some(412);
            s.inventory_digest = Some("sha256:ab".into());
            s.patch_state = Some(PatchState::Pending);
            s.reboot_required = Some(false);
        });
        assert_eq!(relevant_change(&before), relevant_change(&assessed));
    }

    #[test]
    fn spec_labels_annotations_deletion_and_last_operation_trigger() {
        let before = asset();
        let mut spec = before.clone();
        spec.meta_mut().generation = Some(2);
        let mut labelled = before.clone();
        labelled
            .meta_mut()
            .labels
            .get_or_insert_default()
            .insert("patchwarden.io/run".into(), "security-1".into());
        let mut requested = before.clone();
        requested
            .meta_mut()
            .annotations
            .get_or_insert_default()
            .insert("reconcile.fluxcd.io/requestedAt".into(), "now".into());
        let mut deleted = before.clone();
        deleted.meta_mut().deletion_timestamp =
            Some(patchwarden_api::time::to_k8s(chrono::Utc::now()));
        let released = with_status(before.clone(), |s| {
            s.last_operation = Some(LastOperation {
                kind: OperationKind::Patch,
                result: OperationResult::Failed,
                run: Some("security-1".into()),
                started_at: None,
                finished_at: None,
                message: "apt-get exited with 100".into(),
            })
        });
        for changed in [spec, labelled, requested, deleted, released] {
            assert_ne!(
                relevant_change(&before),
                relevant_change(&changed),
                "{:?}",
                changed.meta()
            );
        }
    }
}
