//! Observe: the Kubernetes Nodes a group's node selector matches, and the Assets of the
//! group's namespace its membership is read from.

use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::api::ListParams;
use patchwarden_api::asset::Asset;
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_k8s_rules::LabelSelector;

use crate::controllers::Context;
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

/// Every Asset in the group's namespace.
pub async fn assets(context: &Context, group: &AssetGroup) -> Result<Vec<Asset>, ReconcileError> {
    let assets = context.api_for::<Asset, _>(group);
    Ok(assets.list(&ListParams::default()).await?.items)
}
