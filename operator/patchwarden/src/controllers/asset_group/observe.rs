//! Observe: the Kubernetes Nodes a group's node selector matches, and the Assets of the
//! group's namespace its membership is read from.

use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::api::ListParams;
use kube::runtime::reflector::Store;
use patchwarden_api::asset::Asset;
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_k8s_rules::LabelSelector;

use crate::controllers::Context;
use crate::controllers::cache_ready::cache_ready;
use crate::controllers::error::ReconcileError;

/// Names of the Nodes `selector` matches; none without a selector.
pub async fn nodes(
    context: &Context,
    selector: Option<&LabelSelector>,
) -> Result<Vec<String>, ReconcileError> {
    let Some(selector) = selector else {
        return Ok(Vec::new());
    };
    let nodes: kube::Api<Node> = kube::Api::all(context.client.clone());
    let listed = nodes
        .list(&ListParams::default().labels(&selector.to_string()))
        .await?;
    Ok(listed.items.iter().map(ResourceExt::name_any).collect())
}

/// Every Asset in the group's namespace, from the controller's cache of them (as
/// `members_cache` keeps them).
pub async fn assets(
    cache: &Store<Asset>,
    group: &AssetGroup,
) -> Result<Vec<Asset>, ReconcileError> {
    cache_ready(cache)
        .await
        .map_err(|e| ReconcileError::transient("waiting for the Asset cache", e))?;
    let namespace = group.namespace();
    Ok(cache
        .state()
        .into_iter()
        .filter(|asset| asset.namespace() == namespace)
        .map(|asset| (*asset).clone())
        .collect())
}
