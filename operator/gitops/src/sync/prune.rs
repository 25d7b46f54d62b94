//! Pruning: deleting the objects that carry our source label but that the applied revision no
//! longer declares, dependents first.

use std::collections::BTreeSet;

use kube::api::{Api, DeleteParams, DynamicObject, ListParams};
use patchwarden_api::labels;

use super::apply::apply_rank;
use super::discovery::{DiscoveryCache, dynamic_api, is_not_found};
use super::{GitSync, SyncError};
use crate::resources::ResourceKey;

impl GitSync {
    /// Deletes objects carrying our source label that the applied revision does not declare:
    /// those in the previous inventory, and any labelled object of a kind we know about.
    pub(super) async fn prune(
        &self,
        discovery: &mut DiscoveryCache,
        inventory: &[ResourceKey],
        applied: &[ResourceKey],
    ) -> Result<Vec<ResourceKey>, SyncError> {
        let candidates = self.prune_candidates(discovery, inventory, applied).await?;
        let mut ordered: Vec<ResourceKey> = candidates.into_iter().collect();
        // Delete dependents before what they depend on: the reverse of the apply order.
        ordered.sort_by_key(|key| std::cmp::Reverse((apply_rank(&key.kind), key.clone())));
        let mut pruned = Vec::new();
        for key in ordered {
            if self.delete_if_ours(discovery, &key).await? {
                pruned.push(key);
            }
        }
        Ok(pruned)
    }

    /// What the previous inventory or the API's labelled objects of the known kinds hold and
    /// `applied` does not. Listing by label catches objects an interrupted pass applied but
    /// never recorded.
    async fn prune_candidates(
        &self,
        discovery: &mut DiscoveryCache,
        inventory: &[ResourceKey],
        applied: &[ResourceKey],
    ) -> Result<BTreeSet<ResourceKey>, SyncError> {
        let keep: BTreeSet<&ResourceKey> = applied.iter().collect();
        let mut candidates: BTreeSet<ResourceKey> = inventory
            .iter()
            .filter(|key| !keep.contains(key))
            .cloned()
            .collect();
        let kinds: BTreeSet<(String, String)> = inventory
            .iter()
            .chain(applied)
            .map(|key| (key.api_version.clone(), key.kind.clone()))
            .collect();
        for (api_version, kind) in kinds {
            for key in self.labelled_objects(discovery, api_version, kind).await? {
                if !keep.contains(&key) {
                    candidates.insert(key);
                }
            }
        }
        Ok(candidates)
    }

    /// Every object of one kind that carries our source label.
    async fn labelled_objects(
        &self,
        discovery: &mut DiscoveryCache,
        api_version: String,
        kind: String,
    ) -> Result<Vec<ResourceKey>, SyncError> {
        let probe = ResourceKey {
            api_version: api_version.clone(),
            kind: kind.clone(),
            namespace: None,
            name: String::new(),
        };
        let Ok((api_resource, _)) = discovery
            .resolve(&self.client, &self.spec.name, &probe)
            .await
        else {
            // A kind that is no longer served has nothing left to prune.
            return Ok(Vec::new());
        };
        let selector = format!("{}={}", labels::SOURCE, self.spec.name);
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &api_resource);
        let listed = api
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|error| SyncError::Prune {
                source_name: self.spec.name.clone(),
                key: Box::new(probe.clone()),
                error: Box::new(error),
            })?;
        Ok(listed
            .items
            .into_iter()
            .map(|object| ResourceKey {
                api_version: api_version.clone(),
                kind: kind.clone(),
                namespace: object.metadata.namespace.clone(),
                name: object.metadata.name.clone().unwrap_or_default(),
            })
            .collect())
    }

    /// Deletes one object if it still exists and carries our label; true when it was deleted.
    async fn delete_if_ours(
        &self,
        discovery: &mut DiscoveryCache,
        key: &ResourceKey,
    ) -> Result<bool, SyncError> {
        let Ok((api_resource, _)) = discovery.resolve(&self.client, &self.spec.name, key).await
        else {
            return Ok(false);
        };
        let api = dynamic_api(&self.client, &api_resource, key.namespace.as_deref());
        let prune_error = |error| SyncError::Prune {
            source_name: self.spec.name.clone(),
            key: Box::new(key.clone()),
            error: Box::new(error),
        };
        let Some(live) = api.get_opt(&key.name).await.map_err(prune_error)? else {
            return Ok(false);
        };
        // Never delete an object someone else owns, even if our inventory named it.
        let ours = live
            .metadata
            .labels
            .as_ref()
            .and_then(|labels| labels.get(labels::SOURCE))
            .is_some_and(|value| *value == self.spec.name);
        if !ours {
            return Ok(false);
        }
        match api.delete(&key.name, &DeleteParams::default()).await {
            Ok(_) => Ok(true),
            Err(error) if is_not_found(&error) => Ok(false),
            Err(error) => Err(prune_error(error)),
        }
    }
}
