//! Observe: what an asset is — its inventory, read through its executor, and the risk
//! context (criticality, exposure) its own spec or its group gives it.

use kube::ResourceExt;
use patchwarden_api::asset::Asset;
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::common::{Criticality, Exposure};
use patchwarden_api::labels;
use patchwarden_executor::{AssetRef, ExecError, Executor, Inventory};

use crate::controllers::Context;
use crate::controllers::error::ReconcileError;

/// What reading an asset found.
pub enum Reached {
    /// The asset answered with its inventory.
    Inventory(Inventory),
    /// The asset cannot be reached now (a state of the asset, not a failed reconcile).
    Unreachable(ExecError),
}

/// Reads the asset's inventory through its executor. Other failures than unreachability
/// are transient errors.
pub async fn inventory(
    executor: &dyn Executor,
    target: &AssetRef,
) -> Result<Reached, ReconcileError> {
    match executor.collect_inventory(target).await {
        Ok(raw) => Ok(Reached::Inventory(raw)),
        Err(err) if err.is_unreachable() => Ok(Reached::Unreachable(err)),
        Err(err) => Err(ReconcileError::transient("collecting the inventory", err)),
    }
}

/// The criticality and exposure of an asset: its own overrides, else its group's.
pub async fn risk_context(
    context: &Context,
    asset: &Asset,
) -> Result<(Criticality, Exposure), ReconcileError> {
    let group = match asset.labels().get(labels::ASSET_GROUP) {
        Some(name) => {
            context
                .api_for::<AssetGroup, _>(asset)
                .get_opt(name)
                .await?
        }
        None => None,
    };
    let criticality = asset
        .spec
        .criticality
        .or(group.as_ref().map(|g| g.spec.criticality))
        .unwrap_or_default();
    let exposure = asset
        .spec
        .exposure
        .or(group.as_ref().map(|g| g.spec.exposure))
        .unwrap_or_default();
    Ok((criticality, exposure))
}
