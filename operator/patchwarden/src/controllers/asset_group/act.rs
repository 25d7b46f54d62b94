//! Act: create the lab fleet a group declares, and create the Assets it declares or bring
//! existing ones' spec and labels in line.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Resource, ResourceExt};
use patchwarden_api::asset::Asset;
use patchwarden_api::asset_group::AssetGroup;

use super::decide::DeclaredAsset;
use crate::controllers::Context;
use crate::controllers::error::{ReconcileError, Terminal};

/// Creates (or reuses) the group's lab fleet; returns its lab host names in member order,
/// none when the group declares no lab. A fleet the spec cannot make is terminal.
pub async fn ensure_lab(
    context: &Context,
    group: &AssetGroup,
) -> Result<Vec<String>, ReconcileError> {
    let Some(fleet) = &group.spec.lab else {
        return Ok(Vec::new());
    };
    let namespace = group.namespace().unwrap_or_else(|| String::from("default"));
    match context
        .labs
        .ensure(&namespace, &group.name_any(), fleet)
        .await
    {
        Ok(created) => Ok(created.hosts),
        Err(err) if err.is_terminal() => Err(Terminal::invalid_spec(err).into()),
        Err(err) => Err(ReconcileError::transient("creating the lab fleet", err)),
    }
}

/// Applies every declared Asset; returns how many were created or updated.
pub async fn apply_assets(
    context: &Context,
    group: &AssetGroup,
    declared: &[DeclaredAsset],
) -> Result<usize, ReconcileError> {
    let api = context.api_for::<Asset, _>(group);
    let mut applied = 0;
    for asset in declared {
        if apply_asset(&api, group, asset).await? {
            applied += 1;
        }
    }
    Ok(applied)
}

/// Creates a declared Asset, or brings an existing one's spec and labels in line; returns
/// whether anything was written.
async fn apply_asset(
    api: &kube::Api<Asset>,
    group: &AssetGroup,
    declared: &DeclaredAsset,
) -> Result<bool, ReconcileError> {
    let Some(existing) = api.get_opt(&declared.name).await? else {
        let asset = Asset {
            metadata: ObjectMeta {
                name: Some(declared.name.clone()),
                namespace: group.namespace(),
                labels: Some(declared.labels.clone()),
                owner_references: group.controller_owner_ref(&()).map(|o| vec![o]),
                ..ObjectMeta::default()
            },
            spec: declared.spec.clone(),
            status: None,
        };
        api.create(&PostParams::default(), &asset).await?;
        return Ok(true);
    };
    let labels_ok = declared
        .labels
        .iter()
        .all(|(k, v)| existing.labels().get(k) == Some(v));
    if labels_ok && existing.spec == declared.spec {
        return Ok(false);
    }
    let patch = serde_json::json!({
        "metadata": {"labels": declared.labels},
        "spec": declared.spec,
    });
    api.patch(
        &declared.name,
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await?;
    Ok(true)
}
