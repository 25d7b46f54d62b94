//! The Asset and Node actions of an incident response: labels, a Node taint and a cordon,
//! each written only when it is not in place.

use k8s_openapi::api::core::v1::{Node, Taint};
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use patchwarden_api::asset::Asset;
use patchwarden_api::patch_policy::IncidentTaint;
use serde_json::json;

use super::super::super::operations::patch_unschedulable;
use super::{Responder, merge_patch_if_present};

impl Responder<'_> {
    /// Sets the labels on the Asset and on its Node. Objects that carry them already are
    /// not written: a write would wake the controllers watching them for nothing.
    pub(super) async fn label(&self, asset: &Asset, node: Option<&str>) -> String {
        let wanted = &self.response.labels;
        let patch = json!({"metadata": {"labels": wanted}});
        let listed: Vec<String> = wanted.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let has_labels = |labels: &std::collections::BTreeMap<String, String>| {
            wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
        };
        let mut result = Ok(());
        if !has_labels(asset.labels()) {
            let assets: Api<Asset> = self.context.api_for(self.policy);
            result = merge_patch_if_present(&assets, &asset.name_any(), &patch).await;
        }
        if let (Ok(()), Some(node)) = (&result, node) {
            let nodes: Api<Node> = Api::all(self.context.client.clone());
            result = match nodes.get_opt(node).await {
                Ok(Some(found)) if has_labels(found.labels()) => Ok(()),
                Ok(_) => merge_patch_if_present(&nodes, node, &patch).await,
                Err(e) => Err(e),
            };
        }
        let target = match node {
            Some(node) => format!("Asset {} and Node {node}", asset.name_any()),
            None => format!("Asset {}", asset.name_any()),
        };
        match result {
            Ok(()) => format!("labelled {target} {}", listed.join(",")),
            Err(e) => format!("labelling {target} failed: {e}"),
        }
    }

    /// Puts the taint on the Node (replacing one with the same key and effect).
    pub(super) async fn taint(&self, node: &str, taint: &IncidentTaint) -> Result<(), kube::Error> {
        let nodes: Api<Node> = Api::all(self.context.client.clone());
        let current = nodes.get(node).await?;
        let wanted = Taint {
            key: taint.key.clone(),
            value: taint.value.clone(),
            effect: taint.effect.as_str().to_string(),
            time_added: None,
        };
        let mut taints: Vec<Taint> = current.spec.and_then(|s| s.taints).unwrap_or_default();
        if taints.contains(&wanted) {
            return Ok(());
        }
        taints.retain(|t| !(t.key == wanted.key && t.effect == wanted.effect));
        taints.push(wanted);
        let patch = json!({"spec": {"taints": taints}});
        nodes
            .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ())
    }

    pub(super) async fn remove_taint(&self, node: &str, key: &str) -> Result<(), kube::Error> {
        let nodes: Api<Node> = Api::all(self.context.client.clone());
        let Some(current) = nodes.get_opt(node).await? else {
            return Ok(());
        };
        let taints: Vec<Taint> = current
            .spec
            .and_then(|s| s.taints)
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.key != key)
            .collect();
        let patch = json!({"spec": {"taints": taints}});
        nodes
            .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ())
    }

    /// Cordons or uncordons the Node; whether that changed it.
    pub(super) async fn cordon(&self, node: &str, cordoned: bool) -> Result<bool, kube::Error> {
        let nodes: Api<Node> = Api::all(self.context.client.clone());
        let current = nodes
            .get_opt(node)
            .await?
            .and_then(|n| n.spec)
            .and_then(|s| s.unschedulable)
            .unwrap_or(false);
        if current == cordoned {
            return Ok(false);
        }
        match patch_unschedulable(&self.context.client, node, cordoned).await {
            Ok(()) => Ok(true),
            // Gone meanwhile: nothing to undo.
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(true),
            Err(e) => Err(e),
        }
    }
}
